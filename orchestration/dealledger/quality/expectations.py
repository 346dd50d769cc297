"""Validate a DataFrame against a Great Expectations suite stored as JSON in `expectations/`.

The pandas data source is used on purpose: GE's SQL data source through duckdb-engine returns empty
results for DuckDB (BRIEF section 4), so the mart is read from DuckDB into a DataFrame first (tables.py).
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

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


# Carried in each rule's `meta`: GE returns results grouped by column and errors first, not in suite order.
RULE_INDEX = "dealledger_rule_index"


def failures_on_frame(frame: pd.DataFrame, name: str, expectations: list[dict]) -> list[FailedExpectation | None]:
    """Great Expectations on one DataFrame: per expectation, in the order given, its failure or None."""
    import great_expectations as gx

    if not expectations:
        return []
    batch = _whole_frame_batches().get_batch(batch_parameters={"dataframe": frame})
    numbered = [
        {**expectation, "meta": {**expectation.get("meta", {}), RULE_INDEX: index}}
        for index, expectation in enumerate(expectations)
    ]
    outcomes: list[FailedExpectation | None] = [None] * len(expectations)
    for result in batch.validate(gx.ExpectationSuite(name=name, expectations=numbered)).results:
        if not result.success:
            outcomes[result.expectation_config.meta[RULE_INDEX]] = FailedExpectation(
                expectation=result.expectation_config.type,
                column=result.expectation_config.kwargs.get("column"),
                unexpected_count=result.result.get("unexpected_count"),
                sample=list(result.result.get("partial_unexpected_list", []))[:5],
            )
    return outcomes


@functools.cache
def _whole_frame_batches():
    """One ephemeral context and pandas batch definition per process, reused for every frame: set up per
    suite, they took a third of a demo run's validation time (each change to an ephemeral context is
    serialized to YAML)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GE fingerprints every DataFrame under this many bytes (an md5 over pandas' hash of every value) as a
    # batch marker, which nothing here reads: half of fct_deal_events' validation time at 1M deals. GE 1.x
    # reads the module constant at each batch; 0 turns the fingerprint off.
    pandas_execution_engine.HASH_THRESHOLD = 0
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return (
        context.data_sources.add_pandas("dealledger")
        .add_dataframe_asset("mart")
        .add_batch_definition_whole_dataframe("whole_table")
    )


def period_spine_failure(frame: pd.DataFrame, spine: dict) -> FailedExpectation | None:
    gaps = missing_periods(frame, spine)
    if not gaps:
        return None
    return FailedExpectation(
        expectation="period_spine_complete", column=spine["start_column"], unexpected_count=len(gaps), sample=gaps[:5]
    )


def suite_name(definition: dict, suite_path: Path) -> str:
    return definition.get("name", suite_path.stem)


def suite_result(name: str, rows: int, outcomes: list[FailedExpectation | None]) -> SuiteResult:
    """`outcomes` holds one entry per rule evaluated: its failure, or None where it passed."""
    return SuiteResult(suite=name, evaluated=len(outcomes), rows=rows, failed=[o for o in outcomes if o is not None])


def validate_dataframe(frame: pd.DataFrame, suite_path: Path) -> SuiteResult:
    definition = load_suite_definition(suite_path)
    name = suite_name(definition, suite_path)
    outcomes = failures_on_frame(frame, name, definition["expectations"])
    if "period_spine" in definition:
        outcomes.append(period_spine_failure(frame, definition["period_spine"]))
    return suite_result(name, len(frame), outcomes)
