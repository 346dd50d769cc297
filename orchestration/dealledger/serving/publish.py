"""Publish checked marts from the build database into a new serving file, atomically.

BI readers keep the file open read-only; DuckDB would block the pipeline's writer on that file. So the
serving file is never written in place: a new file is built beside it and renamed over it. Readers
that hold the old file keep reading the old version until they reconnect.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

VERSIONS_KEPT = 3


@dataclass(frozen=True)
class MartTable:
    name: str
    schema: str


def publish_marts(build_db: Path, serving_db: Path, marts: list[MartTable], run_id: str) -> dict[str, int]:
    """Copy `marts` into a fresh serving file and swap it in; returns the row count per mart."""
    staging_file = serving_db.with_name(serving_db.name + ".new")
    staging_file.unlink(missing_ok=True)
    row_counts: dict[str, int] = {}
    with duckdb.connect(str(staging_file)) as con:
        con.execute(f"attach '{build_db}' as build (read_only)")
        for mart in marts:
            con.execute(f"create table main.{mart.name} as select * from build.{mart.schema}.{mart.name}")
            row_counts[mart.name] = con.execute(f"select count(*) from main.{mart.name}").fetchone()[0]
        con.execute(
            "create table main.dealledger_publication as select ? as run_id, cast(? as timestamp) as published_at",
            [run_id, datetime.now(UTC).replace(tzinfo=None)],
        )
        con.execute("detach build")
    _keep_previous_version(serving_db)
    os.replace(staging_file, serving_db)
    return row_counts


def versions_dir(serving_db: Path) -> Path:
    return serving_db.parent / "serving_versions"


def _keep_previous_version(serving_db: Path) -> None:
    if not serving_db.exists():
        return
    folder = versions_dir(serving_db)
    folder.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    shutil.copy2(serving_db, folder / f"serving-{stamp}.duckdb")
    for stale in sorted(folder.glob("serving-*.duckdb"))[:-VERSIONS_KEPT]:
        stale.unlink()
