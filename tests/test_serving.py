"""Write, audit, publish: the serving file is replaced whole or not at all, and readers never break."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dealledger.serving.publish import MartTable, publish_marts, published_versions, rollback

MARTS = [MartTable("fct_deals", "main")]


def build_with_deals(build_db: Path, deal_count: int) -> None:
    with duckdb.connect(str(build_db)) as con:
        con.execute(
            "create or replace table fct_deals as select 'crm:D' || i as deal_id from range(?) t(i)", [deal_count]
        )
        con.execute("create or replace table stg_crm__contacts as select 'someone@example.com' as email")


def deal_count(serving_db: Path) -> int:
    with duckdb.connect(str(serving_db), read_only=True) as con:
        return con.execute("select count(*) from fct_deals").fetchone()[0]


def test_publish_copies_only_the_marts_in_an_old_storage_version(tmp_path):
    build_db, serving_db = tmp_path / "build.duckdb", tmp_path / "serving.duckdb"
    build_with_deals(build_db, 3)
    assert publish_marts(build_db, serving_db, MARTS, "run-1") == {"fct_deals": 3}
    with duckdb.connect(str(serving_db), read_only=True) as con:
        tables = sorted(row[0] for row in con.execute("select table_name from information_schema.tables").fetchall())
        assert tables == ["dealledger_publication", "fct_deals"]
        assert con.execute("select run_id from dealledger_publication").fetchone()[0] == "run-1"
        # `tags` records the storage version each attached database was written with.
        storage = con.execute(
            "select tags['storage_version'] from duckdb_databases() where database_name = 'serving'"
        ).fetchone()[0]
    assert storage == "v1.0.0+"


def test_a_reader_holding_the_file_keeps_the_old_version_and_a_new_reader_sees_the_new(tmp_path):
    build_db, serving_db = tmp_path / "build.duckdb", tmp_path / "serving.duckdb"
    build_with_deals(build_db, 3)
    publish_marts(build_db, serving_db, MARTS, "run-1")
    # A separate process, like a BI tool, holds the serving file open read-only during the rebuild.
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys\n"
            f"con = duckdb.connect({str(serving_db)!r}, read_only=True)\n"
            "print(con.execute('select count(*) from fct_deals').fetchone()[0], flush=True)\n"
            "sys.stdin.readline()\n"
            "print(con.execute('select count(*) from fct_deals').fetchone()[0], flush=True)\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "3"
        build_with_deals(build_db, 5)
        publish_marts(build_db, serving_db, MARTS, "run-2")
        out, _ = reader.communicate("\n", timeout=30)
    finally:
        reader.kill()
    assert out.strip() == "3"  # the old connection still reads the old version, without error
    assert reader.returncode == 0
    assert deal_count(serving_db) == 5  # a new connection sees the new one


def test_rollback_restores_the_previous_version_and_keeps_three(tmp_path):
    build_db, serving_db = tmp_path / "build.duckdb", tmp_path / "serving.duckdb"
    for run, deals in enumerate((1, 2, 3, 4, 5), start=1):
        build_with_deals(build_db, deals)
        publish_marts(build_db, serving_db, MARTS, f"run-{run}")
    assert len(published_versions(serving_db)) == 3
    assert deal_count(serving_db) == 5
    rollback(serving_db)
    assert deal_count(serving_db) == 4
    rollback(serving_db)
    assert deal_count(serving_db) == 3


def test_rollback_without_a_kept_version_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="No earlier version"):
        rollback(tmp_path / "serving.duckdb")
