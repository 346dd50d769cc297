"""A suite runs in SQL on its mart, read-only: every rule's failures exactly, in the suite's order, and the file
free for the next writer."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from dealledger.quality.expectations import read_config, validate_table
from dealledger.settings import REPO_ROOT


def suite(*expectations: dict, **extra) -> dict:
    return {"name": "deals", "expectations": list(expectations), **extra}


def expectation(kind: str, **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs}


def won(column: str = "stage") -> dict:
    return {"type": "comparison", "column": {"name": column}, "operator": "==", "parameter": "won"}


def write_suite(folder: Path, definition: dict) -> Path:
    path = folder / "deals.json"
    path.write_text(json.dumps(definition))
    return path


def test_a_validation_reads_under_a_small_memory_limit_or_the_pipelines_if_smaller():
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
    won_amounts_positive = expectation(
        "expect_column_values_to_be_between", column="amount_eur", min_value=0, row_condition=won()
    )
    suite_path = write_suite(
        tmp_path, suite(won_amounts_positive, expectation("expect_table_row_count_to_be_between", min_value=3))
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


# 2,500 deals and two duplicated ones, with failures of every kind of rule the suites use.
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
    expectation(
        "expect_column_values_to_not_be_null",
        column="owner_id",
        row_condition={"type": "comparison", "column": {"name": "amount_eur"}, "operator": ">", "parameter": 2400},
    ),
]
EXPECTED_FAILURES = [
    ("expect_column_values_to_be_between", "amount_eur", 5),
    ("expect_column_values_to_be_unique", "deal_id", 4),
    ("expect_compound_columns_to_be_unique", None, 4),
    ("expect_column_values_to_be_in_set", "stage", 3),
    ("expect_column_values_to_not_be_null", "owner_id", 4),
    ("expect_column_values_to_be_between", "amount_eur", 498),  # 2001-2499, except 2007 (-1.0)
    ("expect_column_values_to_not_be_null", "owner_id", 1),  # 2401, of the amounts above 2,400
]


def test_every_rules_failures_are_counted_exactly_in_the_suites_order(tmp_path: Path):
    database = tmp_path / "build.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(DEALS_WITH_FAILURES)
    suite_path = write_suite(tmp_path, suite(*RULES))

    result = validate_table(database, {}, "deals", suite_path)

    assert (result.rows, result.evaluated) == (2502, 8)
    assert [(f.expectation, f.column, f.unexpected_count) for f in result.failed] == EXPECTED_FAILURES
    assert set(result.failed[3].sample) == {"unknown"}
    assert sorted(result.failed[1].sample) == ["D10", "D10", "D1500", "D1500"]


def test_a_validation_leaves_the_file_to_the_next_writer(tmp_path: Path):
    """The pipeline writes the build file again in its next run: a validation's read-only connection
    left open in the process would stop that writer."""
    database = tmp_path / "build.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(DEALS_WITH_FAILURES)
    suite_path = write_suite(tmp_path, suite(RULES[-2]))
    assert validate_table(database, {"memory_limit": "1GB"}, "deals", suite_path).success

    with duckdb.connect(str(database)) as con:
        con.execute("delete from deals where deal_id = 'D0'")

    assert not validate_table(database, {}, "deals", suite_path).success


def test_a_period_spine_with_a_gap_names_the_missing_period_and_leaves_an_unknown_grain_to_its_rule(
    tmp_path: Path,
):
    database = tmp_path / "build.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(
            "create table periods as select * from (values"
            " ('month', date '2026-01-01', 'Noord'), ('month', date '2026-02-01', 'Noord'),"
            " ('month', date '2026-03-01', 'Noord'), ('month', date '2026-01-01', 'Zuid'),"
            " ('month', date '2026-03-01', 'Zuid'), ('month', date '2026-03-01', 'Zuid'),"
            " ('fortnight', date '2026-01-01', 'Zuid'))"
            " as periods(grain, period_start, team)"
        )
    spine = {"grain_column": "grain", "start_column": "period_start", "partition_columns": ["team"]}
    grains = expectation("expect_column_values_to_be_in_set", column="grain", value_set=["month", "quarter"])
    suite_path = write_suite(tmp_path, suite(grains, period_spine=spine))

    result = validate_table(database, {}, "periods", suite_path)

    assert (result.rows, result.evaluated) == (7, 2)
    assert [(f.expectation, f.unexpected_count, f.sample) for f in result.failed] == [
        ("expect_column_values_to_be_in_set", 1, ["fortnight"]),
        ("period_spine_complete", 1, ["month 2026-02-01 ('Zuid',)"]),
    ]


@pytest.mark.parametrize("suite_path", sorted((REPO_ROOT / "expectations").glob("*.json")), ids=lambda path: path.stem)
def test_every_column_of_a_compound_key_is_expected_not_null(suite_path: Path):
    """GE's SQL check of a compound key joins its counts back to the rows with `=`, so a row with an empty
    key column is never counted as a duplicate: only a not-null rule on each key column catches those."""
    rules = json.loads(suite_path.read_text())["expectations"]
    not_null = {
        rule["kwargs"]["column"]
        for rule in rules
        if rule["type"] == "expect_column_values_to_not_be_null" and "row_condition" not in rule["kwargs"]
    }
    keys = [rule["kwargs"]["column_list"] for rule in rules if rule["type"] == "expect_compound_columns_to_be_unique"]
    assert [column for key in keys for column in key if column not in not_null] == []
