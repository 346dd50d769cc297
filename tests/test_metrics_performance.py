"""Performance and referral metrics, for real: hand-made exports with hand-computed values, the demo
against values computed here from its raw exports, and MetricFlow against the marts.

The fixture (FIXTURE_* below) is one CRM export of 30 June 2026 and one billing export:
  D1 won  (U001, website)  created 5 Jan, Qualified 10 Jan, Proposal 20 Jan, signed 10 Feb, EUR 10,000
  D2 won  (U001, referred by A1) created 15 Jan, Proposal 1 Feb, signed 5 Mar, EUR 20,000
  D3 lost (U002, referred by A2) created 10 Jan, Proposal 25 Jan, lost 20 Feb, EUR 5,000
  D4 lost (U002, outbound) straight from Lead on 15 Feb: disqualified, EUR 3,000
  D5 open (U001, event) past its Proposal of 20 Mar, no decision maker met: at risk, EUR 8,000
  D6 won  (U002, website) created 2 Jan, Proposal 8 Jan, signed 25 Feb, EUR 30,000
  D7 a duplicate of D1, merged into it (its meeting on 8 Jan is D1's first meeting)
  D8 lost (U001, outbound) after qualification on 20 Apr, EUR 4,000
Accounts: A1 referred A2, A2 referred A3; A4 and A5 referred each other (a cycle), A4 referred A6.
January, May and June have no closed deal: the empty periods.
"""

from __future__ import annotations

import csv
import io
import math
import os
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from conftest import DBT_PROJECT_DIR, DemoRun, settings_for, validate_frame
from dealledger.settings import REPO_ROOT

EXPORT = "20260630"

# fmt: off
FIXTURE_EXPORTS: dict[str, list[list[str]]] = {
    "crm_users": [
        ["owner_id", "full_name", "email", "team", "is_active"],
        ["U001", "Rob Bos", "rob@example.nl", "Noord", "true"],
        ["U002", "Eva Smit", "eva@example.nl", "Zuid", "true"],
    ],
    "crm_accounts": [
        ["account_id", "account_name", "kvk_number", "vat_number", "city", "industry", "referred_by_account_id",
         "created_at", "updated_at"],
        ["A0000001", "Alfa B.V.", "10000001", "", "Utrecht", "Bouw", "", "2025-12-01 09:00:00", "2025-12-01 09:00:00"],
        ["A0000002", "Bravo B.V.", "10000002", "", "Utrecht", "Bouw", "A0000001", "2025-12-02 09:00:00",
         "2025-12-02 09:00:00"],
        ["A0000003", "Charlie B.V.", "10000003", "", "Utrecht", "Bouw", "A0000002", "2025-12-03 09:00:00",
         "2025-12-03 09:00:00"],
        ["A0000004", "Delta B.V.", "10000004", "", "Utrecht", "Bouw", "A0000005", "2025-12-04 09:00:00",
         "2025-12-04 09:00:00"],
        ["A0000005", "Echo B.V.", "10000005", "", "Utrecht", "Bouw", "A0000004", "2025-12-05 09:00:00",
         "2025-12-05 09:00:00"],
        ["A0000006", "Foxtrot B.V.", "10000006", "", "Utrecht", "Bouw", "A0000004", "2025-12-06 09:00:00",
         "2025-12-06 09:00:00"],
    ],
    "crm_contacts": [
        ["contact_id", "account_id", "first_name", "last_name", "email", "phone", "role", "updated_at"],
        ["CT0000001", "A0000001", "Jan", "A", "jan@alfa.nl", "", "decision_maker", "2025-12-01 09:00:00"],
        ["CT0000002", "A0000001", "Piet", "A", "piet@alfa.nl", "", "champion", "2025-12-01 09:00:00"],
        ["CT0000003", "A0000002", "Kees", "B", "kees@bravo.nl", "", "decision_maker", "2025-12-02 09:00:00"],
        ["CT0000004", "A0000003", "Anna", "C", "anna@charlie.nl", "", "user", "2025-12-03 09:00:00"],
        ["CT0000005", "A0000004", "Mila", "D", "mila@delta.nl", "", "decision_maker", "2025-12-04 09:00:00"],
        ["CT0000006", "A0000005", "Noor", "E", "noor@echo.nl", "", "champion", "2025-12-05 09:00:00"],
    ],
    "crm_deals": [
        ["deal_id", "deal_name", "account_id", "owner_id", "stage", "amount", "currency", "expected_close_date",
         "created_at", "updated_at", "lead_source", "referrer_account_id", "lost_reason", "quote_number", "po_number",
         "merged_into_deal_id", "is_deleted"],
        ["D0000001", "One", "A0000001", "U001", "Closed Won", "10000.00", "EUR", "2026-02-10", "2026-01-05 09:00:00",
         "2026-02-10 12:00:00", "website", "", "", "Q2026-00001", "", "", "false"],
        ["D0000002", "Two", "A0000002", "U001", "Closed Won", "20000.00", "EUR", "2026-03-05", "2026-01-15 09:00:00",
         "2026-03-05 12:00:00", "referral", "A0000001", "", "Q2026-00002", "", "", "false"],
        ["D0000003", "Three", "A0000003", "U002", "Closed Lost", "5000.00", "EUR", "2026-02-20", "2026-01-10 09:00:00",
         "2026-02-20 12:00:00", "referral", "A0000002", "Te duur", "Q2026-00003", "", "", "false"],
        ["D0000004", "Four", "A0000004", "U002", "Closed Lost", "3000.00", "EUR", "2026-02-15", "2026-02-01 09:00:00",
         "2026-02-15 12:00:00", "outbound", "", "Geen budget", "", "", "", "false"],
        ["D0000005", "Five", "A0000005", "U001", "Proposal", "8000.00", "EUR", "2026-07-31", "2026-03-01 09:00:00",
         "2026-03-20 12:00:00", "event", "", "", "Q2026-00005", "", "", "false"],
        ["D0000006", "Six", "A0000001", "U002", "Closed Won", "30000.00", "EUR", "2026-02-25", "2026-01-02 09:00:00",
         "2026-02-25 12:00:00", "website", "", "", "Q2026-00006", "", "", "false"],
        ["D0000007", "One (copy)", "A0000001", "U001", "Lead", "10000.00", "EUR", "2026-02-10", "2026-01-06 09:00:00",
         "2026-01-07 09:00:00", "website", "", "", "", "", "D0000001", "false"],
        ["D0000008", "Eight", "A0000006", "U001", "Closed Lost", "4000.00", "EUR", "2026-04-20", "2026-04-01 09:00:00",
         "2026-04-20 12:00:00", "outbound", "", "Geen budget", "", "", "", "false"],
    ],
    "crm_deal_stage_history": [
        ["deal_id", "stage", "amount", "changed_at"],
        ["D0000001", "Lead", "10000.00", "2026-01-05 09:00:00"],
        ["D0000001", "Qualified", "10000.00", "2026-01-10 12:00:00"],
        ["D0000001", "Proposal", "10000.00", "2026-01-20 12:00:00"],
        ["D0000001", "Closed Won", "10000.00", "2026-02-10 12:00:00"],
        ["D0000002", "Lead", "20000.00", "2026-01-15 09:00:00"],
        ["D0000002", "Qualified", "20000.00", "2026-01-20 12:00:00"],
        ["D0000002", "Proposal", "20000.00", "2026-02-01 12:00:00"],
        ["D0000002", "Closed Won", "20000.00", "2026-03-05 12:00:00"],
        ["D0000003", "Lead", "5000.00", "2026-01-10 09:00:00"],
        ["D0000003", "Qualified", "5000.00", "2026-01-15 12:00:00"],
        ["D0000003", "Proposal", "5000.00", "2026-01-25 12:00:00"],
        ["D0000003", "Closed Lost", "5000.00", "2026-02-20 12:00:00"],
        ["D0000004", "Lead", "3000.00", "2026-02-01 09:00:00"],
        ["D0000004", "Closed Lost", "3000.00", "2026-02-15 12:00:00"],
        ["D0000005", "Lead", "8000.00", "2026-03-01 09:00:00"],
        ["D0000005", "Qualified", "8000.00", "2026-03-10 12:00:00"],
        ["D0000005", "Proposal", "8000.00", "2026-03-20 12:00:00"],
        ["D0000006", "Lead", "30000.00", "2026-01-02 09:00:00"],
        ["D0000006", "Qualified", "30000.00", "2026-01-05 12:00:00"],
        ["D0000006", "Proposal", "30000.00", "2026-01-08 12:00:00"],
        ["D0000006", "Closed Won", "30000.00", "2026-02-25 12:00:00"],
        ["D0000007", "Lead", "10000.00", "2026-01-06 09:00:00"],
        ["D0000008", "Lead", "4000.00", "2026-04-01 09:00:00"],
        ["D0000008", "Qualified", "4000.00", "2026-04-05 12:00:00"],
        ["D0000008", "Closed Lost", "4000.00", "2026-04-20 12:00:00"],
    ],
    "crm_activities": [
        ["activity_id", "deal_id", "contact_id", "owner_id", "activity_type", "activity_at", "duration_minutes"],
        ["ACT00000001", "D0000001", "CT0000001", "U001", "meeting", "2026-01-12 10:00:00", "60"],
        ["ACT00000002", "D0000002", "CT0000003", "U001", "meeting", "2026-01-18 10:00:00", "90"],
        ["ACT00000003", "D0000003", "CT0000004", "U002", "meeting", "2026-01-16 14:00:00", "30"],
        ["ACT00000004", "D0000003", "CT0000004", "U002", "call", "2026-02-10 09:00:00", "30"],
        ["ACT00000005", "D0000004", "CT0000005", "U002", "call", "2026-02-05 09:00:00", "15"],
        ["ACT00000006", "D0000006", "CT0000001", "U002", "meeting", "2026-01-20 10:00:00", "60"],
        ["ACT00000007", "D0000005", "CT0000006", "U001", "meeting", "2026-03-05 10:00:00", "45"],
        ["ACT00000008", "D0000002", "CT0000003", "U001", "email", "2026-02-20 11:00:00", "10"],
        ["ACT00000009", "", "CT0000002", "U001", "meeting", "2026-03-10 10:00:00", "30"],
        ["ACT00000010", "D0000008", "", "U001", "call", "2026-04-10 10:00:00", "20"],
        ["ACT00000011", "D0000007", "CT0000001", "U001", "meeting", "2026-01-08 09:00:00", "30"],
    ],
    "billing_invoices": [
        ["invoice_id", "invoice_number", "invoice_type", "customer_id", "customer_name", "customer_kvk",
         "invoice_date", "due_date", "currency", "net_amount", "vat_amount", "total_amount", "reference",
         "corrects_invoice_number"],
        ["INV0000001", "2026-00001", "invoice", "C10001", "Alfa B.V.", "10000001", "2026-02-20", "2026-03-20", "EUR",
         "10000.00", "2100.00", "12100.00", "Project D0000001", ""],
    ],
    "billing_invoice_lines": [
        ["invoice_id", "line_number", "description", "quantity", "unit_price", "line_amount", "vat_rate"],
        ["INV0000001", "1", "Implementatie", "1.0000", "10000.00", "10000.00", "21.00"],
    ],
}
# fmt: on


@dataclass(frozen=True)
class Warehouse:
    db: Path

    def rows(self, query: str, *params: object) -> list[tuple]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(query, list(params)).fetchall()

    def frame(self, table: str) -> pd.DataFrame:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(f"select * from {table}").df()


def write_exports(inbox: Path) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    for kind, rows in FIXTURE_EXPORTS.items():
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        (inbox / f"{kind}_{EXPORT}.csv").write_text(buffer.getvalue(), encoding="utf-8")


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The whole pipeline (ingest, dbt build with its tests, Great Expectations, publish) on the fixture."""
    from dealledger.cli import main

    home = tmp_path_factory.mktemp("metrics_home")
    with pytest.MonkeyPatch.context() as monkeypatch:
        settings = settings_for(home, monkeypatch)
        write_exports(settings.inbox_dir)
        assert main(["run"]) == 0
    return Warehouse(home / "serving.duckdb")


def win_rate_row(warehouse: Warehouse, grain: str, start: str, breakdown: str = "total", value: str = "all") -> tuple:
    return warehouse.rows(
        "select closed_deal_count, won_deal_count, lost_deal_count, disqualified_deal_count, closed_amount_eur, "
        "won_amount_eur, win_rate_count, win_rate_amount, no_go_rate_count, no_go_rate_amount, "
        "lost_deal_activity_count, lost_deal_activity_hours from fct_win_rates "
        "where period_grain = ? and period_start_date = ? and breakdown = ? and breakdown_value = ?",
        grain,
        date.fromisoformat(start),
        breakdown,
        value,
    )[0]


def test_win_and_no_go_rates_per_month_with_empty_months(fixture_run: Warehouse):
    d = Decimal
    assert win_rate_row(fixture_run, "month", "2026-01-01") == (0, 0, 0, 0, d(0), d(0), None, None, None, None, 0, d(0))
    feb = win_rate_row(fixture_run, "month", "2026-02-01")
    assert feb[:6] == (3, 2, 1, 1, d("45000.00"), d("40000.00"))
    assert feb[6:10] == pytest.approx((2 / 3, 8 / 9, 1 / 3, 1 / 9), abs=1e-12)
    assert feb[10:] == (3, d("1.25"))  # D3: 2 activities, 1 h; D4 (disqualified, still effort): 15 min
    assert win_rate_row(fixture_run, "month", "2026-03-01")[6:10] == (1.0, 1.0, 0.0, 0.0)
    assert win_rate_row(fixture_run, "month", "2026-04-01")[6:] == (0.0, 0.0, 1.0, 1.0, 1, d("0.33"))
    for empty in ("2026-05-01", "2026-06-01"):
        assert win_rate_row(fixture_run, "month", empty)[:4] == (0, 0, 0, 0)
        assert win_rate_row(fixture_run, "month", empty)[6:10] == (None, None, None, None)
    q1 = win_rate_row(fixture_run, "quarter", "2026-01-01")
    assert q1[:4] == (4, 3, 1, 1)
    assert q1[6:10] == pytest.approx((0.75, 12 / 13, 0.25, 1 / 13), abs=1e-12)
    assert win_rate_row(fixture_run, "quarter", "2026-04-01")[6] == 0.0
    assert win_rate_row(fixture_run, "year", "2026-01-01")[6:8] == pytest.approx((0.6, 60000 / 69000), abs=1e-12)


def test_win_rates_by_rep_team_lead_source_referral_and_decision_maker(fixture_run: Warehouse):
    def rate(grain: str, start: str, breakdown: str, value: str) -> tuple:
        return win_rate_row(fixture_run, grain, start, breakdown, value)[0:2] + (
            win_rate_row(fixture_run, grain, start, breakdown, value)[6],
        )

    assert rate("month", "2026-02-01", "owner", "crm:U001") == (1, 1, 1.0)
    assert rate("month", "2026-02-01", "owner", "crm:U002") == (2, 1, 0.5)
    assert rate("year", "2026-01-01", "team", "Noord") == (3, 2, pytest.approx(2 / 3))
    assert rate("year", "2026-01-01", "team", "Zuid") == (2, 1, 0.5)
    assert rate("year", "2026-01-01", "lead_source", "website") == (2, 2, 1.0)
    assert rate("year", "2026-01-01", "lead_source", "outbound") == (1, 0, 0.0)
    assert rate("year", "2026-01-01", "lead_source", "event") == (0, 0, None)
    assert rate("quarter", "2026-01-01", "referral", "referred") == (2, 1, 0.5)
    assert rate("quarter", "2026-01-01", "referral", "other") == (2, 2, 1.0)
    assert rate("year", "2026-01-01", "decision_maker", "met") == (2, 2, 1.0)
    assert rate("year", "2026-01-01", "decision_maker", "not_met") == (3, 1, pytest.approx(1 / 3))
    # 13 breakdown values x (6 months + 2 quarters + 1 year): the complete spine, no duplicates.
    assert fixture_run.rows(
        "select count(*), count(distinct (period_grain, period_start_date, breakdown, "
        "breakdown_value)) from fct_win_rates"
    )[0] == (117, 117)


def test_sales_cycles_from_creation_and_from_first_meeting(fixture_run: Warehouse):
    def cycles(grain: str, start: str, cycle_start: str) -> tuple:
        return fixture_run.rows(
            "select booked_deal_count, avg_cycle_days, median_cycle_days, p80_cycle_days from fct_sales_cycles "
            "where period_grain = ? and period_start_date = ? and breakdown = 'total' and cycle_start = ?",
            grain,
            date.fromisoformat(start),
            cycle_start,
        )[0]

    # D1 36 days (5 Jan -> 10 Feb), D6 54, D2 49; from the first meeting: D1 33 (the merged D7's), D6 36, D2 46.
    assert cycles("month", "2026-02-01", "created") == (2, 45.0, 45.0, pytest.approx(50.4))
    assert cycles("month", "2026-02-01", "first_meeting") == (2, 34.5, 34.5, pytest.approx(35.4))
    assert cycles("quarter", "2026-01-01", "created") == (3, pytest.approx(139 / 3), 49.0, pytest.approx(52.0))
    assert cycles("quarter", "2026-01-01", "first_meeting") == (3, pytest.approx(115 / 3), 36.0, pytest.approx(42.0))
    assert cycles("month", "2026-01-01", "created") == (0, None, None, None)


def test_sales_velocity(fixture_run: Warehouse):
    def velocity(grain: str, start: str) -> tuple:
        return fixture_run.rows(
            "select open_deal_count, sales_velocity_eur_per_day from fct_sales_velocity "
            "where period_grain = ? and period_start_date = ? and breakdown = 'total'",
            grain,
            date.fromisoformat(start),
        )[0]

    # Q1: 1 open (D5) x 0.75 x EUR 20,000 / (139 / 3) days. February: D2 open x 2/3 x 20,000 / 45.
    assert velocity("quarter", "2026-01-01") == (1, pytest.approx(45000 / 139))
    assert velocity("month", "2026-02-01") == (1, pytest.approx(20000 * 2 / 3 / 45))
    assert velocity("month", "2026-01-01") == (4, None)  # nothing closed in January: no win rate
    assert velocity("quarter", "2026-04-01") == (1, None)  # nothing won in Q2: no average won amount


def test_rep_consistency_over_rolling_windows(fixture_run: Warehouse):
    months = fixture_run.rows(
        "select period_start_date, bookings_eur, closed_deal_count, won_deal_count, activity_count, "
        "customer_activity_count, customer_activity_share from fct_rep_consistency "
        "where owner_id = 'crm:U001' order by period_start_date"
    )
    d = Decimal
    assert months == [
        (date(2026, 1, 1), d("0.00"), 0, 0, 3, 0, 0.0),
        (date(2026, 2, 1), d("10000.00"), 1, 1, 1, 0, 0.0),
        (date(2026, 3, 1), d("20000.00"), 1, 1, 2, 1, 0.5),  # A1 is a customer since D1's signature
        (date(2026, 4, 1), d("0.00"), 1, 0, 1, 0, 0.0),
        (date(2026, 5, 1), d("0.00"), 0, 0, 0, 0, None),
        (date(2026, 6, 1), d("0.00"), 0, 0, 0, 0, None),
    ]
    june = fixture_run.rows(
        "select months_in_window_6m, bookings_eur_6m, win_rate_count_6m, avg_cycle_days_6m, "
        "customer_activity_share_6m, cv_bookings_6m, cv_win_rate_6m, cv_cycle_days_6m, is_too_few_deals_6m, "
        "months_in_window_12m, cv_bookings_12m from fct_rep_consistency "
        "where owner_id = 'crm:U001' and period_start_date = date '2026-06-01'"
    )[0]
    # Bookings 0, 10k, 20k, 0, 0, 0: mean 5k, population variance 350e6 / 6, CV sqrt(7/3).
    # Win rates 1, 1, 0: CV sqrt(2)/2. Cycles 36, 49: CV 6.5 / 42.5. 3 closed deals < 10: too few.
    assert june == (
        6,
        d("30000.00"),
        pytest.approx(2 / 3),
        42.5,
        pytest.approx(1 / 7),
        pytest.approx(math.sqrt(7 / 3)),
        pytest.approx(math.sqrt(2) / 2),
        pytest.approx(6.5 / 42.5),
        True,
        6,
        pytest.approx(math.sqrt(7 / 3)),
    )


def test_decision_maker_engagement_and_disqualified_leads(fixture_run: Warehouse):
    flags = {
        row[0]: row[1:]
        for row in fixture_run.rows(
            "select deal_id, has_met_decision_maker_before_proposal, is_at_risk, is_disqualified, activity_count, "
            "activity_hours from fct_deal_outcomes"
        )
    }
    d = Decimal
    assert flags == {
        "crm:D0000001": (True, False, False, 2, d("1.50")),  # incl. the merged duplicate's meeting
        "crm:D0000002": (True, False, False, 2, d("1.67")),
        "crm:D0000003": (False, False, False, 2, d("1.00")),  # met a user, not a decision maker
        "crm:D0000004": (False, False, True, 1, d("0.25")),  # a call is not a meeting
        "crm:D0000005": (False, True, False, 1, d("0.75")),
        "crm:D0000006": (False, False, False, 1, d("1.00")),  # the decision maker only after the proposal
        "crm:D0000008": (False, False, False, 1, d("0.33")),
    }


def test_referral_chains_generations_and_a_cycle_that_ends(fixture_run: Warehouse):
    chains = fixture_run.rows(
        "select account_id, root_account_id, generation, referral_path, has_cycle_upstream, is_on_cycle "
        "from fct_referral_chains order by account_id"
    )
    a = "crm:A000000"
    assert chains == [
        (f"{a}1", f"{a}1", 0, f"{a}1", False, False),
        (f"{a}2", f"{a}1", 1, f"{a}2 > {a}1", False, False),
        (f"{a}3", f"{a}1", 2, f"{a}3 > {a}2 > {a}1", False, False),
        (f"{a}4", None, None, f"{a}4 > {a}5 > {a}4", True, True),
        (f"{a}5", None, None, f"{a}5 > {a}4 > {a}5", True, True),
        (f"{a}6", None, None, f"{a}6 > {a}4 > {a}5 > {a}4", True, False),
    ]
    assert fixture_run.rows("select edge_source, count(*) from fct_referral_edges group by 1 order by 1") == [
        ("account", 5),
        ("deal", 2),
    ]
    # A1 and A2 referred a deal each; only D2 was won: m = 0.5.
    assert fixture_run.rows(
        "select cycle_number, referring_customer_count, referred_won_deal_count, multiplier, "
        "projected_new_customers, projected_cumulative_customers from fct_referral_multiplier order by 1"
    ) == [(1, 2, 1, 0.5, 0.5, 0.5), (2, 2, 1, 0.5, 0.25, 0.75), (3, 2, 1, 0.5, 0.125, 0.875)]


def test_suites_reject_a_rate_outside_zero_to_one(fixture_run: Warehouse, tmp_path: Path):
    suite = REPO_ROOT / "expectations" / "fct_win_rates.json"
    frame = fixture_run.frame("fct_win_rates")
    assert validate_frame(frame, suite, tmp_path).success
    frame.loc[frame.index[0], "win_rate_count"] = 1.5
    frame = pd.concat([frame, frame.iloc[[1]]])
    failed = {(failure.expectation, failure.column) for failure in validate_frame(frame, suite, tmp_path).failed}
    assert ("expect_column_values_to_be_between", "win_rate_count") in failed
    assert ("expect_compound_columns_to_be_unique", None) in failed


# --- generated demo data: exact against values computed here from the raw exports -------------------

QUALIFIED_OR_LATER = {"Qualified", "Proposal", "Verbal Order", "Closed Won"}


def newest_export(inbox: Path, kind: str) -> pd.DataFrame:
    return pd.read_csv(sorted(inbox.glob(f"{kind}_*.csv"))[-1], dtype=str, keep_default_na=False)


def demo_monthly_win_rates(demo_run: DemoRun) -> dict[date, tuple[int, int, Decimal, Decimal]]:
    """Per close month: (closed, won, closed EUR, won EUR), disqualified leads excluded, from the raw CSVs."""
    truth = pd.read_csv(demo_run.truth_dir / "deals.csv", dtype=str, keep_default_na=False)
    deals = newest_export(demo_run.settings.inbox_dir, "crm_deals")
    history = newest_export(demo_run.settings.inbox_dir, "crm_deal_stage_history")
    survivor_of = dict(zip(deals["deal_id"], deals["merged_into_deal_id"], strict=True))

    def survivor(record: str) -> str:
        while survivor_of.get(record):
            record = survivor_of[record]
        return record

    stages: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for record, stage, changed_at in zip(history["deal_id"], history["stage"], history["changed_at"], strict=True):
        stages["crm:" + survivor(record)].append((stage, changed_at))
    months: dict[date, list] = defaultdict(lambda: [0, 0, Decimal(0), Decimal(0)])
    for deal in truth.itertuples():
        if deal.status == "open":
            continue
        reached = {stage for stage, _ in stages[deal.deal_id]}
        if deal.status == "lost" and not reached & QUALIFIED_OR_LATER:
            continue  # disqualified
        closed_on = (
            deal.signed_date
            if deal.status == "won"
            else max(at for stage, at in stages[deal.deal_id] if stage == "Closed Lost")
        )
        month = date.fromisoformat(closed_on[:7] + "-01")
        months[month][0] += 1
        months[month][2] += Decimal(deal.amount_eur)
        if deal.status == "won":
            months[month][1] += 1
            months[month][3] += Decimal(deal.amount_eur)
    return {month: tuple(values) for month, values in months.items()}


def test_demo_win_and_no_go_rates_match_the_raw_exports(demo_run: DemoRun):
    expected = demo_monthly_win_rates(demo_run)
    rows = Warehouse(demo_run.serving_db).rows(
        "select period_start_date, closed_deal_count, won_deal_count, closed_amount_eur, won_amount_eur, "
        "win_rate_count, no_go_rate_count, win_rate_amount, no_go_rate_amount from fct_win_rates "
        "where period_grain = 'month' and breakdown = 'total'"
    )
    assert sum(closed for closed, *_ in expected.values()) > 100
    for month, closed, won, closed_eur, won_eur, win_rate, no_go, win_rate_amount, no_go_amount in rows:
        assert (closed, won, closed_eur, won_eur) == expected.get(month, (0, 0, Decimal(0), Decimal(0))), month
        if closed:
            assert (win_rate, no_go) == (won / closed, (closed - won) / closed)
            assert win_rate_amount == pytest.approx(float(won_eur / closed_eur), abs=1e-12)
            assert no_go_amount == pytest.approx(float((closed_eur - won_eur) / closed_eur), abs=1e-12)
        else:
            assert (win_rate, no_go, win_rate_amount, no_go_amount) == (None, None, None, None)
    assert set(expected) <= {row[0] for row in rows}


def test_demo_referral_generations_match_the_raw_exports(demo_run: DemoRun):
    accounts = newest_export(demo_run.settings.inbox_dir, "crm_accounts")
    referred_by = {
        account: referrer
        for account, referrer in zip(accounts["account_id"], accounts["referred_by_account_id"], strict=True)
        if referrer
    }

    def generation(account: str) -> int | None:
        seen = [account]
        while account in referred_by:
            account = referred_by[account]
            if account in seen:
                return None
            seen.append(account)
        return len(seen) - 1

    in_graph = set(referred_by) | set(referred_by.values())
    expected = {"crm:" + account: generation(account) for account in in_graph}
    actual = dict(Warehouse(demo_run.serving_db).rows("select account_id, generation from fct_referral_chains"))
    assert actual == expected
    chain = demo_run.truth["cases"]["referral_chain"]  # the generator's longest chain, each referred by the next
    assert actual[chain[0]] == len(chain) - 1 == max(actual.values()) >= 3


# --- the semantic layer gives the marts' values ------------------------------------------------------


def mf_query(build_db: Path, metrics: list[str], group_by: list[str], tmp_path: Path) -> pd.DataFrame:
    out = tmp_path / f"mf_{len(list(tmp_path.iterdir()))}.csv"
    command = [str(Path(sys.executable).parent / "mf"), "query", "--metrics", ",".join(metrics), "--csv", str(out)]
    if group_by:
        command += ["--group-by", ",".join(group_by)]
    env = {**os.environ, "DEALLEDGER_BUILD_DB": str(build_db)}
    subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, check=True, capture_output=True)
    frame = pd.read_csv(out)
    for column in frame.columns:
        if column.startswith("metric_time"):
            frame[column] = pd.to_datetime(frame[column])
    return frame


WIN_RATE_METRICS = ["win_rate_count", "win_rate_amount", "no_go_rate_count", "no_go_rate_amount"]
CYCLE_METRICS = {
    ("created", "median_cycle_days"): "median_sales_cycle_days_from_created",
    ("created", "p80_cycle_days"): "p80_sales_cycle_days_from_created",
    ("first_meeting", "median_cycle_days"): "median_sales_cycle_days_from_first_meeting",
    ("first_meeting", "p80_cycle_days"): "p80_sales_cycle_days_from_first_meeting",
}


def test_metricflow_gives_the_marts_values(demo_run: DemoRun, tmp_path: Path):
    build = Warehouse(demo_run.build_db)
    by_month = mf_query(
        demo_run.build_db, [*WIN_RATE_METRICS, *CYCLE_METRICS.values()], ["metric_time__month"], tmp_path
    ).set_index("metric_time__month")
    marts = build.frame(
        "(select w.period_start_date, w.win_rate_count, w.win_rate_amount, w.no_go_rate_count, w.no_go_rate_amount, "
        "c.cycle_start, c.median_cycle_days, c.p80_cycle_days from fct_win_rates as w "
        "inner join fct_sales_cycles as c using (period_grain, period_start_date, breakdown, breakdown_value) "
        "where w.period_grain = 'month' and w.breakdown = 'total')"
    )
    compared = 0
    for row in marts.itertuples():
        key = pd.Timestamp(row.period_start_date)
        for metric in WIN_RATE_METRICS:
            mart_value = getattr(row, metric)
            mf_value = by_month[metric].get(key) if key in by_month.index else None
            if pd.isna(mart_value):
                assert mf_value is None or pd.isna(mf_value), (key, metric)
            else:
                assert mf_value == pytest.approx(mart_value, abs=1e-9), (key, metric)
                compared += 1
        for (cycle_start, column), metric in CYCLE_METRICS.items():
            if row.cycle_start == cycle_start and not pd.isna(getattr(row, column)):
                assert by_month.loc[key, metric] == pytest.approx(getattr(row, column), abs=1e-9), (key, metric)
                compared += 1
    assert compared > 200

    by_owner = mf_query(demo_run.build_db, ["win_rate_count"], ["metric_time__year", "deal__owner_id"], tmp_path)
    mart_by_owner = {
        (pd.Timestamp(start), owner): rate
        for start, owner, rate in build.rows(
            "select period_start_date, breakdown_value, win_rate_count from fct_win_rates "
            "where period_grain = 'year' and breakdown = 'owner' and win_rate_count is not null"
        )
    }
    mf_by_owner = {
        (row.metric_time__year, row.deal__owner_id): row.win_rate_count
        for row in by_owner.itertuples()
        if not pd.isna(row.win_rate_count)
    }
    assert mf_by_owner == pytest.approx(mart_by_owner, abs=1e-9)

    multiplier = mf_query(demo_run.build_db, ["referral_multiplier"], [], tmp_path)["referral_multiplier"].item()
    assert multiplier == pytest.approx(build.rows("select multiplier from fct_referral_multiplier limit 1")[0][0])
