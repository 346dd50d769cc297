"""Every path and tunable the pipeline reads from the environment, in one place.

Defaults are relative to the repository (or the current directory for the home folder), so a fresh
clone works without any configuration. Nothing here opens a file or a database.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# DuckDB's memory limit per connection (ingest, checks and dbt each); beyond it DuckDB spills to the temp
# folder. dbt_project/profiles.yml reads the same variables with the same defaults.
DEFAULT_DUCKDB_MEMORY_LIMIT = "2GB"
DUCKDB_TEMP_SUBDIR = "duckdb_tmp"
MEMORY_UNITS = {"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


@dataclass(frozen=True)
class Settings:
    home: Path
    inbox_dir: Path
    dbt_project_dir: Path
    dbt_executable: Path
    expectations_dir: Path
    seeds_dir: Path
    max_reject_rate: float
    # Per source: how many days after its newest export the data counts as stale (a warning in the UI).
    max_export_age_days: dict[str, int]
    duckdb_memory_limit: str
    duckdb_temp_dir: Path
    # Rebuild the incremental dbt models from every raw row (after a load was removed or a model changed).
    dbt_full_refresh: bool


def load_settings() -> Settings:
    """Read the settings from the environment as it is now (tests change it per test)."""
    home = Path(os.environ.get("DEALLEDGER_HOME", ".dealledger")).resolve()
    return Settings(
        home=home,
        inbox_dir=Path(os.environ.get("DEALLEDGER_INBOX", home / "inbox")).resolve(),
        dbt_project_dir=Path(os.environ.get("DEALLEDGER_DBT_PROJECT_DIR", REPO_ROOT / "dbt_project")).resolve(),
        # The dbt installed beside the running Python (the venv's), so no PATH set-up is needed.
        dbt_executable=Path(os.environ.get("DEALLEDGER_DBT_EXECUTABLE", Path(sys.executable).parent / "dbt")),
        expectations_dir=Path(os.environ.get("DEALLEDGER_EXPECTATIONS_DIR", REPO_ROOT / "expectations")).resolve(),
        seeds_dir=REPO_ROOT / "seeds",
        max_reject_rate=float(os.environ.get("DEALLEDGER_MAX_REJECT_RATE", "0.01")),
        max_export_age_days=_source_days(os.environ.get("DEALLEDGER_MAX_EXPORT_AGE_DAYS", "crm=2,billing=35")),
        duckdb_memory_limit=_memory_limit(
            os.environ.get("DEALLEDGER_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMIT)
        ),
        duckdb_temp_dir=Path(os.environ.get("DEALLEDGER_DUCKDB_TEMP_DIR", home / DUCKDB_TEMP_SUBDIR)).resolve(),
        dbt_full_refresh=os.environ.get("DEALLEDGER_DBT_FULL_REFRESH", "").lower() in ("1", "true", "yes"),
    )


def _source_days(spec: str) -> dict[str, int]:
    """Parse `crm=2,billing=35` into {"crm": 2, "billing": 35}."""
    pairs = (item.split("=", 1) for item in spec.split(",") if item.strip())
    try:
        return {source.strip(): int(days) for source, days in pairs}
    except ValueError as error:
        raise ValueError(f"DEALLEDGER_MAX_EXPORT_AGE_DAYS must look like 'crm=2,billing=35', got {spec!r}") from error


def _memory_limit(limit: str) -> str:
    """The limit as given, once it is known to parse (the checks' workers compute their own from it)."""
    try:
        memory_mib(limit)
    except ValueError as error:
        raise ValueError(f"DEALLEDGER_DUCKDB_MEMORY_LIMIT: {error}") from error
    return limit


def memory_mib(limit: str) -> float:
    """MiB of a DuckDB memory limit such as `2GB` or `500MiB`."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]i?B)\s*", limit, re.IGNORECASE)
    if match is None:
        raise ValueError(f"memory limit {limit!r}: expected a number and a unit such as 2GB or 500MiB")
    return float(match.group(1)) * MEMORY_UNITS[match.group(2).upper()] / 2**20
