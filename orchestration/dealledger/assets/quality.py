"""Great Expectations suites from `expectations/` as blocking asset checks on the marts."""

from pathlib import Path

from dagster import AssetCheckResult, AssetChecksDefinition, AssetKey, MetadataValue, asset_check

from dealledger.quality.expectations import validate_dataframe
from dealledger.resources import Warehouse
from dealledger.serving.publish import MartTable


def build_suite_check(mart: MartTable, suite_path: Path) -> AssetChecksDefinition:
    @asset_check(
        asset=AssetKey([mart.name]),
        name=f"great_expectations_{suite_path.stem}",
        blocking=True,
        description=f"Great Expectations suite expectations/{suite_path.name} on {mart.name}.",
    )
    def suite_check(warehouse: Warehouse) -> AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            frame = con.execute(f"select * from {mart.schema}.{mart.name}").df()
        result = validate_dataframe(frame, suite_path)
        failures = [
            f"{failed.expectation} on {failed.column or 'table'}: "
            f"{failed.unexpected_count if failed.unexpected_count is not None else 'some'} unexpected values, "
            f"e.g. {failed.sample}"
            for failed in result.failed
        ]
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
