"""Read-only access to the serving file that the pipeline publishes.

Every page loader opens the file read-only (many readers may share it; the pipeline never writes it in
place, it renames a new file over it). Column lists come from information_schema, so a mart that gains
columns keeps working and a mart that loses a needed one fails the build with a clear message.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SERVING_DB = REPO_ROOT / ".dealledger" / "serving.duckdb"


class ServingError(RuntimeError):
    """The serving file is missing or lacks a table or column that a page needs."""


def serving_path() -> Path:
    configured = os.environ.get("DEALLEDGER_SERVING_DB")
    return Path(configured).expanduser().resolve() if configured else DEFAULT_SERVING_DB


class Serving:
    """One read-only connection to the serving file, with schema look-ups."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or serving_path()
        if not self.path.is_file():
            raise ServingError(f"serving file not found: {self.path} (set DEALLEDGER_SERVING_DB)")
        self.con = duckdb.connect(str(self.path), read_only=True)
        # Quarters and dates of TIMESTAMPTZ columns are taken in UTC, whatever the machine's zone.
        self.con.execute("set TimeZone = 'UTC'")
        self._columns: dict[str, set[str]] = {}
        for table, column in self.con.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'main'"
        ).fetchall():
            self._columns.setdefault(table, set()).add(column)

    def close(self) -> None:
        self.con.close()

    def has_table(self, table: str) -> bool:
        return table in self._columns

    def has_column(self, table: str, column: str) -> bool:
        return column in self._columns.get(table, set())

    def require(self, table: str, *columns: str) -> None:
        if table not in self._columns:
            raise ServingError(f"{self.path}: table {table} is missing")
        missing = [c for c in columns if c not in self._columns[table]]
        if missing:
            raise ServingError(f"{self.path}: {table} lacks column(s) {', '.join(missing)}")

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def mart(
        self, name: str, columns: Sequence[str], *, where: str | None = None, order_by: str | None = None
    ) -> list[dict[str, Any]]:
        """A mart's rows as dbt published them: pages present what a mart says and compute nothing.

        `where` and `order_by` pick and sort rows for display; aggregates and ratios belong in the mart.
        """
        self.require(name, *columns)
        sql = f"select {', '.join(columns)} from {name}"
        if where:
            sql += f" where {where}"
        if order_by:
            sql += f" order by {order_by}"
        return self.rows(sql)

    def publication(self) -> dict[str, Any] | None:
        """run_id and published_at of the pipeline run that wrote the file, if it recorded them."""
        if not self.has_table("dealledger_publication"):
            return None
        found = self.rows("select * from dealledger_publication limit 1")
        return found[0] if found else None

    def as_of(self) -> date:
        """The latest date seen in the data: ages are measured to it, never to the wall clock."""
        candidates = [
            ("fct_invoices", "invoice_date"),
            ("fct_deal_events", "event_at"),
            ("fct_deals", "booked_at"),
            ("fct_deals", "created_at"),
        ]
        parts = [
            f"select max(cast({column} as date)) as d from {table}"
            for table, column in candidates
            if self.has_column(table, column)
        ]
        if not parts:
            raise ServingError(f"{self.path}: no dated table to take the as-of date from")
        value = self.con.execute(f"select max(d) from ({' union all '.join(parts)})").fetchone()[0]
        if value is None:
            raise ServingError(f"{self.path}: the marts hold no dated rows")
        return value.date() if isinstance(value, datetime) else value


def open_serving() -> Serving:
    """Open the serving file, or stop the page loader (and so the build) with a readable message."""
    try:
        return Serving()
    except (ServingError, duckdb.Error) as error:
        print(f"dealledger dashboards: {error}", file=sys.stderr)
        raise SystemExit(2) from error
