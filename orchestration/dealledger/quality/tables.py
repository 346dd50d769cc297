"""Validate a mart in the build database: read only the columns its suite names, in chunks when large.

Great Expectations validates DataFrames here (expectations.py says why), so what is read into pandas is
what a validation worker holds. Read whole, the largest marts at 1M deals took several GB in each of the
two workers at once. Two things bound that: a suite reads only the columns it names, and a table of more
than CHUNK_ROWS rows is validated chunk by chunk for the rules whose results add up over chunks.
"""

from __future__ import annotations

import gc
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
from dealledger.settings import memory_mib

# A worker's DuckDB only scans (the columns read, a chunk's filter, that chunk's rows), which needs little
# memory. Under the build's limit (2 GB) it kept more of a mart's blocks: at 10M deals one worker on
# fct_deal_events peaked at 3,612 MiB, at this limit 3,325 MiB (the rest is pandas and GE; docs/benchmarks.md).
READ_MEMORY_LIMIT_MIB = 256
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


# Methods a pandas row condition may call and still decide each row on its own values.
ROW_WISE_METHODS = frozenset({"isna", "isnull", "notna", "notnull"})
# pandas sees these as floats, whose equality (NaN, rounding) is not DuckDB's: no split by them.
FLOATING_TYPES = ("FLOAT", "DOUBLE", "REAL", "DECIMAL")


def columns_to_read(expectations: list[dict], table_columns: list[str], period_spine: dict | None = None) -> list[str]:
    """The table's columns that the rules or the period spine name, in table order: every kwarg value equal to a
    column's name, and every column a row condition mentions.

    Naming a column too many only costs memory. A suite that names none (only the row count) reads none.
    """
    if any(expectation["type"].startswith("expect_table_column") for expectation in expectations):
        return table_columns  # rules on the table's column set need every column
    values = _strings([expectation["kwargs"] for expectation in expectations] + [period_spine or {}])
    conditions = [expectation["kwargs"]["row_condition"] for expectation in expectations if _condition(expectation)]
    return [
        column
        for column in table_columns
        if column in values or any(_mentions(condition, column) for condition in conditions)
    ]


def decided_per_chunk(expectation: dict) -> bool:
    """Whether the rule's failures over disjoint chunks of a table add up to its failures on the table.

    Not with `mostly` (a share of the whole table) nor with a row condition that looks beyond its own row
    (`x > x.mean()`, the index, which restarts in every chunk).
    """
    if expectation["type"] not in ROW_BY_ROW.union(KEY_RULES) or "mostly" in expectation["kwargs"]:
        return False
    return not _condition(expectation) or _row_wise(expectation["kwargs"]["row_condition"])


def partition_key(expectations: list[dict], column_types: dict[str, str]) -> list[str] | None:
    """The columns to split the table by so that every rule's result adds up over the chunks.

    Key rules need every key value's rows in one chunk: split by the columns all their keys share, floating
    ones left out. None when no such column is left. Without key rules any split will do: by the columns read.
    """
    keys = [
        set(_as_list(expectation["kwargs"][KEY_RULES[expectation["type"]]]))
        for expectation in expectations
        if expectation["type"] in KEY_RULES
    ]
    if not keys:
        return columns_to_read(expectations, list(column_types))
    shared = set.intersection(*keys)
    split_by = [
        column for column, kind in column_types.items() if column in shared and not kind.startswith(FLOATING_TYPES)
    ]
    return split_by or None


def prepare_worker() -> None:
    """A validation worker's start, forked from a server that imported Great Expectations (workers.py): every
    object alive frozen out of the garbage collector's reach. The collections after each validation
    (`_failures_then_collect`) then walk only what the validations made, not GE's import: 0.14 s each, half
    the demo's validation time, before."""
    gc.freeze()


def validate_table(database: Path, config: dict[str, str], table: str, suite_path: Path) -> SuiteResult:
    """Validate `table` of the DuckDB file (opened read-only) against the suite; what a validation worker runs."""
    definition = load_suite_definition(suite_path)
    name = suite_name(definition, suite_path)
    expectations = definition["expectations"]
    spine = definition.get("period_spine")
    with duckdb.connect(str(database), read_only=True, config=read_config(config)) as con:
        relation = con.sql(f"select * from {table}")  # a mart may be a view, which con.table() does not find
        table_columns = relation.columns
        rows = con.execute(f"select count(*) from {table}").fetchone()[0]
        column_types = dict(zip(table_columns, map(str, relation.types), strict=True))
        chunked, key, chunks = _chunk_plan(expectations, column_types, rows)
        whole = [index for index in range(len(expectations)) if index not in chunked]

        outcomes: list[FailedExpectation | None] = [None] * len(expectations)
        whole_rules = [expectations[index] for index in whole]
        frame = _read(con, table, columns_to_read(whole_rules, table_columns, spine), rows)
        for index, outcome in zip(whole, _failures_then_collect(frame, name, whole_rules), strict=True):
            outcomes[index] = outcome
        if spine is not None:
            outcomes.append(period_spine_failure(frame, spine))
        del frame

        chunk_rules = [expectations[index] for index in chunked]
        chunk_columns = columns_to_read(chunk_rules, table_columns)
        for chunk in range(chunks):
            in_chunk = f"hash({_select_list(key)}) % {chunks} = {chunk}"
            chunk_frame = _read(con, table, chunk_columns, rows, in_chunk)
            chunk_outcomes = _failures_then_collect(chunk_frame, name, chunk_rules)
            for index, outcome in zip(chunked, chunk_outcomes, strict=True):
                outcomes[index] = _added_up(outcomes[index], outcome)
    return suite_result(name, rows, outcomes)


def _failures_then_collect(frame: pd.DataFrame, name: str, rules: list[dict]) -> list[FailedExpectation | None]:
    """`failures_on_frame`, then the earlier validations' garbage collected. GE keeps its newest validation's
    DataFrame and leaves earlier ones in reference cycles, which the cyclic collector (not set off by numpy's
    allocations) freed too late: a worker grew chunk by chunk, to 3.3 GB over 85 chunks at 10M deals."""
    outcomes = failures_on_frame(frame, name, rules)
    gc.collect()
    return outcomes


def read_config(config: dict[str, str]) -> dict[str, str]:
    """The pipeline's DuckDB settings for a worker's read-only connection: its memory limit at most
    READ_MEMORY_LIMIT_MIB."""
    limit = READ_MEMORY_LIMIT_MIB
    if "memory_limit" in config:
        limit = min(limit, memory_mib(config["memory_limit"]))
    return dict(config, memory_limit=f"{limit:.0f}MiB")


def _chunk_plan(expectations: list[dict], column_types: dict[str, str], rows: int) -> tuple[list[int], list[str], int]:
    """Which rules (by index) run chunk by chunk, the columns that split the table, and into how many
    chunks; no rule where the table fits in one chunk or the rules have no common split."""
    chunked = [index for index, expectation in enumerate(expectations) if decided_per_chunk(expectation)]
    key = partition_key([expectations[index] for index in chunked], column_types)
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


def _strings(value) -> set[str]:
    """Every string in a structure of dicts and lists (the kwargs' values, not their names)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return _strings(list(value.values()))
    if isinstance(value, list):
        return set().union(*map(_strings, value))
    return set()


def _condition(expectation: dict) -> bool:
    return bool(expectation["kwargs"].get("row_condition"))


def _mentions(condition: str, column: str) -> bool:
    # As a name of its own, or backtick-quoted as pandas writes names that are not identifiers.
    return f"`{column}`" in condition or re.search(rf"(?<!\w){re.escape(column)}(?!\w)", condition) is not None


def _row_wise(condition: str) -> bool:
    code = re.sub(r'"[^"]*"|\'[^\']*\'', "''", condition)  # string literals call nothing
    if re.search(r"[@\[]|\bindex\b", code):
        return False  # local variables, indexing, the frame's index
    calls = re.findall(r"(\.?)(\w+)\s*\(", code)
    return all((dot and name in ROW_WISE_METHODS) or (not dot and name in ("and", "or", "not")) for dot, name in calls)


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
