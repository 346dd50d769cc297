"""Validate a mart in the build database against a Great Expectations suite stored as JSON in `expectations/`.

GE's SQL data source runs every rule as a query in DuckDB (through duckdb-engine), on the whole table: no row
is read into Python. Until stop 28 the marts were read into pandas for GE's pandas data source, chunk by chunk
to bound the memory: at 10M deals the largest suite took 224 s and 3.3 GB that way, 4.7 s and 557 MiB in SQL
(docs/benchmarks.md).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy

from dealledger.settings import memory_mib

# The step from one period start to the next, per grain; GE has no expectation for gaps in a date spine.
PERIOD_FREQUENCIES = {"day": "D", "week": "7D", "month": "MS", "quarter": "QS"}
# A validation only scans and aggregates (spilling what does not fit): a small limit per worker, or the
# pipeline's if smaller.
READ_MEMORY_LIMIT_MIB = 256

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


def suite_name(definition: dict, suite_path: Path) -> str:
    return definition.get("name", suite_path.stem)


def read_config(config: dict[str, str]) -> dict[str, str]:
    """The pipeline's DuckDB settings for a validation's read-only connection: its memory limit at most
    READ_MEMORY_LIMIT_MIB."""
    limit = READ_MEMORY_LIMIT_MIB
    if "memory_limit" in config:
        limit = min(limit, memory_mib(config["memory_limit"]))
    return dict(config, memory_limit=f"{limit:.0f}MiB")


def validate_table(database: Path, config: dict[str, str], table: str, suite_path: Path) -> SuiteResult:
    """Validate `table` (`schema.name`, or a name in `main`) of the DuckDB file against the suite."""
    with table_validator(database, config) as validate:
        return validate(table, suite_path)


@contextlib.contextmanager
def table_validator(database: Path, config: dict[str, str]) -> Iterator[Callable[[str, Path], SuiteResult]]:
    """A function that validates a table of the DuckDB file against a suite, for as long as the context lasts:
    one read-only connection (with `config`, the pipeline's settings, under READ_MEMORY_LIMIT_MIB) for
    every suite, where a connection per suite cost over a third of a small table's validation."""
    with _read_only_source(database, read_config(config)) as source:
        yield functools.partial(_validate, source)


def _validate(source, table: str, suite_path: Path) -> SuiteResult:
    definition = load_suite_definition(suite_path)
    name = suite_name(definition, suite_path)
    # A query, not a table asset: GE 1.24 looks up a table asset's column types without its schema.
    batch = (
        source.add_query_asset(name=table, query=f"select * from {table}")
        .add_batch_definition_whole_table("whole_table")
        .get_batch()
    )
    outcomes = _failures(batch, name, definition["expectations"])
    with source.get_execution_engine().engine.connect() as connection:
        rows = connection.exec_driver_sql(f"select count(*) from {table}").scalar_one()
        if "period_spine" in definition:
            outcomes.append(_period_spine_failure(connection, table, definition["period_spine"]))
    return SuiteResult(suite=name, evaluated=len(outcomes), rows=rows, failed=[o for o in outcomes if o is not None])


# Carried in each rule's `meta`: GE returns results grouped by column and errors first, not in suite order.
RULE_INDEX = "dealledger_rule_index"


def _failures(batch, name: str, expectations: list[dict]) -> list[FailedExpectation | None]:
    """Great Expectations on one batch: per expectation, in the order given, its failure or None."""
    import great_expectations as gx

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


_source_names = itertools.count()


@contextlib.contextmanager
def _read_only_source(database: Path, config: dict[str, str]) -> Iterator:
    """A GE SQL data source on the DuckDB file, read-only; removed, its connections closed, on exit (a
    connection left open would stop a later writer of the file)."""
    context = _context()
    name = f"build_{next(_source_names)}"
    source = context.data_sources.add_sql(
        name=name,
        connection_string=f"duckdb:///{database}",
        kwargs={"connect_args": {"read_only": True, "config": config}},
    )
    try:
        yield source
    finally:
        # The data source's own engine (its connection test) and its execution engine's.
        source.get_engine().dispose()
        source.get_execution_engine().engine.dispose()
        context.data_sources.delete(name)


@functools.cache
def _context():
    """One ephemeral GE context per process, its progress bars off, duckdb-engine's results fixed."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine.sqlalchemy_execution_engine import SqlAlchemyExecutionEngine

    SqlAlchemyExecutionEngine.execute_query = _execute_query_fetched
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _execute_query_fetched(self, query):
    """GE 1.24's `SqlAlchemyExecutionEngine.execute_query`, with the rows fetched before the connection closes.

    GE closes the connection and fetches afterwards; duckdb-engine then returns no rows, and every rule
    failed with an IndexError (GE issue 11579, open for this version). The rows are few: aggregates, and at
    most a sample of unexpected values."""
    with self.get_connection() as connection:
        return self._execute_query_with_recovery(connection, query).freeze()()


def missing_periods(frame: pd.DataFrame, spine: dict) -> list[str]:
    """The periods missing from a table with a period spine (suite key `period_spine`).

    Per grain, the period starts must run without a gap from the first to the last; with
    `partition_columns`, every partition (e.g. every dimension value) must have all of them.
    """
    grain_column, start_column = spine["grain_column"], spine["start_column"]
    partition_columns = spine.get("partition_columns", [])
    missing: list[str] = []
    for grain, rows in frame.groupby(grain_column):
        if grain not in PERIOD_FREQUENCIES:
            continue  # no spine to compare with: the suite's in-set rule on the grain reports the value
        starts = pd.to_datetime(rows[start_column])
        expected = pd.date_range(starts.min(), starts.max(), freq=PERIOD_FREQUENCIES[grain])
        missing += [f"{grain} {day.date()}" for day in expected.difference(starts)]
        for partition, partition_rows in rows.groupby(partition_columns) if partition_columns else []:
            gaps = expected.difference(pd.to_datetime(partition_rows[start_column]))
            missing += [f"{grain} {day.date()} {partition}" for day in gaps]
    return missing


def _period_spine_failure(connection: sqlalchemy.Connection, table: str, spine: dict) -> FailedExpectation | None:
    # The distinct periods only: a spine's tables are aggregates, a few rows per period and partition.
    columns = [spine["grain_column"], spine["start_column"], *spine.get("partition_columns", [])]
    select_list = ", ".join(f'"{column}"' for column in columns)
    periods = connection.exec_driver_sql(f"select distinct {select_list} from {table}").fetchall()
    gaps = missing_periods(pd.DataFrame(periods, columns=columns), spine)
    if not gaps:
        return None
    return FailedExpectation(
        expectation="period_spine_complete", column=spine["start_column"], unexpected_count=len(gaps), sample=gaps[:5]
    )
