"""Pipeline metrics (marts/pipeline) on hand-written CRM exports with hand-computed values, on demo data
(the movement identity), against MetricFlow, and recomputed later for a past date.

The fixture: daily full CRM exports on 2026-03-30 (E1), 2026-03-31 (E2) and 2026-04-02 (E3; no export on
04-01). Stage probabilities from seeds/stage_milestones.csv (Lead .05, Qualified .20, Proposal .50, Verbal
Order .90), stale thresholds from seeds/stale_thresholds.csv, all amounts in EUR (rate 1). Deals:
  D1 U001 Proposal 10000 close 04-15 (E1) -> 12000 close 05-20 (E2) -> 11000 (E3); last stage change 02-20
  D2 U001 Qualified 20000 close 06-30 -> Verbal Order (E2, changed 03-31) -> Closed Won (E3, signed 04-02)
  D3 U002 Lead 5000 close 04-10, lead source event, no activity -> Closed Lost (E3)
  D4 U002 Proposal 8000 close 03-25 (past on E1) -> close 04-20 (E2) -> close 07-15 (E3)
  D5 U002 Lead 3000 close 04-25, a duplicate of D4: merged into D4 on E2
  D6 U001 Lead 7000 close 04-30, created on E2, deleted on E3
  D7 U001 Closed Won 15000 (signed 03-10) throughout: never pipeline, booked in Q1
  D8 U002 Proposal 9000 close 09-30 -> close 06-15 (E3); an activity of 03-29 first exported on E3
  D9 U002 Lead 4000 close 05-31, created on E3
Users: U001 team Noord, U002 team Zuid (Randstad has a target and no deals).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from test_dbt_unit import (
    DBT_PROJECT_DIR,
    create_raw_tables,
    failed_nodes,
    load_exports,
    project_with_edited_seed,
    run_dbt,
)

from conftest import validate_frame
from dealledger.demo.generator import generate_demo
from dealledger.settings import REPO_ROOT

PIPELINE_SELECTION = ["--select", "+path:models/marts/pipeline", "stale_thresholds"]
EXPORTS = ("2026-03-30", "2026-03-31", "2026-04-02")
DEAL_HEADER = (
    "deal_id,deal_name,account_id,owner_id,stage,amount,currency,expected_close_date,created_at,updated_at,"
    "lead_source,referrer_account_id,lost_reason,quote_number,po_number,merged_into_deal_id,is_deleted"
)


def deal_line(deal: str, owner: str, stage: str, amount: int, close: str, created: str, source: str, **extra) -> str:
    merged, deleted = extra.get("merged", ""), extra.get("deleted", "false")
    return (
        f"{deal},Deal {deal},A1,{owner},{stage},{amount}.00,EUR,{close},{created} 09:00:00,{created} 09:00:00,"
        f"{source},,,,,{merged},{deleted}"
    )


D1 = ("D1", "U001", "Proposal", 10000, "2026-04-15", "2026-01-10", "referral")
D2 = ("D2", "U001", "Qualified", 20000, "2026-06-30", "2026-02-01", "website")
D3 = ("D3", "U002", "Lead", 5000, "2026-04-10", "2026-03-01", "event")
D4 = ("D4", "U002", "Proposal", 8000, "2026-03-25", "2026-03-15", "outbound")
D5 = ("D5", "U002", "Lead", 3000, "2026-04-25", "2026-03-20", "outbound")
D6 = ("D6", "U001", "Lead", 7000, "2026-04-30", "2026-03-31", "partner")
D7 = ("D7", "U001", "Closed Won", 15000, "2026-03-10", "2026-01-05", "website")
D8 = ("D8", "U002", "Proposal", 9000, "2026-09-30", "2026-02-10", "website")
D9 = ("D9", "U002", "Lead", 4000, "2026-05-31", "2026-04-02", "website")


def changed(deal: tuple, **fields) -> tuple:
    names = ("deal", "owner", "stage", "amount", "close", "created", "source")
    values = dict(zip(names, deal, strict=True)) | fields
    return tuple(values[name] for name in names)


DEALS_PER_EXPORT = {
    "2026-03-30": [deal_line(*d) for d in (D1, D2, D3, D4, D5, D7, D8)],
    "2026-03-31": [
        deal_line(*changed(D1, amount=12000, close="2026-05-20")),
        deal_line(*changed(D2, stage="Verbal Order")),
        deal_line(*D3),
        deal_line(*changed(D4, close="2026-04-20")),
        deal_line(*D5, merged="D4"),
        deal_line(*D6),
        deal_line(*D7),
        deal_line(*D8),
    ],
    "2026-04-02": [
        deal_line(*changed(D1, amount=11000, close="2026-05-20")),
        deal_line(*changed(D2, stage="Closed Won")),
        deal_line(*changed(D3, stage="Closed Lost")),
        deal_line(*changed(D4, close="2026-07-15")),
        deal_line(*D5, merged="D4"),
        deal_line(*D6, deleted="true"),
        deal_line(*D7),
        deal_line(*changed(D8, close="2026-06-15")),
        deal_line(*D9),
    ],
}
# (deal, stage, changed_at, first export holding it); every export repeats the history up to its day.
STAGE_HISTORY = [
    ("D1", "Lead", "2026-01-10", EXPORTS[0]),
    ("D1", "Proposal", "2026-02-20", EXPORTS[0]),
    ("D2", "Qualified", "2026-02-15", EXPORTS[0]),
    ("D2", "Verbal Order", "2026-03-31", EXPORTS[1]),
    ("D2", "Closed Won", "2026-04-02", EXPORTS[2]),
    ("D3", "Lead", "2026-03-01", EXPORTS[0]),
    ("D3", "Closed Lost", "2026-04-02", EXPORTS[2]),
    ("D4", "Lead", "2026-03-15", EXPORTS[0]),
    ("D4", "Proposal", "2026-03-20", EXPORTS[0]),
    ("D5", "Lead", "2026-03-20", EXPORTS[0]),
    ("D6", "Lead", "2026-03-31", EXPORTS[1]),
    ("D7", "Lead", "2026-01-05", EXPORTS[0]),
    ("D7", "Closed Won", "2026-03-10", EXPORTS[0]),
    ("D8", "Lead", "2026-02-10", EXPORTS[0]),
    ("D8", "Proposal", "2026-03-10", EXPORTS[0]),
    ("D9", "Lead", "2026-04-02", EXPORTS[2]),
]
# (activity, deal, date, first export holding it)
ACTIVITIES = [
    ("ACT1", "D1", "2026-03-25", EXPORTS[0]),
    ("ACT2", "D2", "2026-03-29", EXPORTS[0]),
    ("ACT3", "D4", "2026-03-28", EXPORTS[0]),
    ("ACT4", "D8", "2026-03-27", EXPORTS[0]),
    ("ACT5", "D8", "2026-03-29", EXPORTS[2]),
]


def write_fixture_inbox(inbox: Path, up_to: str) -> None:
    """The hand-written exports of every export date up to `up_to` (ISO dates compare as strings)."""
    inbox.mkdir(parents=True, exist_ok=True)
    for export in (day for day in EXPORTS if day <= up_to):
        stamp = export.replace("-", "")
        (inbox / f"crm_deals_{stamp}.csv").write_text("\n".join([DEAL_HEADER, *DEALS_PER_EXPORT[export]]) + "\n")
        history = [f"{d},{stage},1.00,{at} 10:00:00" for d, stage, at, seen in STAGE_HISTORY if seen <= export]
        (inbox / f"crm_deal_stage_history_{stamp}.csv").write_text(
            "\n".join(["deal_id,stage,amount,changed_at", *history]) + "\n"
        )
        activities = [f"{a},{d},,U001,meeting,{at} 11:00:00,30" for a, d, at, seen in ACTIVITIES if seen <= export]
        (inbox / f"crm_activities_{stamp}.csv").write_text(
            "\n".join(
                ["activity_id,deal_id,contact_id,owner_id,activity_type,activity_at,duration_minutes", *activities]
            )
            + "\n"
        )
    (inbox / "crm_users_20260330.csv").write_text(
        "owner_id,full_name,email,team,is_active\nU001,Rep One,one@example.nl,Noord,true\n"
        "U002,Rep Two,two@example.nl,Zuid,true\n"
    )


@dataclass(frozen=True)
class PipelineBuild:
    db: Path
    work_dir: Path

    def frame(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(sql).df()

    def one(self, sql: str) -> tuple:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(sql).fetchone()


def build_pipeline(work_dir: Path, inbox: Path) -> PipelineBuild:
    db = work_dir / "build.duckdb"
    create_raw_tables(db)
    load_exports(db, inbox)
    result = run_dbt(["build", *PIPELINE_SELECTION], db, work_dir)
    assert result.returncode == 0, result.stdout[-4000:]
    assert failed_nodes(work_dir) == []
    return PipelineBuild(db=db, work_dir=work_dir)


def fixture_build(tmp_path_factory: pytest.TempPathFactory, up_to: str) -> PipelineBuild:
    work = tmp_path_factory.mktemp(f"pipeline_{up_to}")
    write_fixture_inbox(work / "inbox", up_to)
    return build_pipeline(work, work / "inbox")


@pytest.fixture(scope="module")
def fixture_pipeline(tmp_path_factory: pytest.TempPathFactory) -> PipelineBuild:
    return fixture_build(tmp_path_factory, EXPORTS[-1])


def euros(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_history_has_one_version_per_exported_state(fixture_pipeline: PipelineBuild):
    versions = fixture_pipeline.frame(
        "select deal_id, valid_from, valid_to, record_state, amount, expected_close_date "
        "from int_deal_states_historized where deal_id in ('crm:D1', 'crm:D5', 'crm:D6') order by deal_id, valid_from"
    )
    rows = [
        (
            row.deal_id,
            str(row.valid_from.date()),
            None if pd.isna(row.valid_to) else str(row.valid_to.date()),
            row.record_state,
            euros(row.amount) if not pd.isna(row.amount) else None,
            str(row.expected_close_date.date()),
        )
        for row in versions.itertuples()
    ]
    assert rows == [
        ("crm:D1", "2026-03-30", "2026-03-31", "open", euros(10000), "2026-04-15"),
        ("crm:D1", "2026-03-31", "2026-04-02", "open", euros(12000), "2026-05-20"),
        ("crm:D1", "2026-04-02", None, "open", euros(11000), "2026-05-20"),
        ("crm:D5", "2026-03-30", "2026-03-31", "open", euros(3000), "2026-04-25"),
        ("crm:D5", "2026-03-31", None, "merged", euros(3000), "2026-04-25"),
        ("crm:D6", "2026-03-31", "2026-04-02", "open", euros(7000), "2026-04-30"),
        ("crm:D6", "2026-04-02", None, "deleted", euros(7000), "2026-04-30"),
    ]


def test_open_and_weighted_pipeline_per_day(fixture_pipeline: PipelineBuild):
    days = fixture_pipeline.frame(
        "select period_start_date, open_deal_count, open_pipeline_eur, weighted_pipeline_eur from fct_pipeline_periods "
        "where period_grain = 'day' and dimension_name = 'all' order by period_start_date"
    )
    assert [
        (
            str(row.period_start_date.date()),
            row.open_deal_count,
            euros(row.open_pipeline_eur),
            euros(row.weighted_pipeline_eur),
        )
        for row in days.itertuples()
    ] == [
        # D1 5000 + D2 4000 + D3 250 + D4 4000 + D5 150 + D8 4500
        ("2026-03-30", 6, euros(55000), euros(17900)),
        # D1 6000 + D2 18000 (verbal order) + D3 250 + D4 4000 + D6 350 + D8 4500; D5 merged away
        ("2026-03-31", 6, euros(61000), euros(33100)),
        ("2026-04-01", 6, euros(61000), euros(33100)),  # no export: the state of 03-31 holds
        ("2026-04-02", 4, euros(32000), euros(14200)),  # D1 5500 + D4 4000 + D8 4500 + D9 200
    ]
    # Week, month and quarter read the pipeline on their as_of_date (last day, or the last export).
    periods = fixture_pipeline.frame(
        "select period_grain, period_start_date, as_of_date, is_complete, open_pipeline_eur from fct_pipeline_periods "
        "where period_grain <> 'day' and dimension_name = 'all' order by period_grain, period_start_date"
    )
    assert [
        (
            row.period_grain,
            str(row.period_start_date.date()),
            str(row.as_of_date.date()),
            row.is_complete,
            euros(row.open_pipeline_eur),
        )
        for row in periods.itertuples()
    ] == [
        ("month", "2026-03-01", "2026-03-31", True, euros(61000)),
        ("month", "2026-04-01", "2026-04-02", False, euros(32000)),
        ("quarter", "2026-01-01", "2026-03-31", True, euros(61000)),
        ("quarter", "2026-04-01", "2026-04-02", False, euros(32000)),
        ("week", "2026-03-30", "2026-04-02", False, euros(32000)),
    ]


def test_pipeline_per_dimension_and_empty_values(fixture_pipeline: PipelineBuild):
    rows = fixture_pipeline.frame(
        "select dimension_name, dimension_value, open_deal_count, open_pipeline_eur, stale_pipeline_share "
        "from fct_pipeline_periods where period_grain = 'day' and period_start_date = '2026-04-02' "
        "and dimension_name in ('owner', 'team', 'lead_source') order by dimension_name, dimension_value"
    )
    by_value = {(row.dimension_name, row.dimension_value): row for row in rows.itertuples()}
    assert (
        by_value[("owner", "crm:U001")].open_deal_count,
        euros(by_value[("owner", "crm:U001")].open_pipeline_eur),
    ) == (
        1,
        euros(11000),
    )
    assert euros(by_value[("team", "Zuid")].open_pipeline_eur) == euros(21000)
    # An empty value: D3 (the only 'event' deal) was lost; counts and sums 0, the share NULL.
    empty = by_value[("lead_source", "event")]
    assert (empty.open_deal_count, euros(empty.open_pipeline_eur)) == (0, euros(0))
    assert pd.isna(empty.stale_pipeline_share)
    # The values of a dimension add up to the total.
    total = fixture_pipeline.one(
        "select sum(open_pipeline_eur) filter (where dimension_name = 'lead_source'), "
        "sum(open_pipeline_eur) filter (where dimension_name = 'all') from fct_pipeline_periods "
        "where period_grain = 'day' and period_start_date = '2026-04-02'"
    )
    assert total[0] == total[1]


def test_stale_deals(fixture_pipeline: PipelineBuild):
    stale = fixture_pipeline.frame(
        "select date_day, deal_id, is_stale_no_activity, is_stale_no_stage_change, is_past_close_date, "
        "last_activity_date from fct_pipeline_snapshots where is_stale or deal_id = 'crm:D8' order by date_day, deal_id"
    )
    flags = {
        (str(row.date_day.date()), row.deal_id): (
            row.is_stale_no_activity,
            row.is_stale_no_stage_change,
            row.is_past_close_date,
        )
        for row in stale.itertuples()
        if row.deal_id != "crm:D8"
    }
    assert flags == {
        ("2026-03-30", "crm:D1"): (False, True, False),  # Proposal since 02-20: 38 days >= 30
        ("2026-03-30", "crm:D3"): (True, False, False),  # Lead, no activity since creation 03-01: 29 >= 14
        ("2026-03-30", "crm:D4"): (False, False, True),  # expected to close 03-25
        ("2026-03-31", "crm:D1"): (False, True, False),
        ("2026-03-31", "crm:D3"): (True, True, False),  # 30 days in Lead >= 30
        ("2026-04-01", "crm:D1"): (False, True, False),
        ("2026-04-01", "crm:D3"): (True, True, False),
        ("2026-04-02", "crm:D1"): (False, True, False),
    }
    # D8's activity of 03-29 was first exported on 04-02: earlier days do not know it.
    d8 = {
        str(row.date_day.date()): str(row.last_activity_date.date())
        for row in stale.itertuples()
        if row.deal_id == "crm:D8"
    }
    assert d8 == {
        "2026-03-30": "2026-03-27",
        "2026-03-31": "2026-03-27",
        "2026-04-01": "2026-03-27",
        "2026-04-02": "2026-03-29",
    }
    shares = fixture_pipeline.frame(
        "select period_start_date, stale_deal_count, stale_pipeline_eur, stale_pipeline_share "
        "from fct_pipeline_periods "
        "where period_grain = 'day' and dimension_name = 'all' order by period_start_date"
    )
    assert [
        (row.stale_deal_count, euros(row.stale_pipeline_eur), row.stale_pipeline_share) for row in shares.itertuples()
    ] == [
        (3, euros(23000), 23000 / 55000),
        (2, euros(17000), 17000 / 61000),
        (2, euros(17000), 17000 / 61000),
        (1, euros(11000), 11000 / 32000),
    ]


MOVEMENT_COLUMNS = (
    "new",
    "pulled_in",
    "amount_up",
    "amount_down",
    "pushed_out",
    "won",
    "lost",
    "removed",
    "reassigned",
)


def waterfall(build: PipelineBuild, grain: str, start: str, dimension: str = "all", value: str = "all") -> dict:
    frame = build.frame(
        f"select * from fct_pipeline_movement_periods where period_grain = '{grain}' "
        f"and period_start_date = '{start}' and dimension_name = '{dimension}' and dimension_value = '{value}'"
    )
    assert len(frame) == 1
    row = frame.iloc[0]
    amounts = {name: euros(row[f"{name}_eur"]) for name in MOVEMENT_COLUMNS}
    return {
        "opening": euros(row.opening_pipeline_eur),
        "closing": euros(row.closing_pipeline_eur),
        "still_open": (row.still_open_deal_count, euros(row.still_open_eur)),
        **{name: amount for name, amount in amounts.items() if amount != 0},
    }


def test_pipeline_movement_per_quarter(fixture_pipeline: PipelineBuild):
    # Q2 opens (as of 03-31) with D1 12000, D2 20000, D3 5000, D4 8000, D6 7000 expected to close in it.
    assert waterfall(fixture_pipeline, "quarter", "2026-04-01") == {
        "opening": euros(52000),
        "new": euros(4000),  # D9
        "pulled_in": euros(9000),  # D8: 09-30 -> 06-15
        "amount_down": euros(-1000),  # D1: 12000 -> 11000
        "pushed_out": euros(-8000),  # D4: 04-20 -> 07-15
        "won": euros(-20000),  # D2
        "lost": euros(-5000),  # D3
        "removed": euros(-7000),  # D6 deleted
        "closing": euros(24000),
        "still_open": (1, euros(11000)),  # D1
    }
    # Q1: D4 entered on E1 expecting to close on 03-25, then slipped to 04-20 on E2.
    assert waterfall(fixture_pipeline, "quarter", "2026-01-01") == {
        "opening": euros(0),
        "new": euros(8000),
        "pushed_out": euros(-8000),
        "closing": euros(0),
        "still_open": (0, euros(0)),
    }
    # An empty period: nothing expected to close in the week of 03-30.
    assert waterfall(fixture_pipeline, "week", "2026-03-30") == {
        "opening": euros(0),
        "closing": euros(0),
        "still_open": (0, euros(0)),
    }
    # Per owner: U002's part of Q2.
    assert waterfall(fixture_pipeline, "quarter", "2026-04-01", "owner", "crm:U002") == {
        "opening": euros(13000),
        "new": euros(4000),
        "pulled_in": euros(9000),
        "pushed_out": euros(-8000),
        "lost": euros(-5000),
        "closing": euros(13000),
        "still_open": (0, euros(0)),
    }


def test_coverage(fixture_pipeline: PipelineBuild):
    frame = fixture_pipeline.frame(
        "select period_start_date, team, target_eur, booked_eur, remaining_target_eur, pipeline_eur, coverage_ratio "
        "from fct_pipeline_coverage where period_grain = 'day' and period_start_date in ('2026-03-30', '2026-04-02')"
    )
    rows = {(str(row.period_start_date.date()), row.team): row for row in frame.itertuples()}

    def values(day: str, team: str) -> tuple:
        row = rows[(day, team)]
        return euros(row.target_eur), euros(row.booked_eur), euros(row.remaining_target_eur), euros(row.pipeline_eur)

    # Q1, as of 03-30: D7 (signed 03-10) is booked; D4 (overdue, 03-25) can still close in Q1.
    assert values("2026-03-30", "Noord") == (euros(700000), euros(15000), euros(685000), euros(0))
    assert values("2026-03-30", "Zuid") == (euros(850000), euros(0), euros(850000), euros(8000))
    # Q2, as of 04-02: D2 signed 04-02; D4 now expects 07-15 (after Q2): not counted.
    assert values("2026-04-02", "Noord") == (euros(700000), euros(20000), euros(680000), euros(11000))
    assert values("2026-04-02", "Zuid") == (euros(850000), euros(0), euros(850000), euros(13000))
    assert values("2026-04-02", "(all)") == (euros(2700000), euros(20000), euros(2680000), euros(24000))
    assert rows[("2026-04-02", "Noord")].coverage_ratio == 11000 / 680000
    assert rows[("2026-04-02", "Randstad")].coverage_ratio == 0.0  # a target, nothing open


def test_expectation_suites_pass_and_catch_a_missing_period(fixture_pipeline: PipelineBuild, tmp_path: Path):
    suites = sorted((REPO_ROOT / "expectations").glob("*pipeline*.json"))
    assert len(suites) == 6
    for suite in suites:
        result = validate_frame(fixture_pipeline.frame(f"select * from {suite.stem}"), suite, tmp_path)
        assert result.success, (suite.stem, result.failed)
    periods = fixture_pipeline.frame("select * from fct_pipeline_periods")
    gap = periods[~((periods.period_grain == "day") & (periods.period_start_date == pd.Timestamp("2026-04-01")))]
    result = validate_frame(gap, REPO_ROOT / "expectations" / "fct_pipeline_periods.json", tmp_path)
    assert [failed.expectation for failed in result.failed] == ["period_spine_complete"]
    assert result.failed[0].sample[0] == "day 2026-04-01"
    duplicated = pd.concat([periods, periods.head(1)])
    result = validate_frame(duplicated, REPO_ROOT / "expectations" / "fct_pipeline_periods.json", tmp_path)
    assert [failed.expectation for failed in result.failed] == ["expect_compound_columns_to_be_unique"]


def test_a_past_date_computed_later_equals_the_pipeline_computed_then(
    fixture_pipeline: PipelineBuild, tmp_path_factory: pytest.TempPathFactory
):
    then = fixture_build(tmp_path_factory, EXPORTS[1])  # the exports seen on 03-31
    as_of = "2026-03-31"
    for table, key in (
        ("fct_pipeline_snapshots", "date_day"),
        ("fct_pipeline_periods", "as_of_date"),
        ("fct_pipeline_coverage", "as_of_date"),
        ("fct_pipeline_movement_periods", "as_of_date"),
    ):
        # Periods still running on 03-31 (the week of 03-30) were read on another day then than now.
        complete = "" if table == "fct_pipeline_snapshots" else " and is_complete"
        query = f"select * from {table} where {key} <= '{as_of}'{complete}"
        before = then.frame(query)
        now = fixture_pipeline.frame(query)
        # Later exports can add dimension values (rows of zeros); the rows known then are unchanged.
        merged = now.merge(before, how="left", indicator=True)
        assert len(before) > 0
        assert len(merged[merged["_merge"] == "both"]) == len(before), table
        extra = merged[merged["_merge"] == "left_only"]
        numeric = extra.select_dtypes("number")
        assert (numeric.fillna(0) == 0).all().all(), (table, extra)


@pytest.fixture(scope="module")
def demo_pipeline(tmp_path_factory: pytest.TempPathFactory) -> tuple[PipelineBuild, dict]:
    """Demo exports over 5 daily CRM exports, only the pipeline part of the project built."""
    work = tmp_path_factory.mktemp("pipeline_demo")
    summary = generate_demo(work / "inbox", work / "truth", deals=300, seed=11, crm_exports=5)
    return build_pipeline(work, work / "inbox"), summary


def test_demo_movements_add_up_and_end_at_the_truth(demo_pipeline: tuple[PipelineBuild, dict]):
    build, summary = demo_pipeline
    mismatches = build.one(
        "select count(*) from fct_pipeline_movement_periods "
        f"where closing_pipeline_eur <> opening_pipeline_eur + {' + '.join(f'{m}_eur' for m in MOVEMENT_COLUMNS)} "
        "or closing_deal_count <> opening_deal_count + net_deal_count_change"
    )
    assert mismatches == (0,)
    assert build.one("select count(distinct movement_type) from fct_pipeline_movements")[0] >= 3
    # The demo's exports are on consecutive days: one day period each.
    assert build.one("select count(*) from dim_pipeline_periods where period_grain = 'day'") == (
        len(summary["crm_export_dates"]),
    )
    # On the last export day the open pipeline is the truth's open deals.
    last_day = summary["crm_export_dates"][-1]
    assert build.one(
        f"select open_deal_count from fct_pipeline_periods where period_grain = 'day' "
        f"and period_start_date = '{last_day}' and dimension_name = 'all'"
    ) == (summary["open_count"],)


def mf_query(build: PipelineBuild, metrics: list[str], group_by: str, where: list[str]) -> pd.DataFrame:
    """`mf query` as an analyst runs it, on the fixture's database; the CSV it writes, as a frame."""
    out = build.work_dir / f"mf_{metrics[0]}_{group_by}.csv"
    command = [
        str(Path(sys.executable).parent / "mf"),
        "query",
        "--metrics",
        ",".join(metrics),
        "--group-by",
        group_by,
        "--csv",
        str(out),
    ]
    for condition in where:
        command += ["--where", condition]
    env = {
        **os.environ,
        "DEALLEDGER_BUILD_DB": str(build.db),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
    }
    result = subprocess.run(command, env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True, check=False)
    assert result.returncode == 0 and out.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    with out.open(newline="") as handle:
        return pd.DataFrame(list(csv.DictReader(handle)))


def test_metricflow_gives_the_mart_values(fixture_pipeline: PipelineBuild):
    snapshot_metrics = [
        "open_pipeline_eur",
        "open_deal_count",
        "weighted_pipeline_eur",
        "stale_pipeline_eur",
        "stale_deal_count",
        "stale_pipeline_share",
    ]
    mart_columns = [
        "open_pipeline_eur",
        "open_deal_count",
        "weighted_pipeline_eur",
        "stale_pipeline_eur",
        "stale_deal_count",
        "stale_pipeline_share",
    ]
    for grain in ("day", "quarter"):
        semantic = mf_query(fixture_pipeline, snapshot_metrics, f"metric_time__{grain}", [])
        mart = fixture_pipeline.frame(
            f"select period_start_date, {', '.join(mart_columns)} from fct_pipeline_periods "
            f"where period_grain = '{grain}' and dimension_name = 'all' order by period_start_date"
        )
        semantic = semantic.sort_values(f"metric_time__{grain}").reset_index(drop=True)
        assert [value[:10] for value in semantic[f"metric_time__{grain}"]] == [
            str(day.date()) for day in mart.period_start_date
        ]
        for metric, column in zip(snapshot_metrics, mart_columns, strict=True):
            assert [float(value) for value in semantic[metric]] == pytest.approx(
                [float(value) for value in mart[column]], abs=1e-9
            ), metric
    movement_metrics = [f"pipeline_{name}_eur" for name in MOVEMENT_COLUMNS]
    semantic = mf_query(
        fixture_pipeline,
        movement_metrics,
        "metric_time__quarter",
        [
            "{{ Dimension('pipeline_movement__period_grain') }} = 'quarter'",
            "{{ Dimension('pipeline_movement__dimension_name') }} = 'all'",
        ],
    ).sort_values("metric_time__quarter")
    mart = fixture_pipeline.frame(
        f"select {', '.join(f'{name}_eur' for name in MOVEMENT_COLUMNS)} from fct_pipeline_movement_periods "
        "where period_grain = 'quarter' and dimension_name = 'all' order by period_start_date"
    )
    for name in MOVEMENT_COLUMNS:
        semantic_values = [euros(value or 0) for value in semantic[f"pipeline_{name}_eur"]]
        assert semantic_values == [euros(value) for value in mart[f"{name}_eur"]], name
    semantic = mf_query(
        fixture_pipeline,
        ["pipeline_coverage_ratio"],
        "metric_time__day",
        [
            "{{ Dimension('pipeline_coverage_row__period_grain') }} = 'day'",
            "{{ Dimension('pipeline_coverage_row__team') }} = '(all)'",
        ],
    ).sort_values("metric_time__day")
    mart = fixture_pipeline.frame(
        "select coverage_ratio from fct_pipeline_coverage where period_grain = 'day' and team = '(all)' "
        "order by period_start_date"
    )
    assert [float(value) for value in semantic["pipeline_coverage_ratio"]] == pytest.approx(
        list(mart.coverage_ratio), abs=1e-12
    )


def test_a_stage_probability_outside_0_to_1_fails_the_seed_test(tmp_path: Path):
    """A probability written as a percentage (50 instead of 0.50) must stop the build."""
    project = project_with_edited_seed(
        tmp_path, "stage_milestones", "Proposal,proposal,3,0.50", "Proposal,proposal,3,50"
    )
    result = run_dbt(["build", "--select", "stage_milestones"], tmp_path / "build.duckdb", tmp_path, project)
    assert result.returncode != 0
    failed = [name for name in failed_nodes(tmp_path) if "stage_probability" in name]
    assert len(failed) == 1
    assert failed[0].startswith("test.dealledger.accepted_range_stage_milestones_stage_probability")
