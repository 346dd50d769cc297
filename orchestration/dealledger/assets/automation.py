"""When the pipeline runs: a sensor on the inbox (one run per new set of files) and a daily schedule."""

import hashlib

from dagster import (
    DefaultScheduleStatus,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    ScheduleDefinition,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from dealledger.assets.ingest import inbox_files
from dealledger.ingest.loader import content_hash
from dealledger.resources import Warehouse

DAILY_AT_SIX = "0 6 * * *"


def inbox_run_key(warehouse: Warehouse) -> str | None:
    """A key for the set of exports in the inbox by their content: the same files never run twice."""
    files = inbox_files(warehouse.inbox_dir)
    if not files:
        return None
    digest = hashlib.sha256()
    for path, _, _ in files:
        digest.update(f"{path.name}:{content_hash(path)}\n".encode())
    return digest.hexdigest()


def build_inbox_sensor(job: JobDefinition) -> SensorDefinition:
    @sensor(
        job=job,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description="Starts the pipeline when the set of exports in the inbox changes.",
    )
    def inbox_sensor(context: SensorEvaluationContext, warehouse: Warehouse):
        run_key = inbox_run_key(warehouse)
        if run_key is None:
            return SkipReason(f"No exports in {warehouse.inbox_dir}")
        return RunRequest(run_key=run_key, tags={"dealledger/trigger": "inbox"})

    return inbox_sensor


def build_daily_schedule(job: JobDefinition) -> ScheduleDefinition:
    return ScheduleDefinition(
        name="daily_pipeline",
        job=job,
        cron_schedule=DAILY_AT_SIX,
        default_status=DefaultScheduleStatus.STOPPED,
        description="Rebuilds and publishes every morning, also when no new export arrived.",
    )
