"""Shared fixtures: a parsed dbt project, and demo pipelines run for real in temporary homes."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dealledger.quality.expectations import SuiteResult, validate_table
from dealledger.settings import REPO_ROOT, Settings, load_settings

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def dbt_parse(project_dir: Path) -> None:
    """The manifest that dagster-dbt loads; built by the fixture, never at import."""
    dbt = Path(sys.executable).parent / "dbt"
    subprocess.run(
        [str(dbt), "parse", "--quiet", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)],
        check=True,
    )


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    dbt_parse(DBT_PROJECT_DIR)
    return DBT_PROJECT_DIR / "target" / "manifest.json"


def settings_for(home: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    monkeypatch.setenv("DEALLEDGER_HOME", str(home))
    monkeypatch.delenv("DEALLEDGER_INBOX", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings()


@dataclass(frozen=True)
class DemoRun:
    settings: Settings
    exit_code: int
    truth: dict

    @property
    def serving_db(self) -> Path:
        return self.settings.home / "serving.duckdb"

    @property
    def build_db(self) -> Path:
        return self.settings.home / "build.duckdb"

    @property
    def truth_dir(self) -> Path:
        return self.settings.home / "demo_truth"


DEMO_DEALS = 400
DEMO_SEED = 7


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """`dealledger demo` on a small scale in a temporary home, shared by every module: a run takes a
    minute or two, so tests only read it (or rerun the pipeline on the same inbox, which changes nothing)."""
    from dealledger.cli import main

    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as monkeypatch:
        settings = settings_for(home, monkeypatch)
        exit_code = main(["demo", "--scale", str(DEMO_DEALS), "--seed", str(DEMO_SEED)])
        truth = json.loads((home / "demo_truth" / "summary.json").read_text())
    return DemoRun(settings=settings, exit_code=exit_code, truth=truth)


def validate_frame(frame: pd.DataFrame, suite: Path, folder: Path) -> SuiteResult:
    """The suite on `frame` as the pipeline validates its mart: a table of a DuckDB file, checked in SQL."""
    database = folder / "build.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(f"create or replace table {suite.stem} as select * from frame")
    return validate_table(database, {}, suite.stem, suite)
