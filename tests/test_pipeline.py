"""The whole pipeline, for real: demo exports -> ingest -> dbt -> checks -> publish."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckSeverity, AssetKey, materialize

from conftest import DemoRun, settings_for
from dealledger.assets.transform import DBT_RUNS_KEPT, run_target
from dealledger.cli import main, print_headline
from dealledger.definitions import PIPELINE_JOB, build_definitions
from dealledger.demo.generator import generate_demo
from dealledger.ingest.layouts import LAYOUTS
from dealledger.ingest.loader import content_hash

MARTS = ("dim_accounts", "dim_sales_reps", "fct_deal_events", "fct_deals", "fct_invoices")


def table_fingerprint(db: Path, tables: tuple[str, ...]) -> dict[str, tuple]:
    """Row count and an order-independent hash of every row, per table."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {table: con.execute(f"select count(*), sum(hash(t)) from {table} as t").fetchone() for table in tables}


def test_definitions_load(tmp_path, monkeypatch):
    defs = build_definitions(settings_for(tmp_path, monkeypatch))
    job = defs.resolve_job_def(PIPELINE_JOB)
    asset_keys = {key for key in defs.resolve_asset_graph().get_all_asset_keys()}
    for layout in LAYOUTS:
        assert AssetKey([layout.source, layout.table]) in asset_keys
    for mart in (*MARTS, "serving_database"):
        assert AssetKey([mart]) in asset_keys
    assert job.name == PIPELINE_JOB  # sensor, schedule and checks: tests/test_automation.py
    # Ingest keys equal dbt source keys: staging models depend on the ingest assets directly.
    deps = defs.resolve_asset_graph().get(AssetKey(["stg_crm__deals"])).parent_keys
    assert AssetKey(["crm", "deals"]) in deps


def test_demo_run_publishes_the_truth(demo_run: DemoRun):
    assert demo_run.exit_code == 0
    with duckdb.connect(str(demo_run.serving_db), read_only=True) as con:
        deals, won, won_amount = con.execute(
            "select count(*), count(*) filter (where status = 'won'), "
            "sum(amount_eur) filter (where status = 'won') from fct_deals"
        ).fetchone()
        tables = {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}
    assert deals == demo_run.truth["deal_count"]
    assert won == demo_run.truth["won_count"]
    assert Decimal(won_amount) == Decimal(demo_run.truth["won_amount_eur"])
    # Only marts reach the serving file: no raw tables, no staging models with PII.
    assert set(MARTS) <= tables
    assert not any(name.startswith(("stg_", "int_", "raw")) for name in tables)


def test_the_headline_numbers_are_the_truth(demo_run: DemoRun, capsys):
    print_headline(demo_run.serving_db)
    truth = demo_run.truth
    won_eur = f"{Decimal(truth['won_amount_eur']):,.2f}"
    documents = truth["invoice_count"] + truth["credit_note_count"]
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == (
        f"Deals: {truth['deal_count']} real deals ({truth['won_count']} won, {truth['open_count']} open), "
        f"won amount EUR {won_eur}"
    )
    # Under the default booking policy (signature) every won deal is booked once.
    assert lines[1].startswith(f"Order intake counted once: {truth['won_count']} booked deals, EUR {won_eur}; ")
    assert (
        lines[2] == f"Invoices: {documents}, of which {documents - truth['unlinked_invoice_count']} matched to a deal"
    )


def test_every_row_read_is_loaded_or_rejected(demo_run: DemoRun):
    with duckdb.connect(str(demo_run.build_db), read_only=True) as con:
        files = con.execute(
            "select count(*), sum(rows_read), sum(rows_loaded), sum(rows_rejected) "
            "from raw_meta.loaded_files where status = 'loaded'"
        ).fetchone()
    # Daily exports that did not change are byte-identical: each distinct content is loaded once.
    distinct_contents = {content_hash(path) for path in demo_run.settings.inbox_dir.glob("*.csv")}
    assert files[0] == len(distinct_contents)
    assert files[1] == files[2] + files[3]
    assert files[3] == 0  # the demo exports are clean


def test_running_twice_on_the_same_inbox_changes_nothing(demo_run: DemoRun, monkeypatch):
    settings_for(demo_run.settings.home, monkeypatch)
    marts_before = table_fingerprint(demo_run.serving_db, MARTS)
    ledgers = ["raw_meta.loaded_files", "raw_meta.rejects", *(layout.raw_table for layout in LAYOUTS)]
    with duckdb.connect(str(demo_run.build_db), read_only=True) as con:
        counts_before = {table: con.execute(f"select count(*) from {table}").fetchone()[0] for table in ledgers}
    assert main(["run"]) == 0
    assert table_fingerprint(demo_run.serving_db, MARTS) == marts_before
    # Every file of the second run has a content hash loaded before: nothing is read again.
    with duckdb.connect(str(demo_run.build_db), read_only=True) as con:
        counts_after = {table: con.execute(f"select count(*) from {table}").fetchone()[0] for table in ledgers}
    assert counts_after == counts_before


def test_dbt_writes_its_log_and_artifacts_into_the_home_keeping_the_newest_runs(demo_run: DemoRun, tmp_path):
    runs = list((demo_run.settings.home / "dbt_runs").iterdir())
    assert runs and all((run / "dbt.log").is_file() and (run / "run_results.json").is_file() for run in runs)
    earlier = [f"2026010{day}T000000000000-run{day}" for day in range(7)]
    for name in earlier:
        (tmp_path / "dbt_runs" / name).mkdir(parents=True)
    new_run = run_target(tmp_path, "abcdefgh-run-id")
    # The newest earlier runs stay beside the new one, DBT_RUNS_KEPT in all; the folder is dbt's to create.
    assert sorted(path.name for path in (tmp_path / "dbt_runs").iterdir()) == earlier[-(DBT_RUNS_KEPT - 1) :]
    assert new_run.parent == tmp_path / "dbt_runs" and new_run.name.endswith("-abcdefgh") and not new_run.exists()


def test_materialize_all_assets_in_a_temporary_home(tmp_path, monkeypatch):
    settings = settings_for(tmp_path, monkeypatch)
    truth = generate_demo(settings.inbox_dir, tmp_path / "demo_truth", deals=150, seed=3)
    defs = build_definitions(settings)
    result = materialize([*defs.assets, *defs.asset_checks], resources=defs.resources)
    assert result.success
    # Warnings (an export older than its allowed age, say) do not count: only blocking checks must pass.
    assert all(
        evaluation.passed
        for evaluation in result.get_asset_check_evaluations()
        if evaluation.severity == AssetCheckSeverity.ERROR
    )
    with duckdb.connect(str(settings.home / "serving.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from fct_deals").fetchone()[0] == truth["deal_count"]


DEMO_LAYOUTS = [layout for layout in LAYOUTS if layout.source in ("crm", "billing")]


@pytest.mark.parametrize("layout", DEMO_LAYOUTS, ids=lambda layout: layout.kind)
def test_demo_writes_every_export_kind(demo_run: DemoRun, layout):
    assert list(demo_run.settings.inbox_dir.glob(f"{layout.kind}_*.csv"))
