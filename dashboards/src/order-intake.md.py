"""Order intake counted once per quarter, next to the announcements that inflate it (fct_order_intake)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lib.metrics import labelled  # noqa: E402
from _lib.render import Chart, Column, Kpi, Page, fmt_eur, fmt_int, fmt_ratio  # noqa: E402
from _lib.serving import open_serving  # noqa: E402

TITLE = "Order intake"
ORDER = 10

serving = open_serving()
page = Page("Order intake, each deal counted once", serving)
page.mart_definition("fct_order_intake", "booked_deal_count", "announcement_count", "announcement_inflation")

COLUMNS = [
    "period_start_date",
    "booked_deal_count",
    "booked_amount_eur",
    "announcement_count",
    "announcement_inflation",
]
years = labelled(serving.mart("fct_order_intake", COLUMNS, where="period_grain = 'year'", order_by="1"), "year")
quarters = labelled(
    serving.mart("fct_order_intake", COLUMNS, where="period_grain = 'quarter'", order_by="1"), "quarter"
)

if years:
    year = years[-1]
    page.kpis(
        [
            Kpi("booked_deals", f"Real deals booked {year['period']}", fmt_int(year["booked_deal_count"])),
            Kpi("booked_amount_eur", f"Order intake {year['period']}", fmt_eur(year["booked_amount_eur"])),
            Kpi("announcements", f"Announcements seen {year['period']}", fmt_int(year["announcement_count"])),
            Kpi(
                "announcement_inflation",
                f"Announcement inflation {year['period']}",
                fmt_ratio(year["announcement_inflation"]),
                "announcements per real deal",
            ),
        ]
    )

page.charts(
    Chart(
        "announcements-vs-deals",
        [
            row
            for q in quarters
            for row in (
                {"quarter": q["period"], "series": "Announcements seen", "count": q["announcement_count"]},
                {"quarter": q["period"], "series": "Real deals", "count": q["booked_deal_count"]},
            )
        ],
        """
        Plot.plot({
          width, height: 280, marginBottom: 50,
          x: {label: null, tickRotate: -45},
          y: {grid: true, label: "count"},
          color: {legend: true, domain: ["Announcements seen", "Real deals"], range: ["#e8a33d", "steelblue"]},
          marks: [
            Plot.lineY(data, {x: "quarter", y: "count", stroke: "series", marker: true, tip: true}),
            Plot.ruleY([0])
          ]
        })
        """,
        caption="Announcements seen vs real deals booked, per quarter",
        width=900,
    )
)

TABLE = [
    Column("period", "Period"),
    Column("booked_deal_count", "Real deals booked", fmt_int, numeric=True),
    Column("booked_amount_eur", "Order intake (EUR)", fmt_eur, numeric=True),
    Column("announcement_count", "Announcements seen", fmt_int, numeric=True),
    Column("announcement_inflation", "Announcements per deal", fmt_ratio, numeric=True),
]
page.heading("Per year")
page.table("intake-by-year", years, TABLE, key="period")
page.heading("Per quarter")
page.table("intake-by-quarter", quarters, TABLE, key="period")
page.print()
