"""The words a failed run prints: check explanations and GE rules, on hand-made check results."""

from __future__ import annotations

import pytest
from dagster import AssetCheckEvaluation, AssetCheckSeverity, AssetKey, MetadataValue

from dealledger.assets.quality import describe_rule
from dealledger.run_report import explain, last_publication


def evaluation(check_name: str, asset: str, **fields) -> AssetCheckEvaluation:
    return AssetCheckEvaluation(
        asset_key=AssetKey([asset]), check_name=check_name, passed=False, severity=AssetCheckSeverity.ERROR, **fields
    )


def test_a_failed_dbt_test_is_explained_from_its_failing_row_count():
    problem = explain(
        evaluation(
            "unique_fct_deals_deal_id", "fct_deals", metadata={"dagster_dbt/failed_row_count": MetadataValue.int(2)}
        )
    )
    assert problem.table == "fct_deals"
    assert problem.what_failed == "unique_fct_deals_deal_id: 2 rows break it"
    assert problem.meaning == "a value that must be unique occurs more than once (a record would be counted twice)"
    assert problem.action.startswith("correct the records in the CRM or billing system")


def test_a_check_with_a_description_shows_it_and_its_own_advice():
    problem = explain(
        evaluation(
            "reject_rate_within_threshold", "billing_invoices", description="billing_invoices_20261031.csv: 3 of 200"
        )
    )
    assert problem.what_failed == "billing_invoices_20261031.csv: 3 of 200"
    assert problem.action.startswith("have the export fixed where it is made")


def test_without_a_serving_file_the_report_says_nothing_was_published(tmp_path):
    assert last_publication(tmp_path / "serving.duckdb") == (
        "no serving file has been published yet, so dashboards have nothing to show"
    )


@pytest.mark.parametrize(
    ("expectation", "kwargs", "rule"),
    [
        ("expect_column_values_to_be_between", {"column": "amount_eur", "min_value": 0}, "amount_eur >= 0"),
        (
            "expect_column_values_to_be_between",
            {"column": "probability", "min_value": 0, "max_value": 1},
            "probability >= 0 and probability <= 1",
        ),
        ("expect_table_row_count_to_be_between", {"min_value": 1}, "row count >= 1"),
        ("expect_column_values_to_be_unique", {"column": "deal_id"}, "deal_id is unique"),
        (
            "expect_column_values_to_be_in_set",
            {"column": "status", "value_set": ["won", "lost"]},
            "status in (won, lost)",
        ),
        (
            "expect_column_values_to_not_be_null",
            {
                "column": "booked_at",
                "row_condition": {
                    "type": "comparison",
                    "column": {"name": "status"},
                    "operator": "==",
                    "parameter": "won",
                },
            },
            'booked_at is not empty where status == "won"',
        ),
        (
            "expect_column_values_to_be_in_set",
            {
                "column": "match_rule",
                "value_set": ["amount_and_date"],
                "row_condition": {
                    "type": "and",
                    "conditions": [
                        {"type": "nullity", "column": {"name": "deal_id"}, "is_null": False},
                        {"type": "comparison", "column": {"name": "is_paid"}, "operator": "==", "parameter": True},
                    ],
                },
            },
            "match_rule in (amount_and_date) where (deal_id is not empty) and (is_paid == true)",
        ),
    ],
)
def test_expectations_read_as_rules(expectation, kwargs, rule):
    assert describe_rule(expectation, kwargs) == rule
