"""A suite reads only the columns it names from its mart, chunk by chunk when large, and still sees every
rule's failures exactly."""

from __future__ import annotations

import gc
import json
import weakref
from pathlib import Path

import duckdb
import pytest

from dealledger.quality import tables
from dealledger.quality.tables import (
    columns_to_read,
    decided_per_chunk,
    partition_key,
    read_config,
    validate_table,
)

COLUMN_TYPES = {
    "deal_id": "VARCHAR",
    "stage": "VARCHAR",
    "amount_eur": "DECIMAL(18,2)",
    "closed_at": "DATE",
    "owner_id": "VARCHAR",
    "notes": "VARCHAR",
}
TABLE_COLUMNS = list(COLUMN_TYPES)


def suite(*expectations: dict, **extra) -> dict:
    return {"name": "deals", "expectations": list(expectations), **extra}


def expectation(kind: str, **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs}


def test_the_columns_named_by_rules_conditions_and_the_period_spine_are_read_in_table_order():
    expectations = [
        expectation("expect_column_values_to_not_be_null", column="deal_id"),
        expectation("expect_compound_columns_to_be_unique", column_list=["owner_id", "deal_id"]),
        expectation(
            "expect_column_values_to_be_between",
            column="amount_eur",
            min_value=0,
            row_condition='stage=="won"',
            condition_parser="pandas",
        ),
    ]
    spine = {"grain_column": "stage", "start_column": "closed_at", "partition_columns": []}
    assert columns_to_read(expectations, TABLE_COLUMNS, spine) == [
        "deal_id",
        "stage",
        "amount_eur",
        "closed_at",
        "owner_id",
    ]
    assert columns_to_read(expectations[:1], TABLE_COLUMNS) == ["deal_id"]


def test_a_suite_naming_no_column_reads_none_and_a_rule_on_the_column_set_reads_all():
    row_count = expectation("expect_table_row_count_to_be_between", min_value=1)
    assert columns_to_read([row_count], TABLE_COLUMNS) == []
    column_set = expectation("expect_table_columns_to_match_set", column_set=["deal_id"])
    assert columns_to_read([row_count, column_set], TABLE_COLUMNS) == TABLE_COLUMNS


def test_a_row_condition_names_columns_as_words_or_in_backticks():
    condition = expectation(
        "expect_column_values_to_not_be_null",
        column="notes",
        row_condition='stage == "won" and\t`owner id` != "U1"',
        condition_parser="pandas",
    )
    assert columns_to_read([condition], ["stage", "stage_name", "owner id", "notes"]) == ["stage", "owner id", "notes"]


def test_chunks_are_split_by_the_columns_every_key_shares_floating_ones_left_out():
    unique_deal = expectation("expect_column_values_to_be_unique", column="deal_id")
    unique_deal_per_owner = expectation("expect_compound_columns_to_be_unique", column_list=["owner_id", "deal_id"])
    unique_owner = expectation("expect_column_values_to_be_unique", column="owner_id")
    unique_amount = expectation("expect_column_values_to_be_unique", column="amount_eur")
    not_null_stage = expectation("expect_column_values_to_not_be_null", column="stage")
    assert partition_key([unique_deal, unique_deal_per_owner, not_null_stage], COLUMN_TYPES) == ["deal_id"]
    assert partition_key([unique_deal, unique_owner], COLUMN_TYPES) is None
    assert partition_key([unique_amount], COLUMN_TYPES) is None  # pandas' float equality is not DuckDB's
    assert partition_key([not_null_stage], COLUMN_TYPES) == ["stage"]


def test_only_rules_that_decide_each_row_on_its_own_run_chunk_by_chunk():
    def not_null(**kwargs) -> dict:
        return expectation("expect_column_values_to_not_be_null", column="notes", **kwargs)

    assert decided_per_chunk(not_null())
    assert decided_per_chunk(not_null(row_condition='stage == "won" and (amount_eur > 0)', condition_parser="pandas"))
    assert decided_per_chunk(not_null(row_condition="deal_id.notnull()", condition_parser="pandas"))
    assert not decided_per_chunk(not_null(row_condition="amount_eur > amount_eur.mean()", condition_parser="pandas"))
    assert not decided_per_chunk(not_null(row_condition="index > 10", condition_parser="pandas"))
    assert not decided_per_chunk(not_null(mostly=0.9))
    assert not decided_per_chunk(expectation("expect_table_row_count_to_be_between", min_value=1))


def test_a_worker_reads_under_a_small_memory_limit_or_the_pipelines_if_smaller():
    assert read_config({"memory_limit": "2GB", "temp_directory": "/spill"}) == {
        "memory_limit": "256MiB",
        "temp_directory": "/spill",
    }
    assert read_config({"memory_limit": "100MB"}) == {"memory_limit": "95MiB"}
    assert read_config({}) == {"memory_limit": "256MiB"}


def test_validating_a_table_checks_conditions_on_columns_the_rule_does_not_name(tmp_path: Path):
    database = tmp_path / "build.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.deals as select * from (values"
            " ('D1', 'won', 100.0, 'first'), ('D2', 'lost', -5.0, 'a refund'), ('D3', 'won', -1.0, 'wrong'))"
            " as deals(deal_id, stage, amount_eur, notes)"
        )
    suite_path = tmp_path / "deals.json"
    won_amounts_positive = expectation(
        "expect_column_values_to_be_between",
        column="amount_eur",
        min_value=0,
        row_condition='stage=="won"',
        condition_parser="pandas",
    )
    suite_path.write_text(
        json.dumps(suite(won_amounts_positive, expectation("expect_table_row_count_to_be_between", min_value=3)))
    )

    result = validate_table(database, {}, "marts.deals", suite_path)

    assert (result.rows, result.evaluated) == (3, 2)
    [failure] = result.failed
    assert (failure.expectation, failure.column, failure.unexpected_count, failure.sample) == (
        "expect_column_values_to_be_between",
        "amount_eur",
        1,
        [-1.0],
    )


# 2,500 deals and two duplicated ones, with failures of every rule that runs chunk by chunk.
DEALS_WITH_FAILURES = """
    create table deals as
    select 'D' || i as deal_id,
           case when i % 1000 = 3 then 'unknown' else 'won' end as stage,     -- 3, 1003, 2003
           case when i % 500 = 7 then -1.0 else i * 1.0 end as amount_eur,   -- 7, 507, 1007, 1507, 2007
           case when i % 800 = 1 then null else 'U' || i % 5 end as owner_id  -- 1, 801, 1601, 2401
    from range(2500) as deals(i)
    union all
    select 'D' || i, 'won', 1.0, 'U' || i % 5 from (values (10), (1500)) as duplicated(i)
"""
# In the suite's order, which is not GE's (it groups rules by column): two rules on `amount_eur` apart.
RULES = [
    expectation("expect_column_values_to_be_between", column="amount_eur", min_value=0),
    expectation("expect_column_values_to_be_unique", column="deal_id"),
    expectation("expect_compound_columns_to_be_unique", column_list=["deal_id", "owner_id"]),
    expectation("expect_column_values_to_be_in_set", column="stage", value_set=["won", "lost"]),
    expectation("expect_column_values_to_not_be_null", column="owner_id"),
    expectation("expect_column_values_to_be_between", column="amount_eur", max_value=2000),
    expectation("expect_table_row_count_to_be_between", min_value=2502, max_value=2502),
]
EXPECTED_FAILURES = [
    ("expect_column_values_to_be_between", "amount_eur", 5),
    ("expect_column_values_to_be_unique", "deal_id", 4),
    ("expect_compound_columns_to_be_unique", None, 4),
    ("expect_column_values_to_be_in_set", "stage", 3),
    ("expect_column_values_to_not_be_null", "owner_id", 4),
    ("expect_column_values_to_be_between", "amount_eur", 498),  # 2001-2499, except 2007 (-1.0)
]


@pytest.mark.parametrize("chunk_rows", [1_000, 1_000_000], ids=["three chunks", "one read"])
def test_a_table_validated_in_chunks_fails_exactly_as_read_whole(tmp_path: Path, monkeypatch, chunk_rows: int):
    database = tmp_path / "build.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(DEALS_WITH_FAILURES)
    suite_path = tmp_path / "deals.json"
    suite_path.write_text(json.dumps(suite(*RULES)))
    monkeypatch.setattr(tables, "CHUNK_ROWS", chunk_rows)
    frames_read = []
    validate_frame = tables.failures_on_frame
    monkeypatch.setattr(
        tables,
        "failures_on_frame",
        lambda frame, *rules: frames_read.append(frame.shape) or validate_frame(frame, *rules),
    )

    result = validate_table(database, {}, "deals", suite_path)

    assert (result.rows, result.evaluated) == (2502, 7)
    assert [(f.expectation, f.column, f.unexpected_count) for f in result.failed] == EXPECTED_FAILURES
    assert set(result.failed[3].sample) == {"unknown"}
    assert sorted(result.failed[1].sample) == ["D10", "D10", "D1500", "D1500"]
    if chunk_rows == 1_000:
        # The row count on a frame of no columns; the other rules on three chunks of their four columns.
        assert frames_read[0] == (2502, 0)
        assert sorted(rows for rows, _ in frames_read[1:]) == [pytest.approx(834, abs=80)] * 3
        assert {columns for _, columns in frames_read[1:]} == {4}
        assert sum(rows for rows, _ in frames_read[1:]) == 2502
    else:
        assert frames_read == [(2502, 4)]


def test_a_chunk_is_freed_before_the_one_after_the_next_is_read(tmp_path: Path, monkeypatch):
    """Great Expectations keeps the newest validation's DataFrame and leaves the earlier ones in reference
    cycles: a worker freeing them only when the cyclic collector got round to it grew chunk after chunk."""
    database = tmp_path / "build.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(DEALS_WITH_FAILURES)
    suite_path = tmp_path / "deals.json"
    suite_path.write_text(json.dumps(suite(*RULES)))
    monkeypatch.setattr(tables, "CHUNK_ROWS", 250)
    gc.disable()  # the cyclic collector runs only when asked to, as it seldom ran on its own in a worker
    read = tables._read
    frames: list[weakref.ref] = []
    alive_at_each_read: list[int] = []

    def read_and_count(*arguments):
        alive_at_each_read.append(sum(frame() is not None for frame in frames))
        frame = read(*arguments)
        frames.append(weakref.ref(frame))
        return frame

    monkeypatch.setattr(tables, "_read", read_and_count)
    try:
        validate_table(database, {}, "deals", suite_path)
    finally:
        gc.enable()

    assert len(alive_at_each_read) == 12  # the whole-table read, then 11 chunks
    assert max(alive_at_each_read) == 1  # the frame GE holds for its newest validation
