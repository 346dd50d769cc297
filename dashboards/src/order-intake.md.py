"""Order intake counted once per quarter, next to the announcements that inflate it."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lib import metrics as m  # noqa: E402
from _lib.render import Chart, Column, Kpi, Page, fmt_eur, fmt_int, fmt_ratio  # noqa: E402
from _lib.serving import open_serving  # noqa: E402

TITLE = "Order intake"
ORDER = 10

serving = open_serving()
page = Page("Order intake, each deal counted once", serving)
page.definition(m.ORDER_INTAKE_DEFINITION)

quarters = m.order_intake_by_quarter(serving)
total = m.intake_total(quarters)

page.kpis(
    [
        Kpi("booked_deals", "Real deals booked", fmt_int(total.booked_deals), "won, counted once"),
        Kpi("booked_amount_eur", "Order intake", fmt_eur(total.booked_amount_eur), "EUR, all quarters"),
        Kpi("announcements", "Announcements seen", fmt_int(total.announcements), "for the same deals"),
        Kpi(
            "announcement_inflation",
            "Announcement inflation",
            fmt_ratio(total.inflation),
            "announcements per real deal",
        ),
    ]
)

if quarters:
    page.charts(
        Chart(
            "intake-amount",
            [{"quarter": q.quarter, "amount_eur": q.booked_amount_eur} for q in quarters],
            """
            Plot.plot({
              width, height: 260, marginLeft: 60,
              x: {label: null},
              y: {grid: true, label: "EUR", tickFormat: "~s"},
              marks: [
                Plot.barY(data, {x: "quarter", y: "amount_eur", fill: "steelblue", tip: true}),
                Plot.ruleY([0])
              ]
            })
            """,
            caption="Order intake per booking quarter (EUR)",
        ),
        Chart(
            "announcements-vs-deals",
            [
                row
                for q in quarters
                for row in (
                    {"quarter": q.quarter, "series": "Announcements seen", "count": q.announcements},
                    {"quarter": q.quarter, "series": "Real deals", "count": q.booked_deals},
                )
            ],
            """
            Plot.plot({
              width, height: 260,
              x: {axis: null},
              fx: {label: null},
              y: {grid: true, label: "count", tickFormat: (d) => (Number.isInteger(d) ? d : "")},
              color: {legend: true, domain: ["Announcements seen", "Real deals"], range: ["#e8a33d", "steelblue"]},
              marks: [
                Plot.barY(data, {fx: "quarter", x: "series", y: "count", fill: "series", tip: true}),
                Plot.ruleY([0])
              ]
            })
            """,
            caption="Announcements seen vs real deals, per booking quarter",
        ),
    )

page.heading("Per quarter")
page.table(
    "intake-by-quarter",
    [
        {
            "quarter": q.quarter,
            "booked_deals": q.booked_deals,
            "booked_amount_eur": q.booked_amount_eur,
            "announcements": q.announcements,
            "inflation": q.inflation,
        }
        for q in quarters
    ],
    [
        Column("quarter", "Quarter"),
        Column("booked_deals", "Real deals booked", fmt_int, numeric=True),
        Column("booked_amount_eur", "Order intake (EUR)", fmt_eur, numeric=True),
        Column("announcements", "Announcements seen", fmt_int, numeric=True),
        Column("inflation", "Announcements per deal", fmt_ratio, numeric=True),
    ],
    key="quarter",
    empty="No won deal has a booking date yet.",
)

page.print()
