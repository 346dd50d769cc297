"""Validate a DataFrame against a Great Expectations suite stored as JSON in `expectations/`.

The pandas data source is used on purpose: GE's SQL data source through duckdb-engine returns empty
results for DuckDB (BRIEF section 4), so the mart is read from DuckDB into a DataFrame first.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

# The step from one period start to the next, per grain; GE has no expectation for gaps in a date spine.
PERIOD_FREQUENCIES = {"day": "D", "week": "7D", "month": "MS", "quarter": "QS"}

# GE phones home and draws progress bars unless told not to; neither belongs in a pipeline log.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@dataclass(frozen=True)
class FailedExpectation:
    expectation: str
    column: str | None
    unexpected_count: int | None
    sample: list


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    evaluated: int
    rows: int
    failed: list[FailedExpectation] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return not self.failed


def load_suite_definition(path: Path) -> dict:
    definition = json.loads(path.read_text())
    if "expectations" not in definition:
        raise ValueError(f"{path}: not an expectation suite (no 'expectations' list)")
    return definition


def missing_periods(frame: pd.DataFrame, spine: dict) -> list[str]:
    """The periods missing from a table with a period spine (suite key `period_spine`).

    Per grain, the period starts must run without a gap from the first to the last; with
    `partition_columns`, every partition (e.g. every dimension value) must have all of them.
    """
    grain_column, start_column = spine["grain_column"], spine["start_column"]
    partition_columns = spine.get("partition_columns", [])
    missing: list[str] = []
    for grain, rows in frame.groupby(grain_column):
        starts = pd.to_datetime(rows[start_column])
        expected = pd.date_range(starts.min(), starts.max(), freq=PERIOD_FREQUENCIES[grain])
        missing += [f"{grain} {day.date()}" for day in expected.difference(starts)]
        for partition, partition_rows in rows.groupby(partition_columns) if partition_columns else []:
            gaps = expected.difference(pd.to_datetime(partition_rows[start_column]))
            missing += [f"{grain} {day.date()} {partition}" for day in gaps]
    return missing


def validate_dataframe(frame: pd.DataFrame, suite_path: Path) -> SuiteResult:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    definition = load_suite_definition(suite_path)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas("dealledger")
        .add_dataframe_asset(suite_path.stem)
        .add_batch_definition_whole_dataframe("whole_table")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = gx.ExpectationSuite(name=definition.get("name", suite_path.stem), expectations=definition["expectations"])
    validation = batch.validate(suite)
    failed = [
        FailedExpectation(
            expectation=result.expectation_config.type,
            column=result.expectation_config.kwargs.get("column"),
            unexpected_count=result.result.get("unexpected_count"),
            sample=list(result.result.get("partial_unexpected_list", []))[:5],
        )
        for result in validation.results
        if not result.success
    ]
    evaluated = len(validation.results)
    if "period_spine" in definition:
        evaluated += 1
        gaps = missing_periods(frame, definition["period_spine"])
        if gaps:
            failed.append(
                FailedExpectation(
                    expectation="period_spine_complete",
                    column=definition["period_spine"]["start_column"],
                    unexpected_count=len(gaps),
                    sample=gaps[:5],
                )
            )
    return SuiteResult(suite=suite.name, evaluated=evaluated, rows=len(frame), failed=failed)


def columns_to_read(definition: dict, table_columns: list[str]) -> list[str]:
    """The table's columns that the suite names anywhere (columns, row conditions, period spine).

    A mart's other columns are not read into pandas: at 1M deals the whole marts that the two workers
    held at once were most of the run's peak memory. Naming a column too many only costs memory.
    """
    if any(expectation["type"].startswith("expect_table_column") for expectation in definition["expectations"]):
        return table_columns  # expectations on the table's column set need every column
    named = json.dumps([expectation["kwargs"] for expectation in definition["expectations"]])
    named += json.dumps(definition.get("period_spine", {}))
    words = set(re.findall(r"\w+", named))
    # A suite that names no column (only the row count) still needs the rows: one column carries them.
    return [column for column in table_columns if column in words] or table_columns[:1]


def validate_table(database: Path, config: dict[str, str], table: str, suite_path: Path) -> SuiteResult:
    """Read the suite's columns of `table` from the DuckDB file (read-only) and validate them; what a
    validation worker runs."""
    with duckdb.connect(str(database), read_only=True, config=config) as con:
        columns = columns_to_read(load_suite_definition(suite_path), con.table(table).columns)
        select_list = ", ".join(f'"{column}"' for column in columns)
        frame = con.execute(f"select {select_list} from {table}").df()
    return validate_dataframe(frame, suite_path)
