"""Validate a mart in the build database: read only the columns its suite names, in chunks when large.

Great Expectations validates DataFrames here (expectations.py says why), so what is read into pandas is
what a validation worker holds. Read whole, the largest marts at 1M deals took several GB in each of the
two workers at once. Two things bound that: a suite reads only the columns it names, and a table of more
than CHUNK_ROWS rows is validated chunk by chunk for the rules whose results add up over chunks.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import duckdb
import pandas as pd

from dealledger.quality.expectations import (
    FailedExpectation,
    SuiteResult,
    failures_on_frame,
    load_suite_definition,
    period_spine_failure,
    suite_name,
    suite_result,
)

# About 200 MiB of pandas per chunk for the widest suite (fct_deal_events: 149 MiB for 422k rows of its 4 columns).
CHUNK_ROWS = 500_000

# Decided row by row: over disjoint chunks of a table, the chunks' unexpected rows are the table's.
ROW_BY_ROW = frozenset(
    {
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_be_null",
        "expect_column_values_to_not_be_null",
    }
)
# Decided per key value (the kwarg naming the key): exact on chunks that keep each key value in one chunk.
KEY_RULES = {"expect_column_values_to_be_unique": "column", "expect_compound_columns_to_be_unique": "column_list"}


def columns_to_read(expectations: list[dict], table_columns: list[str], period_spine: dict | None = None) -> list[str]:
    """The table's columns that the rules (columns, row conditions) or the period spine name, in table order.

    Naming a column too many only costs memory. A suite that names none (only the row count) reads none.
    """
    if any(expectation["type"].startswith("expect_table_column") for expectation in expectations):
        return table_columns  # rules on the table's column set need every column
    named = json.dumps([expectation["kwargs"] for expectation in expectations]) + json.dumps(period_spine or {})
    words = set(re.findall(r"\w+", named))
    return [column for column in table_columns if column in words]


def decided_per_chunk(expectation: dict) -> bool:
    # `mostly` compares a share of the whole table, which chunks' shares do not give.
    return expectation["type"] in ROW_BY_ROW.union(KEY_RULES) and "mostly" not in expectation["kwargs"]


def partition_key(expectations: list[dict], table_columns: list[str]) -> list[str] | None:
    """The columns to split the table by so that every rule's result adds up over the chunks.

    Key rules need every key value's rows in one chunk: split by the columns all their keys share. None when
    they share none. Without key rules any split will do: by the columns read.
    """
    keys = [
        set(_as_list(expectation["kwargs"][KEY_RULES[expectation["type"]]]))
        for expectation in expectations
        if expectation["type"] in KEY_RULES
    ]
    if not keys:
        return columns_to_read(expectations, table_columns)
    shared = set.intersection(*keys)
    return [column for column in table_columns if column in shared] or None


def validate_table(database: Path, config: dict[str, str], table: str, suite_path: Path) -> SuiteResult:
    """Validate `table` of the DuckDB file (opened read-only) against the suite; what a validation worker runs."""
    definition = load_suite_definition(suite_path)
    name = suite_name(definition, suite_path)
    expectations = definition["expectations"]
    spine = definition.get("period_spine")
    with duckdb.connect(str(database), read_only=True, config=config) as con:
        table_columns = con.table(table).columns
        rows = con.execute(f"select count(*) from {table}").fetchone()[0]
        chunked, key, chunks = _chunk_plan(expectations, table_columns, rows)
        whole = [index for index in range(len(expectations)) if index not in chunked]

        outcomes: list[FailedExpectation | None] = [None] * len(expectations)
        whole_rules = [expectations[index] for index in whole]
        frame = _read(con, table, columns_to_read(whole_rules, table_columns, spine), rows)
        for index, outcome in zip(whole, failures_on_frame(frame, name, whole_rules), strict=True):
            outcomes[index] = outcome
        if spine is not None:
            outcomes.append(period_spine_failure(frame, spine))
        del frame

        chunk_rules = [expectations[index] for index in chunked]
        chunk_columns = columns_to_read(chunk_rules, table_columns)
        for chunk in range(chunks):
            in_chunk = f"hash({_select_list(key)}) % {chunks} = {chunk}"
            chunk_outcomes = failures_on_frame(_read(con, table, chunk_columns, rows, in_chunk), name, chunk_rules)
            for index, outcome in zip(chunked, chunk_outcomes, strict=True):
                outcomes[index] = _added_up(outcomes[index], outcome)
    return suite_result(name, rows, outcomes)


def _chunk_plan(expectations: list[dict], table_columns: list[str], rows: int) -> tuple[list[int], list[str], int]:
    """Which rules (by index) run chunk by chunk, the columns that split the table, and into how many
    chunks; no rule where the table fits in one chunk or the rules have no common split."""
    chunked = [index for index, expectation in enumerate(expectations) if decided_per_chunk(expectation)]
    key = partition_key([expectations[index] for index in chunked], table_columns)
    chunks = math.ceil(rows / CHUNK_ROWS)
    if not chunked or key is None or chunks <= 1:
        return [], [], 0
    return chunked, key, chunks


def _read(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: int, where: str = "true"):
    if not columns:
        return pd.DataFrame(index=pd.RangeIndex(rows))  # rows without columns: all a row count needs
    return con.execute(f"select {_select_list(columns)} from {table} where {where}").df()


def _select_list(columns: list[str]) -> str:
    return ", ".join(f'"{column}"' for column in columns)


def _as_list(columns: str | list[str]) -> list[str]:
    return [columns] if isinstance(columns, str) else columns


def _added_up(earlier: FailedExpectation | None, chunk: FailedExpectation | None) -> FailedExpectation | None:
    """One rule's failures over the chunks so far, and one more chunk's."""
    if earlier is None or chunk is None:
        return earlier or chunk
    counts = (earlier.unexpected_count, chunk.unexpected_count)
    return FailedExpectation(
        expectation=earlier.expectation,
        column=earlier.column,
        unexpected_count=None if None in counts else sum(counts),
        sample=(earlier.sample + chunk.sample)[:5],
    )
