"""A suite reads only the columns it names from its mart, and still sees every rule's failures."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from dealledger.quality.expectations import columns_to_read, validate_table

TABLE_COLUMNS = ["deal_id", "stage", "amount_eur", "closed_at", "owner_id", "notes"]


def suite(*expectations: dict, **extra) -> dict:
    return {"name": "deals", "expectations": list(expectations), **extra}


def expectation(kind: str, **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs}


def test_the_columns_named_by_rules_conditions_and_the_period_spine_are_read_in_table_order():
    definition = suite(
        expectation("expect_column_values_to_not_be_null", column="deal_id"),
        expectation("expect_compound_columns_to_be_unique", column_list=["owner_id", "deal_id"]),
        expectation(
            "expect_column_values_to_be_between",
            column="amount_eur",
            min_value=0,
            row_condition='stage=="won"',
            condition_parser="pandas",
        ),
        period_spine={"grain_column": "stage", "start_column": "closed_at", "partition_columns": []},
    )
    assert columns_to_read(definition, TABLE_COLUMNS) == ["deal_id", "stage", "amount_eur", "closed_at", "owner_id"]


def test_a_suite_naming_no_column_reads_one_and_a_rule_on_the_column_set_reads_all():
    row_count = expectation("expect_table_row_count_to_be_between", min_value=1)
    assert columns_to_read(suite(row_count), TABLE_COLUMNS) == ["deal_id"]
    column_set = expectation("expect_table_columns_to_match_set", column_set=["deal_id"])
    assert columns_to_read(suite(row_count, column_set), TABLE_COLUMNS) == TABLE_COLUMNS


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
