"""The dbt project as Dagster assets: models and seeds as assets, dbt tests as asset checks."""

import contextlib
import json
import shutil
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cached_property
from importlib.metadata import version
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetsDefinition
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from packaging.version import Version

from dealledger.assets.ingest import DUCKDB_WRITER_POOL
from dealledger.quality.workers import SuiteValidators
from dealledger.serving.publish import MartTable
from dealledger.settings import load_settings

MARTS_FOLDER = "marts"
PARSE_STATE_FILE = "partial_parse.msgpack"
# How many run folders of dbt's artifacts and log the home keeps: the newest ones; older ones are removed.
DBT_RUNS_KEPT = 5


class LayerTranslator(DagsterDbtTranslator):
    """Asset groups follow the dbt folders: staging, intermediate, marts (and seeds)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else None


class DbtCli(DbtCliResource):
    """dagster-dbt's dbt resource without two start-up costs of every `dbt build` that we do not use.

    dagster-dbt asks the dbt executable for its version (`dbt --version`: 4.6 s of imports and a PyPI
    lookup) and opens a dbt adapter in this process (3.4 s), only for `fetch_row_counts` and
    `fetch_column_metadata`, which the pipeline does not call. Together they were a fifth of the demo's
    dbt step. Both are private to dagster-dbt 0.29 (pinned); tests/test_pipeline.py runs this resource.
    """

    @cached_property
    def _cli_version(self) -> Version:
        # The dbt beside this Python is the dbt-core package installed with it; anything else is asked.
        if Path(self.dbt_executable) == Path(sys.executable).parent / "dbt":
            return Version(version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):  # noqa: ANN001, ANN202 (dagster-dbt's signature)
        return None


def dbt_project(project_dir: Path) -> DbtProject:
    return DbtProject(project_dir=project_dir, profiles_dir=project_dir)


def mart_tables(manifest_path: Path) -> list[MartTable]:
    """The models under `marts/`: what BI reads and publish copies."""
    manifest = json.loads(manifest_path.read_text())
    return sorted(
        (
            MartTable(name=node["alias"] or node["name"], schema=node["schema"])
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node["fqn"][1:2] == [MARTS_FOLDER]
        ),
        key=lambda mart: mart.name,
    )


def build_dbt_assets(project: DbtProject) -> AssetsDefinition:
    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=LayerTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
        pool=DUCKDB_WRITER_POOL,
    )
    def dealledger_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, suite_validators: SuiteValidators):
        # The check step's workers fork from a server that imports Great Expectations now, beside dbt's start-up.
        suite_validators.start_importing()
        # Incremental models read only new loads unless a full refresh is asked for (docs/benchmarks.md).
        settings = load_settings()
        full_refresh = ["--full-refresh"] if settings.dbt_full_refresh else []
        # dbt unit tests check the model logic on fixed inputs, not the data: they run in the test suite
        # (tests/test_dbt_unit.py), not in every pipeline run.
        invocation = dbt.cli(
            ["build", "--exclude-resource-type", "unit_test", *full_refresh],
            target_path=run_target(settings.home, context.run.run_id),
            context=context,
        )
        yield from invocation.stream()
        keep_parse_state(invocation.target_path, Path(dbt.project_dir))

    return dealledger_dbt_models


def run_target(home: Path, run_id: str) -> Path:
    """The folder of this run's dbt artifacts and log: `$DEALLEDGER_HOME/dbt_runs/<time>-<run id>`, with the
    newest DBT_RUNS_KEPT - 1 of the earlier ones kept. dagster-dbt's default is a new folder in the dbt
    project for every call, never removed: 10 MB per run, 1.8 GB in a working copy after 184 runs."""
    runs = home / "dbt_runs"
    runs.mkdir(parents=True, exist_ok=True)
    earlier = sorted(runs.iterdir())
    for stale in earlier[: max(0, len(earlier) - (DBT_RUNS_KEPT - 1))]:
        shutil.rmtree(stale, ignore_errors=True)
    return runs / f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{run_id[:8]}"


def keep_parse_state(invocation_target: Path, project_dir: Path) -> None:
    """Keep the parse state the run's dbt saved as the project's, which dagster-dbt hands to the next run.

    dbt parses the whole project again when the profile differs from the one the state was saved with, and
    the profile holds the home's database and spill folder: every run of a home other than the one the
    state was saved for parsed everything (`dbt parse` of the project: 7.5 s against 3.3 s). A project
    folder that cannot be written only costs that parse.
    """
    with contextlib.suppress(OSError):
        shutil.copyfile(invocation_target / PARSE_STATE_FILE, project_dir / "target" / PARSE_STATE_FILE)
