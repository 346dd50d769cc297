"""Metric definitions as dbt documents them: the pages quote the marts' descriptions, never restate them.

The serving file holds data only (the publish step keeps no descriptions), so the text comes from the
marts' YAML in dbt_project/models/marts/ of this checkout: the same text `dbt docs` shows.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from .serving import REPO_ROOT, ServingError

MARTS_DIR = REPO_ROOT / "dbt_project" / "models" / "marts"


@functools.cache
def _models() -> dict[str, dict[str, Any]]:
    models: dict[str, dict[str, Any]] = {}
    for path in sorted(Path(MARTS_DIR).glob("**/_*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            models[model["name"]] = model
    return models


def _model(mart: str) -> dict[str, Any]:
    found = _models().get(mart)
    if found is None:
        raise ServingError(f"{MARTS_DIR}: no dbt documentation for mart {mart}")
    return found


def mart_description(mart: str) -> str:
    return " ".join(str(_model(mart).get("description", "")).split())


def column_description(mart: str, column: str) -> str:
    for entry in _model(mart).get("columns", []):
        if entry["name"] == column:
            return " ".join(str(entry.get("description", "")).split())
    raise ServingError(f"{MARTS_DIR}: mart {mart} documents no column {column}")
