"""Publish checked marts from the build database into a new serving file, atomically.

BI readers keep the file open read-only; DuckDB would block the pipeline's writer on that file. So the
serving file is never written in place: a new file is built beside it and renamed over it. Readers
that hold the old file keep reading the old version until they reconnect.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

VERSIONS_KEPT = 3
# BI tools bundle DuckDB 1.x readers (Evidence's Node driver is 1.5): write a format they all open.
SERVING_STORAGE_VERSION = "v1.0.0"


@dataclass(frozen=True)
class MartTable:
    name: str
    schema: str


def publish_marts(
    build_db: Path, serving_db: Path, marts: list[MartTable], run_id: str, config: dict[str, str] | None = None
) -> dict[str, int]:
    """Copy `marts` into a fresh serving file and swap it in; returns the row count per mart.

    `config` is DuckDB's (the warehouse's memory limit and spill folder): without a limit, DuckDB keeps
    up to 80% of the machine's memory of copied blocks cached.
    """
    new_file = serving_db.with_name(serving_db.name + ".new")
    new_file.unlink(missing_ok=True)
    row_counts: dict[str, int] = {}
    with duckdb.connect(config=config or {}) as con:
        con.execute(f"attach '{build_db}' as build (read_only)")
        con.execute(f"attach '{new_file}' as serving (storage_version '{SERVING_STORAGE_VERSION}')")
        for mart in marts:
            con.execute(f"create table serving.main.{mart.name} as select * from build.{mart.schema}.{mart.name}")
            row_counts[mart.name] = con.execute(f"select count(*) from serving.main.{mart.name}").fetchone()[0]
        con.execute(
            "create table serving.main.dealledger_publication as "
            "select ? as run_id, cast(? as timestamp) as published_at",
            [run_id, datetime.now(UTC).replace(tzinfo=None)],
        )
    _keep_current_version(serving_db)
    os.replace(new_file, serving_db)
    return row_counts


def versions_dir(serving_db: Path) -> Path:
    return serving_db.parent / "serving_versions"


def published_versions(serving_db: Path) -> list[Path]:
    """Kept versions, oldest first."""
    return sorted(versions_dir(serving_db).glob("serving-*.duckdb"))


def _keep_current_version(serving_db: Path) -> None:
    if not serving_db.exists():
        return
    folder = versions_dir(serving_db)
    folder.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    # A second name for the file, not a copy (420 MB at 1M deals): nothing writes a published file again,
    # the next one is renamed over its name.
    os.link(serving_db, folder / f"serving-{stamp}.duckdb")
    for stale in published_versions(serving_db)[:-VERSIONS_KEPT]:
        stale.unlink()


def rollback(serving_db: Path) -> Path:
    """Put the newest kept version back in place (atomically) and drop it from the kept list."""
    versions = published_versions(serving_db)
    if not versions:
        raise FileNotFoundError(f"No earlier version of {serving_db} is kept in {versions_dir(serving_db)}")
    previous = versions[-1]
    os.replace(previous, serving_db)
    return previous
