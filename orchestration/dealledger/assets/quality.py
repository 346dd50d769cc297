"""Great Expectations suites from `expectations/` as blocking asset checks on the marts."""

import json
from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from dealledger.assets.ingest import DUCKDB_WRITER_POOL
from dealledger.quality.expectations import FailedExpectation, SuiteResult, load_suite_definition
from dealledger.quality.workers import SuiteValidators
from dealledger.resources import Warehouse
from dealledger.serving.publish import MartTable


def describe_rule(expectation_type: str, kwargs: dict) -> str:
    """An expectation as a rule a reader can check: `amount_eur >= 0`, `deal_id is unique`."""
    column = kwargs.get("column", "row count")
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if expectation_type.endswith("_to_be_between"):
        bounds = [f"{column} >= {low}"] * (low is not None) + [f"{column} <= {high}"] * (high is not None)
        rule = " and ".join(bounds)
    elif expectation_type.endswith("_to_not_be_null"):
        rule = f"{column} is not empty"
    elif expectation_type.endswith("_to_be_unique"):
        rule = f"{column} is unique"
    elif expectation_type.endswith("_to_be_in_set"):
        rule = f"{column} in ({', '.join(map(str, kwargs.get('value_set', [])))})"
    else:
        rule = f"{expectation_type} on {column}"
    condition = kwargs.get("row_condition")
    return f"{rule} where {describe_condition(condition)}" if condition else rule


def describe_condition(condition: dict) -> str:
    """A suite's row condition (GE's condition objects, as JSON) as a reader writes it: `status == "won"`."""
    kind = condition["type"]
    if kind in ("and", "or"):
        return f" {kind} ".join(f"({describe_condition(part)})" for part in condition["conditions"])
    column = condition["column"]["name"]
    if kind == "nullity":
        return f"{column} is {'' if condition['is_null'] else 'not '}empty"
    return f"{column} {condition['operator']} {json.dumps(condition['parameter'])}"


def _failure_line(failed: FailedExpectation, suite: dict, rows: int) -> str:
    # The suite's own kwargs (bounds, value sets) make the message concrete; match by type and column.
    kwargs = next(
        (
            expectation.get("kwargs", {})
            for expectation in suite["expectations"]
            if (expectation["type"], expectation.get("kwargs", {}).get("column")) == (failed.expectation, failed.column)
        ),
        {"column": failed.column},
    )
    rule = describe_rule(failed.expectation, kwargs)
    if failed.unexpected_count is None:  # a table-level expectation: no rows to point at
        return f"expectation {rule} failed ({rows} rows in the table)"
    sample = f", e.g. {', '.join(map(str, failed.sample))}" if failed.sample else ""
    return f"expectation {rule} failed for {failed.unexpected_count} of {rows} rows{sample}"


def _check_result(mart: MartTable, suite_path: Path, result: SuiteResult) -> AssetCheckResult:
    suite = load_suite_definition(suite_path)
    failures = [_failure_line(failed, suite, result.rows) for failed in result.failed]
    return AssetCheckResult(
        asset_key=AssetKey([mart.name]),
        check_name=suite_check_name(suite_path),
        passed=result.success,
        description="\n".join(failures) or None,
        metadata={
            "expectations_evaluated": result.evaluated,
            "expectations_failed": len(result.failed),
            "rows_validated": result.rows,
            "failures": MetadataValue.json(failures),
        },
    )


def suite_check_name(suite_path: Path) -> str:
    return f"great_expectations_{suite_path.stem}"


def build_suite_checks(marts: list[MartTable], expectations_dir: Path) -> AssetChecksDefinition:
    """One blocking check per `expectations/<mart>.json`; a suite for a mart that does not exist is an error.

    All suites run in one step (one step's Dagster overhead instead of one per suite), shared between the
    validation workers; the UI still shows each suite as its own check on its mart.
    """
    by_name = {mart.name: mart for mart in marts}
    suites = sorted(expectations_dir.glob("*.json"))
    for suite_path in suites:
        if suite_path.stem not in by_name:
            raise ValueError(f"{suite_path}: no mart named {suite_path.stem} (marts: {', '.join(by_name)})")
    specs = [
        AssetCheckSpec(
            suite_check_name(suite_path),
            asset=AssetKey([suite_path.stem]),
            blocking=True,
            description=f"Great Expectations suite expectations/{suite_path.name} on {suite_path.stem}.",
        )
        for suite_path in suites
    ]

    @multi_asset_check(
        name="great_expectations_suites",
        specs=specs,
        can_subset=True,
        # Only reads, but DuckDB refuses even a read-only open while another process writes the file.
        pool=DUCKDB_WRITER_POOL,
    )
    def great_expectations_suites(
        context: AssetCheckExecutionContext, warehouse: Warehouse, suite_validators: SuiteValidators
    ):
        selected_names = {key.name for key in context.selected_asset_check_keys}
        selected = [(by_name[path.stem], path) for path in suites if suite_check_name(path) in selected_names]
        tables = [(f"{mart.schema}.{mart.name}", path) for mart, path in selected]
        results = suite_validators.validate(warehouse.build_db, warehouse.duckdb_config, tables)
        for (mart, suite_path), result in zip(selected, results, strict=True):
            yield _check_result(mart, suite_path, result)

    return great_expectations_suites
