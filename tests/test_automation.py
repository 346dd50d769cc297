"""The inbox sensor and the daily schedule, evaluated for real against a temporary inbox."""

from __future__ import annotations

from dagster import RunRequest, build_sensor_context

from conftest import settings_for
from dealledger.definitions import PIPELINE_JOB, build_definitions


def tick(defs):
    sensor = defs.resolve_sensor_def("inbox_sensor")
    return sensor.evaluate_tick(build_sensor_context(resources=defs.resources, definitions=defs))


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
