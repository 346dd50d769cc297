"""Great Expectations suites from `expectations/` as blocking asset checks on the marts."""

from pathlib import Path

from dagster import AssetCheckResult, AssetChecksDefinition, AssetKey, MetadataValue, asset_check

from dealledger.assets.ingest import DUCKDB_WRITER_POOL
from dealledger.quality.expectations import FailedExpectation, load_suite_definition, validate_dataframe
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
    return f"{rule} where {condition}" if condition else rule


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


def build_suite_check(mart: MartTable, suite_path: Path) -> AssetChecksDefinition:
    @asset_check(
        asset=AssetKey([mart.name]),
        name=f"great_expectations_{suite_path.stem}",
        blocking=True,
        # Only reads, but DuckDB refuses even a read-only open while another process writes the file.
        pool=DUCKDB_WRITER_POOL,
        description=f"Great Expectations suite expectations/{suite_path.name} on {mart.name}.",
    )
    def suite_check(warehouse: Warehouse) -> AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            frame = con.execute(f"select * from {mart.schema}.{mart.name}").df()
        result = validate_dataframe(frame, suite_path)
        suite = load_suite_definition(suite_path)
        failures = [_failure_line(failed, suite, len(frame)) for failed in result.failed]
        return AssetCheckResult(
            passed=result.success,
            description="\n".join(failures) or None,
            metadata={
                "expectations_evaluated": result.evaluated,
                "expectations_failed": len(result.failed),
                "rows_validated": len(frame),
                "failures": MetadataValue.json(failures),
            },
        )

    return suite_check


def build_suite_checks(marts: list[MartTable], expectations_dir: Path) -> list[AssetChecksDefinition]:
    """One check per `expectations/<mart>.json`; a suite for a mart that does not exist is an error."""
    by_name = {mart.name: mart for mart in marts}
    checks = []
    for suite_path in sorted(expectations_dir.glob("*.json")):
        if suite_path.stem not in by_name:
            raise ValueError(f"{suite_path}: no mart named {suite_path.stem} (marts: {', '.join(by_name)})")
        checks.append(build_suite_check(by_name[suite_path.stem], suite_path))
    return checks
