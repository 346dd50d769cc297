"""docs/analyst-guide.md: every SQL block runs on a demo serving file, through `dealledger sql` as the guide
says, and the first question's answer equals the demo's ground truth."""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pytest

from conftest import DemoRun
from dealledger.cli import main
from dealledger.settings import REPO_ROOT

GUIDE = REPO_ROOT / "docs" / "analyst-guide.md"
QUESTIONS = 10


def guide_queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.DOTALL)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def last_complete_quarter(as_of: date) -> tuple[date, date]:
    """The last quarter that ended on or before `as_of`: (its first day, the next quarter's first day)."""
    current = quarter_start(as_of)
    following = quarter_start(current + timedelta(days=92))
    if following - timedelta(days=1) == as_of:
        return current, following
    return quarter_start(current - timedelta(days=1)), current


def test_the_guide_asks_ten_questions():
    assert len(guide_queries()) == QUESTIONS


@pytest.mark.parametrize("number", range(1, QUESTIONS + 1))
def test_every_query_runs_through_dealledger_sql(demo_run: DemoRun, number: int, monkeypatch, capsys):
    assert demo_run.exit_code == 0
    monkeypatch.setenv("DEALLEDGER_HOME", str(demo_run.settings.home))
    assert main(["sql", guide_queries()[number - 1]]) == 0
    assert "dealledger:" not in capsys.readouterr().err


def test_the_first_question_answers_the_truth(demo_run: DemoRun):
    as_of = date.fromisoformat(demo_run.truth["as_of"])
    quarter_start, next_start = last_complete_quarter(as_of)
    with (demo_run.truth_dir / "deals.csv").open(newline="", encoding="utf-8") as handle:
        won = [
            row
            for row in csv.DictReader(handle)
            if row["status"] == "won" and quarter_start <= date.fromisoformat(row["signed_date"]) < next_start
        ]
    assert won, "the demo should have won deals in its last complete quarter"
    with duckdb.connect(str(demo_run.serving_db), read_only=True) as con:
        rows = con.execute(guide_queries()[0]).fetchall()
        intake = con.execute(
            "select booked_deal_count, announcement_count from fct_order_intake "
            "where period_grain = 'quarter' and period_start_date = ?",
            [quarter_start],
        ).fetchone()
    assert len(rows) == 1
    quarter, deals_won, won_amount, announcements, _, once, twice, more = rows[0]
    assert quarter == quarter_start
    assert deals_won == len(won)
    assert Decimal(won_amount) == sum(Decimal(row["amount_eur"]) for row in won)
    assert once + twice + more == deals_won
    # The same figures as the order intake mart (booking policy: signature).
    assert intake == (deals_won, announcements)
    assert announcements > deals_won  # deals were announced more than once: the point of the question


def test_last_complete_quarter():
    assert last_complete_quarter(date(2026, 10, 31)) == (date(2026, 7, 1), date(2026, 10, 1))
    assert last_complete_quarter(date(2026, 9, 30)) == (date(2026, 7, 1), date(2026, 10, 1))
    assert last_complete_quarter(date(2026, 2, 10)) == (date(2025, 10, 1), date(2026, 1, 1))
    assert last_complete_quarter(date(2026, 12, 31)) == (date(2026, 10, 1), date(2027, 1, 1))
