"""Write, audit, publish: the serving file is replaced whole or not at all, and readers never break."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from conftest import dbt_parse
from dealledger.assets.transform import mart_tables
from dealledger.demo.generator import generate_demo
from dealledger.serving.publish import MartTable, publish_marts, published_versions, rollback
from dealledger.settings import REPO_ROOT

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


def test_a_kept_version_is_the_published_file_under_a_second_name_not_a_copy(tmp_path):
    build_db, serving_db = tmp_path / "build.duckdb", tmp_path / "serving.duckdb"
    build_with_deals(build_db, 1)
    publish_marts(build_db, serving_db, MARTS, "run-1")
    published = serving_db.stat()
    build_with_deals(build_db, 2)
    publish_marts(build_db, serving_db, MARTS, "run-2")
    (kept,) = published_versions(serving_db)
    assert (kept.stat().st_dev, kept.stat().st_ino) == (published.st_dev, published.st_ino)
    assert deal_count(kept) == 1
    assert deal_count(serving_db) == 2


def test_rollback_without_a_kept_version_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="No earlier version"):
        rollback(tmp_path / "serving.duckdb")


# --- The real pipeline in subprocesses: `dealledger run` against one home, step by step -------------------
#
# The tests below share one home and run in file order: publish (fixture), a killed build, a rebuild
# under a reader, two blocked runs, rollback. Each asserts on the serving file's bytes and run id.


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "dealledger.cli", *args]


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def publication(serving_db: Path) -> tuple[str, datetime]:
    with duckdb.connect(str(serving_db), read_only=True) as con:
        return con.execute("select run_id, published_at from dealledger_publication").fetchone()


@dataclass
class Home:
    path: Path
    env: dict[str, str]
    run_ids: list[str] = field(default_factory=list)

    @property
    def serving_db(self) -> Path:
        return self.path / "serving.duckdb"

    def logs(self) -> list[Path]:
        """The run logs, one per `dealledger run`: what the steps printed, dbt's output above all."""
        return sorted((self.path / "logs").glob("run-*.log"))

    def run(self, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            cli(*args), env={**self.env, **(extra_env or {})}, capture_output=True, text=True, timeout=900
        )

    def run_and_publish(self) -> str:
        """A `dealledger run` that must succeed; returns the run id it published."""
        done = self.run("run")
        assert done.returncode == 0, done.stderr[-3000:]
        run_id = publication(self.serving_db)[0]
        assert run_id not in self.run_ids
        self.run_ids.append(run_id)
        return run_id


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    path = tmp_path_factory.mktemp("serving-home")
    generate_demo(path / "inbox", path / "demo_truth", deals=60, seed=11, crm_exports=1)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "orchestration"), "DEALLEDGER_HOME": str(path)}
    env.pop("DEALLEDGER_INBOX", None)
    published = Home(path, env)
    published.run_and_publish()
    return published


def test_the_serving_file_holds_only_documented_marts_without_pii(home: Home):
    manifest = json.loads((REPO_ROOT / "dbt_project" / "target" / "manifest.json").read_text())
    descriptions = {
        node["name"]: node["description"] for node in manifest["nodes"].values() if node["resource_type"] == "model"
    }
    marts = {mart.name for mart in mart_tables(REPO_ROOT / "dbt_project" / "target" / "manifest.json")}
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        tables = {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}
        columns = [row[0] for row in con.execute("select column_name from information_schema.columns").fetchall()]
        storage = con.execute(
            "select tags['storage_version'] from duckdb_databases() where database_name = 'serving'"
        ).fetchone()[0]
    assert tables == marts | {"dealledger_publication"}
    assert all(descriptions[table].strip() for table in marts), "every published mart is documented in dbt"
    assert not [column for column in columns if re.search(r"e_?mail|phone|first_name|last_name", column)]
    assert storage == "v1.0.0+"


def test_killing_the_pipeline_during_dbt_build_leaves_the_serving_file_intact(home: Home, tmp_path: Path):
    before = file_hash(home.serving_db)
    earlier_logs = set(home.logs())
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        # Its own process group, so the kill reaches dbt (a child process) as well.
        pipeline = subprocess.Popen(cli("run"), env=home.env, stdout=stdout, stderr=stderr, start_new_session=True)
        try:
            deadline = time.monotonic() + 600
            # dbt has started building models: its own "START sql table model" lines are in the run's log.
            while not any("START sql table model" in log.read_text() for log in set(home.logs()) - earlier_logs):
                assert pipeline.poll() is None, err.read_text()[-3000:]
                assert time.monotonic() < deadline, "dbt build did not start"
                time.sleep(0.2)
            os.killpg(pipeline.pid, signal.SIGKILL)
            assert pipeline.wait(timeout=30) == -signal.SIGKILL
        finally:
            if pipeline.poll() is None:
                os.killpg(pipeline.pid, signal.SIGKILL)
    assert "▶ dealledger_dbt_models" in err.read_text()
    assert file_hash(home.serving_db) == before
    assert publication(home.serving_db)[0] == home.run_ids[-1]
    # The next run, which recovers the half-written build database, is the rebuild of the next test.


READER = """
import duckdb, json, pathlib, sys, time
con = duckdb.connect(sys.argv[1], read_only=True)
stop = pathlib.Path(sys.argv[2])
seen, errors, queries = set(), [], 0
print("ready", flush=True)
while not stop.exists():
    try:
        seen.add(con.execute(
            "select (select run_id from dealledger_publication), (select count(*) from fct_deals)"
        ).fetchone())
    except Exception as error:
        errors.append(repr(error))
    queries += 1
    time.sleep(0.1)
print(json.dumps({"seen": sorted(seen), "errors": errors, "queries": queries}), flush=True)
"""


def test_a_reader_holding_the_serving_file_during_a_full_rebuild(home: Home, tmp_path: Path):
    """Also the first run after the killed one: it must recover the build database and publish."""
    old_run = publication(home.serving_db)[0]
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(home.serving_db), str(stop)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout.readline().strip() == "ready"
        new_run = home.run_and_publish()  # a whole `dealledger run` while the reader queries
        stop.touch()
        report = json.loads(reader.stdout.readline())
        assert reader.wait(timeout=30) == 0
    finally:
        reader.kill()
    assert report["errors"] == []
    assert report["queries"] > 10
    assert [run_id for run_id, _ in report["seen"]] == [old_run]  # only ever the old version
    assert publication(home.serving_db)[0] == new_run != old_run  # a new connection sees the new one


def blocked_run(home: Home, extra_env: dict[str, str] | None = None) -> str:
    """A run that must fail without touching the serving file; returns what it printed."""
    before = file_hash(home.serving_db)
    run_id, published_at = publication(home.serving_db)
    done = home.run("run", extra_env=extra_env)
    assert done.returncode == 1
    assert file_hash(home.serving_db) == before
    assert (
        f"The serving file was NOT replaced: dashboards still show the run published at "
        f"{published_at:%Y-%m-%d %H:%M} UTC (run {run_id[:8]})." in done.stderr
    )
    return done.stderr


def test_a_failed_expectation_blocks_publishing_and_says_why(home: Home, tmp_path: Path):
    project = tmp_path / "dbt_project"
    shutil.copytree(REPO_ROOT / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs"))
    project_yml = project / "dbt_project.yml"
    project_yml.write_text(project_yml.read_text().replace("../seeds", str(REPO_ROOT / "seeds")))
    fct_deals = next(project.rglob("fct_deals.sql"))
    # Break the mart the way a bad join would: one open deal's amount turns negative. Only the GE suite
    # guards that (downstream dbt tests catch a mart full of negative amounts before it).
    fct_deals.write_text(
        f"with built as (\n{fct_deals.read_text()}\n)\n"
        "select * replace (\n"
        "    case when deal_id = (select min(deal_id) from built where status = 'open')\n"
        "    then -amount_eur else amount_eur end as amount_eur\n"
        ") from built"
    )
    dbt_parse(project)
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        deals = con.execute("select count(*) from fct_deals").fetchone()[0]

    err = blocked_run(home, {"DEALLEDGER_DBT_PROJECT_DIR": str(project)})
    assert "✘ fct_deals: check great_expectations_fct_deals failed" in err
    assert f"expectation amount_eur >= 0 failed for 1 of {deals} rows, e.g. -" in err
    assert "What it means: the table breaks a rule of its quality suite (expectations/<table>.json)." in err
    assert "What to do: correct the records in the CRM or billing system" in err


def test_an_export_with_too_many_bad_rows_blocks_publishing_and_names_the_lines(home: Home):
    newest = sorted(home.path.glob("inbox/billing_invoices_*.csv"))[-1]
    with newest.open(newline="") as source:
        header, *rows = list(csv.reader(source))
    for row in rows[:3]:  # an amount no reader can parse, on data lines 2, 3 and 4
        row[header.index("net_amount")] = "12.5O"
    bad_file = home.path / "inbox" / "billing_invoices_20991231.csv"
    with bad_file.open("w", newline="") as target:
        csv.writer(target, lineterminator="\n").writerows([header, *rows])

    err = blocked_run(home)
    assert "✘ billing/invoices: check reject_rate_within_threshold failed" in err
    assert f"billing_invoices_20991231.csv: 3 of {len(rows)} rows rejected. First bad lines: line 2 (" in err
    assert "What to do: have the export fixed where it is made" in err


def test_rollback_restores_the_previously_published_version(home: Home):
    kept = published_versions(home.serving_db)[-1]
    kept_hash = file_hash(kept)
    assert publication(kept)[0] == home.run_ids[-2]
    done = home.run("rollback")
    assert done.returncode == 0, done.stderr
    assert file_hash(home.serving_db) == kept_hash
    assert publication(home.serving_db)[0] == home.run_ids[-2]


def test_sql_reads_the_serving_file_and_refuses_writes(home: Home):
    read = home.run("sql", "select count(*) as deals from fct_deals")
    assert read.returncode == 0, read.stderr
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        assert str(con.execute("select count(*) from fct_deals").fetchone()[0]) in read.stdout
    before = file_hash(home.serving_db)
    write = home.run("sql", "delete from fct_deals")
    assert write.returncode == 1
    assert "refused: the serving file is read-only" in write.stderr
    assert file_hash(home.serving_db) == before


def test_docs_writes_an_offline_dbt_docs_site_with_the_model_descriptions(home: Home):
    done = home.run("docs")
    assert done.returncode == 0, done.stderr[-3000:]
    site = (home.path / "docs" / "index.html").read_text()
    manifest = json.loads((REPO_ROOT / "dbt_project" / "target" / "manifest.json").read_text())
    fct_deals = next(node for node in manifest["nodes"].values() if node["name"] == "fct_deals")
    assert json.dumps(fct_deals["description"])[1:-1] in site
    assert '"fct_deals"' in site  # the catalog, read from the build database, is inlined too
    # One file, nothing fetched: no script or stylesheet from another host.
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']https?://", site)
