"""Every path and tunable the pipeline reads from the environment, in one place.

Defaults are relative to the repository (or the current directory for the home folder), so a fresh
clone works without any configuration. Nothing here opens a file or a database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    home: Path
    inbox_dir: Path
    dbt_project_dir: Path
    expectations_dir: Path
    seeds_dir: Path
    max_reject_rate: float


def load_settings() -> Settings:
    """Read the settings from the environment as it is now (tests change it per test)."""
    home = Path(os.environ.get("DEALLEDGER_HOME", ".dealledger")).resolve()
    return Settings(
        home=home,
        inbox_dir=Path(os.environ.get("DEALLEDGER_INBOX", home / "inbox")).resolve(),
        dbt_project_dir=Path(os.environ.get("DEALLEDGER_DBT_PROJECT_DIR", REPO_ROOT / "dbt_project")).resolve(),
        expectations_dir=Path(os.environ.get("DEALLEDGER_EXPECTATIONS_DIR", REPO_ROOT / "expectations")).resolve(),
        seeds_dir=REPO_ROOT / "seeds",
        max_reject_rate=float(os.environ.get("DEALLEDGER_MAX_REJECT_RATE", "0.01")),
    )
