"""Run the dealledger job in this process and write when each step started and ended (JSON).

Started by benchmarks.run as its own process, so that the memory of the pipeline (and of the dbt
subprocess it starts) is measured alone. Usage: python -m benchmarks.pipeline_child TIMINGS_JSON
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

STEP_END_EVENTS = ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED")


def main(timings_path: Path) -> int:
    started = time.time()
    from dagster import DagsterEventType, DagsterInstance

    from dealledger.assets.ingest import build_ingest_assets
    from dealledger.cli import ensure_dbt_manifest
    from dealledger.definitions import PIPELINE_JOB, build_definitions
    from dealledger.settings import load_settings

    settings = load_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    ensure_dbt_manifest(settings)
    job = build_definitions(settings).resolve_job_def(PIPELINE_JOB)
    ingest_op = build_ingest_assets().op.name
    with DagsterInstance.ephemeral() as instance:
        job_started = time.time()
        # The loggers of `dealledger run` (cli.run_pipeline): Dagster's default ones format every event.
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config={"loggers": {"progress": {}}}
        )
        steps: dict[str, dict[str, float | str]] = {}
        for entry in instance.all_logs(result.run_id):
            event = entry.dagster_event
            if event is None or event.step_key is None:
                continue
            step = steps.setdefault(event.step_key, {"step": event.step_key})
            if event.event_type == DagsterEventType.STEP_START:
                step["start"] = entry.timestamp
            elif event.event_type_value in STEP_END_EVENTS:
                step["end"] = entry.timestamp
                step["outcome"] = event.event_type_value
    for step in steps.values():
        name = str(step["step"])
        op = name.split("[")[0]
        step["kind"] = (
            "ingest"
            if op == ingest_op
            else "dbt build"
            if "dbt" in op
            else "publish"
            if op == "serving_database"
            else "checks"
        )
    timings = {
        "process_started": started,
        "job_started": job_started,
        "job_ended": time.time(),
        "success": result.success,
        "steps": list(steps.values()),
    }
    timings_path.write_text(json.dumps(timings, indent=1))
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
