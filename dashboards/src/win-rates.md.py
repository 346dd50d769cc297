"""Win and no-go rates per quarter, by count and amount, with sales cycles and velocity (performance marts)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lib.metrics import labelled  # noqa: E402
from _lib.render import Chart, Column, Kpi, Page, fmt_eur, fmt_int, fmt_num1, fmt_pct  # noqa: E402
from _lib.serving import open_serving  # noqa: E402

TITLE = "Win and no-go rates"
ORDER = 30


serving = open_serving()
page = Page("Win and no-go rates", serving)
page.mart_definition("fct_win_rates", "closed_deal_count", "win_rate_count", "win_rate_amount", "no_go_rate_count")

RATES = [
    "period_start_date",
    "breakdown_value",
    "closed_deal_count",
    "won_deal_count",
    "lost_deal_count",
    "disqualified_deal_count",
    "closed_amount_eur",
    "win_rate_count",
    "no_go_rate_count",
    "win_rate_amount",
    "no_go_rate_amount",
]
quarters = labelled(
    serving.mart("fct_win_rates", RATES, where="period_grain = 'quarter' and breakdown = 'total'", order_by="1"),
    "quarter",
)
years = labelled(
    serving.mart("fct_win_rates", RATES, where="period_grain = 'year' and breakdown = 'total'", order_by="1"),
    "year",
)
if years:
    year = years[-1]
    page.kpis(
        [
            Kpi("closed_deals", f"Closed deals {year['period']}", fmt_int(year["closed_deal_count"])),
            Kpi("win_rate", f"Win rate {year['period']}", fmt_pct(year["win_rate_count"]), "by count"),
            Kpi("win_rate_amount", f"Win rate {year['period']}", fmt_pct(year["win_rate_amount"]), "by amount"),
            Kpi("no_go_rate", f"No-go rate {year['period']}", fmt_pct(year["no_go_rate_count"]), "by count"),
        ]
    )
page.charts(
    Chart(
        "rates",
        [
            {"quarter": q["period"], "rate": label, "value": q[column]}
            for q in quarters
            for column, label in (("win_rate_count", "win (count)"), ("win_rate_amount", "win (amount)"))
            if q[column] is not None
        ],
        """
        Plot.plot({
          width, height: 260, marginBottom: 50,
          x: {label: null, tickRotate: -45},
          y: {grid: true, label: "rate", domain: [0, 1], tickFormat: "%"},
          color: {legend: true},
          marks: [Plot.lineY(data, {x: "quarter", y: "value", stroke: "rate", marker: true, tip: true})]
        })
        """,
        caption="Win rate per close quarter",
        width=900,
    )
)
RATE_TABLE = [
    Column("period", "Period"),
    Column("closed_deal_count", "Closed", fmt_int, numeric=True),
    Column("won_deal_count", "Won", fmt_int, numeric=True),
    Column("lost_deal_count", "Lost", fmt_int, numeric=True),
    Column("disqualified_deal_count", "Disqualified (not in rates)", fmt_int, numeric=True),
    Column("closed_amount_eur", "Closed amount", fmt_eur, numeric=True),
    Column("win_rate_count", "Win rate", fmt_pct, numeric=True),
    Column("no_go_rate_count", "No-go rate", fmt_pct, numeric=True),
    Column("win_rate_amount", "Win rate (amount)", fmt_pct, numeric=True),
    Column("no_go_rate_amount", "No-go rate (amount)", fmt_pct, numeric=True),
]
page.heading("Per quarter")
page.table("rates-by-quarter", quarters, RATE_TABLE, key="period")

page.heading("Referred deals and decision makers, per year")
cuts = labelled(
    serving.mart(
        "fct_win_rates",
        ["breakdown", *RATES],
        where="period_grain = 'year' and breakdown in ('referral', 'decision_maker')",
        order_by="period_start_date, breakdown, breakdown_value",
    ),
    "year",
)
page.table(
    "rates-by-cut",
    [{**c, "key": f"{c['period']}/{c['breakdown_value']}"} for c in cuts],
    [Column("period", "Year"), Column("breakdown_value", "Deals"), *RATE_TABLE[1:]],
    key="key",
)

page.heading("Sales cycle per quarter (created → booked)")
page.mart_definition("fct_sales_cycles", "median_cycle_days")
cycles = labelled(
    serving.mart(
        "fct_sales_cycles",
        ["period_start_date", "booked_deal_count", "avg_cycle_days", "median_cycle_days", "p80_cycle_days"],
        where="period_grain = 'quarter' and breakdown = 'total' and cycle_start = 'created'",
        order_by="1",
    ),
    "quarter",
)
page.table(
    "cycles-by-quarter",
    cycles,
    [
        Column("period", "Quarter"),
        Column("booked_deal_count", "Booked deals", fmt_int, numeric=True),
        Column("avg_cycle_days", "Average days", fmt_num1, numeric=True),
        Column("median_cycle_days", "Median days", fmt_num1, numeric=True),
        Column("p80_cycle_days", "80th percentile days", fmt_num1, numeric=True),
    ],
    key="period",
)

page.heading("Sales velocity per quarter")
page.mart_definition("fct_sales_velocity")
velocity = labelled(
    serving.mart(
        "fct_sales_velocity",
        [
            "period_start_date",
            "open_deal_count",
            "win_rate_count",
            "avg_won_amount_eur",
            "avg_cycle_days",
            "sales_velocity_eur_per_day",
        ],
        where="period_grain = 'quarter' and breakdown = 'total'",
        order_by="1",
    ),
    "quarter",
)
page.table(
    "velocity-by-quarter",
    velocity,
    [
        Column("period", "Quarter"),
        Column("open_deal_count", "Open deals", fmt_int, numeric=True),
        Column("win_rate_count", "Win rate", fmt_pct, numeric=True),
        Column("avg_won_amount_eur", "Average won", fmt_eur, numeric=True),
        Column("avg_cycle_days", "Average cycle days", fmt_num1, numeric=True),
        Column("sales_velocity_eur_per_day", "Velocity (EUR/day)", fmt_eur, numeric=True),
    ],
    key="period",
)
page.print()
