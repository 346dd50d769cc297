"""The warehouse resource: where the home folder and the build database are, and how to open them."""

from __future__ import annotations

from pathlib import Path

import duckdb
from dagster import ConfigurableResource

from dealledger.settings import DEFAULT_DUCKDB_MEMORY_LIMIT, DUCKDB_TEMP_SUBDIR, Settings


class Warehouse(ConfigurableResource):
    home: str
    inbox: str
    # Reject rate (rejected / read) above which a file blocks the run.
    max_reject_rate: float = 0.01
    max_export_age_days: dict[str, int] = {}
    # DuckDB's memory_limit; above it DuckDB spills to temp_dir.
    memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    temp_dir: str = ""  # empty: <home>/duckdb_tmp

    @classmethod
    def from_settings(cls, settings: Settings) -> Warehouse:
        return cls(
            home=str(settings.home),
            inbox=str(settings.inbox_dir),
            max_reject_rate=settings.max_reject_rate,
            max_export_age_days=settings.max_export_age_days,
            memory_limit=settings.duckdb_memory_limit,
            temp_dir=str(settings.duckdb_temp_dir),
        )

    @property
    def home_dir(self) -> Path:
        return Path(self.home)

    @property
    def inbox_dir(self) -> Path:
        return Path(self.inbox)

    @property
    def quarantine_dir(self) -> Path:
        return self.home_dir / "quarantine"

    @property
    def build_db(self) -> Path:
        return self.home_dir / "build.duckdb"

    @property
    def serving_db(self) -> Path:
        return self.home_dir / "serving.duckdb"

    @property
    def duckdb_temp_dir(self) -> Path:
        return Path(self.temp_dir) if self.temp_dir else self.home_dir / DUCKDB_TEMP_SUBDIR

    @property
    def duckdb_config(self) -> dict[str, str]:
        return {"memory_limit": self.memory_limit, "temp_directory": str(self.duckdb_temp_dir)}

    def connect(self, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        self.build_db.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(self.build_db), read_only=read_only, config=self.duckdb_config)
