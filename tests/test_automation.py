"""The inbox sensor and the daily schedule, evaluated for real against a temporary inbox."""

from __future__ import annotations

import re
import shutil
import subprocess

from dagster import AssetKey, DagsterInstance, RunRequest, build_sensor_context

from conftest import settings_for
from dealledger.assets.ingest import DUCKDB_WRITER_POOL
from dealledger.definitions import PIPELINE_JOB, build_definitions
from dealledger.ingest.layouts import LAYOUTS
from dealledger.settings import REPO_ROOT

INGEST_CHECKS = {"rows_accounted_for", "reject_rate_within_threshold", "export_is_fresh", "no_file_quarantined"}


def tick(defs):
    sensor = defs.resolve_sensor_def("inbox_sensor")
    # A context manager: a resource with a teardown (the suite validators) is only built inside one.
    with build_sensor_context(resources=defs.resources, definitions=defs) as context:
        return sensor.evaluate_tick(context)


def test_sensor_requests_one_run_per_new_set_of_files(tmp_path, monkeypatch):
    settings = settings_for(tmp_path, monkeypatch)
    defs = build_definitions(settings)

    empty = tick(defs)
    assert not empty.run_requests
    assert "No exports" in (empty.skip_message or "")

    settings.inbox_dir.mkdir(parents=True)
    (settings.inbox_dir / "crm_users_20261031.csv").write_text("owner_id,full_name,email,team,is_active\n")
    (settings.inbox_dir / "readme.txt").write_text("not an export")
    first = tick(defs)
    assert len(first.run_requests) == 1
    request: RunRequest = first.run_requests[0]
    assert request.job_name in (None, PIPELINE_JOB)

    # Same files, same content: the same run key, which Dagster runs only once.
    assert tick(defs).run_requests[0].run_key == request.run_key
    # New content under the same name is a new set of files.
    (settings.inbox_dir / "crm_users_20261031.csv").write_text(
        "owner_id,full_name,email,team,is_active\nU1,A,a@x.nl,Noord,true\n"
    )
    assert tick(defs).run_requests[0].run_key != request.run_key


def test_schedule_runs_the_pipeline_daily(tmp_path, monkeypatch):
    defs = build_definitions(settings_for(tmp_path, monkeypatch))
    schedule = defs.resolve_schedule_def("daily_pipeline")
    assert schedule.job_name == PIPELINE_JOB
    assert schedule.cron_schedule == "0 6 * * *"


def test_the_ui_shows_sensor_schedule_checks_and_publish_asset(tmp_path, monkeypatch):
    """What `dagster dev -m dealledger.definitions` lists, read from the same Definitions."""
    defs = build_definitions(settings_for(tmp_path, monkeypatch))
    graph = defs.resolve_asset_graph()
    assert defs.resolve_sensor_def("inbox_sensor").job_name == PIPELINE_JOB
    assert defs.resolve_schedule_def("daily_pipeline").job_name == PIPELINE_JOB
    publish = graph.get(AssetKey(["serving_database"]))
    assert publish.group_name == "publish"
    assert {AssetKey(["fct_deals"]), AssetKey(["fct_invoices"])} <= publish.parent_keys
    checks = {(key.asset_key, key.name) for key in graph.asset_check_keys}
    for layout in LAYOUTS:
        assert {(AssetKey([layout.source, layout.table]), name) for name in INGEST_CHECKS} <= checks
    for suite in (REPO_ROOT / "expectations").glob("*.json"):
        assert (AssetKey([suite.stem]), f"great_expectations_{suite.stem}") in checks
    assert (AssetKey(["fct_deals"]), "primary_key_fct_deals_deal_id") in checks
    specs = [spec for step in (*defs.assets, *defs.asset_checks) for spec in step.check_specs]
    blocking = {spec.name for spec in specs if spec.blocking}
    assert {"rows_accounted_for", "reject_rate_within_threshold", "great_expectations_fct_deals"} <= blocking


def test_every_step_that_opens_duckdb_is_in_one_pool_of_one(tmp_path, monkeypatch):
    defs = build_definitions(settings_for(tmp_path, monkeypatch))
    steps = [*defs.assets, *defs.asset_checks]
    assert {step.op.pool for step in steps} == {DUCKDB_WRITER_POOL}
    # The instance settings `make dagster` copies into DAGSTER_HOME: that pool runs one step at a time.
    shutil.copy(REPO_ROOT / "orchestration" / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with DagsterInstance.get() as instance:
        config = instance.get_concurrency_config()
    assert config.pool_config.default_pool_limit == 1
    assert config.pool_config.pool_granularity.value == "op"
    assert config.run_queue_config.max_concurrent_runs == 1


def test_dbt_resource_knows_the_dbt_version_without_asking_dbt(tmp_path, monkeypatch):
    """DbtCli reads the version from the installed package instead of running `dbt --version`: the same."""
    settings = settings_for(tmp_path, monkeypatch)
    resource = build_definitions(settings).resources["dbt"]
    printed = subprocess.run([str(settings.dbt_executable), "--version"], capture_output=True, text=True, check=True)
    installed = re.search(r"installed:\s*(\d+\.\d+\.\d+)", printed.stdout).group(1)
    assert str(resource._cli_version) == installed
