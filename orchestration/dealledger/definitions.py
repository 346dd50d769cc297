"""The one Dagster `Definitions` of dealledger (`dagster dev -m dealledger.definitions`).

Built lazily by `@definitions`: importing this module opens no database and runs no dbt. The dbt
manifest must exist (`dbt parse`, done by `make` and the test fixtures).
"""

from __future__ import annotations

from dagster import (
    AssetSelection,
    Definitions,
    define_asset_job,
    definitions,
    in_process_executor,
)

from dealledger.assets.automation import build_daily_schedule, build_inbox_sensor
from dealledger.assets.ingest import build_ingest_assets
from dealledger.assets.publish import build_publish_asset
from dealledger.assets.quality import build_suite_checks
from dealledger.assets.transform import DbtCli, build_dbt_assets, dbt_project, mart_tables
from dealledger.progress import progress_logger
from dealledger.quality.workers import SuiteValidators
from dealledger.resources import Warehouse
from dealledger.settings import Settings, load_settings

PIPELINE_JOB = "dealledger_pipeline"


def build_definitions(settings: Settings) -> Definitions:
    project = dbt_project(settings.dbt_project_dir)
    marts = mart_tables(project.manifest_path)
    # One process, one step at a time: every step writes or reads the same DuckDB file.
    pipeline = define_asset_job(
        PIPELINE_JOB,
        selection=AssetSelection.all(),
        executor_def=in_process_executor,
        description="Ingest the inbox, build the dbt project, run every check, publish the serving file.",
    )
    return Definitions(
        assets=[build_ingest_assets(), build_dbt_assets(project), build_publish_asset(marts)],
        asset_checks=[build_suite_checks(marts, settings.expectations_dir)],
        jobs=[pipeline],
        sensors=[build_inbox_sensor(pipeline)],
        schedules=[build_daily_schedule(pipeline)],
        resources={
            "warehouse": Warehouse.from_settings(settings),
            "dbt": DbtCli(project_dir=project, dbt_executable=str(settings.dbt_executable)),
            "suite_validators": SuiteValidators(),
        },
        loggers={"progress": progress_logger},
    )


@definitions
def defs() -> Definitions:
    return build_definitions(load_settings())
