"""The warehouse resource: where the home folder and the build database are, and how to open them."""

from __future__ import annotations

from pathlib import Path

import duckdb
from dagster import ConfigurableResource

from dealledger.settings import Settings


class Warehouse(ConfigurableResource):
    home: str
    inbox: str
    # Reject rate (rejected / read) above which a file blocks the run.
    max_reject_rate: float = 0.01
    max_export_age_days: dict[str, int] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Warehouse:
        return cls(home=str(settings.home), inbox=str(settings.inbox_dir), max_reject_rate=settings.max_reject_rate)

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

    def connect(self, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        self.build_db.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(self.build_db), read_only=read_only)
