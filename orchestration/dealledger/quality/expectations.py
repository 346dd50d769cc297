"""Validate a DataFrame against a Great Expectations suite stored as JSON in `expectations/`.

The pandas data source is used on purpose: GE's SQL data source through duckdb-engine returns empty
results for DuckDB (BRIEF section 4), so the mart is read from DuckDB into a DataFrame first.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

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
    failed: list[FailedExpectation] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return not self.failed


def load_suite_definition(path: Path) -> dict:
    definition = json.loads(path.read_text())
    if "expectations" not in definition:
        raise ValueError(f"{path}: not an expectation suite (no 'expectations' list)")
    return definition


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
    return SuiteResult(suite=suite.name, evaluated=len(validation.results), failed=failed)
