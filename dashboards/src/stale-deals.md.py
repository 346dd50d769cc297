"""Stale and at-risk open deals: the latest day's stale flags; deals past proposal without a decision maker."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lib.render import Column, Kpi, Page, fmt_date, fmt_eur, fmt_flag, fmt_int, fmt_pct  # noqa: E402
from _lib.serving import open_serving  # noqa: E402

TITLE = "Stale and at-risk deals"
ORDER = 60


serving = open_serving()
page = Page("Stale and at-risk deals", serving)

LATEST_DAY = (
    "period_grain = 'day' and dimension_name = 'all' "
    "and period_start_date = (select max(period_start_date) from fct_pipeline_periods where period_grain = 'day')"
)
day = serving.mart(
    "fct_pipeline_periods",
    [
        "as_of_date",
        "open_deal_count",
        "stale_deal_count",
        "stale_pipeline_eur",
        "stale_pipeline_share",
        "no_activity_deal_count",
        "no_stage_change_deal_count",
        "past_close_date_deal_count",
    ],
    where=LATEST_DAY,
)
if day:
    today = day[0]
    page.kpis(
        [
            Kpi(
                "stale_deals",
                f"Stale open deals {today['as_of_date']}",
                fmt_int(today["stale_deal_count"]),
                f"of {fmt_int(today['open_deal_count'])} open",
            ),
            Kpi("stale_pipeline_eur", "Stale pipeline", fmt_eur(today["stale_pipeline_eur"])),
            Kpi("stale_pipeline_share", "Share of the pipeline", fmt_pct(today["stale_pipeline_share"])),
            Kpi("past_close_date_deals", "Past their close date", fmt_int(today["past_close_date_deal_count"])),
        ]
    )
page.mart_definition("fct_pipeline_periods", "stale_deal_count", "stale_pipeline_share")
page.heading("Stale deals on the latest day")
page.mart_definition("fct_pipeline_snapshots", "is_stale_no_activity", "is_stale_no_stage_change", "is_past_close_date")
page.table(
    "stale-deals",
    serving.mart(
        "fct_pipeline_snapshots",
        [
            "deal_id",
            "owner_id",
            "stage",
            "amount_eur",
            "days_since_last_activity",
            "days_since_stage_change",
            "expected_close_date",
            "is_stale_no_activity",
            "is_stale_no_stage_change",
            "is_past_close_date",
        ],
        where="is_stale and date_day = (select max(date_day) from fct_pipeline_snapshots)",
        order_by="amount_eur desc nulls last, deal_id",
    ),
    [
        Column("deal_id", "Deal"),
        Column("owner_id", "Owner"),
        Column("stage", "Stage"),
        Column("amount_eur", "Amount", fmt_eur, numeric=True),
        Column("days_since_last_activity", "Days without activity", fmt_int, numeric=True),
        Column("days_since_stage_change", "Days in stage", fmt_int, numeric=True),
        Column("expected_close_date", "Expected close", fmt_date),
        Column("is_stale_no_activity", "No activity", fmt_flag),
        Column("is_stale_no_stage_change", "Stuck in stage", fmt_flag),
        Column("is_past_close_date", "Past close date", fmt_flag),
    ],
    key="deal_id",
    limit=50,
    empty="No open deal is stale.",
)

page.heading("At risk: past the proposal without a decision maker met")
page.mart_definition("fct_deal_outcomes", "is_at_risk", "first_decision_maker_meeting_at")
page.table(
    "at-risk-deals",
    serving.mart(
        "fct_deal_outcomes",
        ["deal_id", "owner_id", "team", "amount_eur", "proposal_at", "first_meeting_at"],
        where="is_at_risk",
        order_by="amount_eur desc nulls last, deal_id",
    ),
    [
        Column("deal_id", "Deal"),
        Column("owner_id", "Owner"),
        Column("team", "Team"),
        Column("amount_eur", "Amount", fmt_eur, numeric=True),
        Column("proposal_at", "Proposal", fmt_date),
        Column("first_meeting_at", "First meeting", fmt_date),
    ],
    key="deal_id",
    limit=50,
    empty="No open deal is at risk.",
)
page.print()
