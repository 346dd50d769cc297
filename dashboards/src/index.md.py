"""Index: the headline numbers, each linking to the page that explains it."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lib import metrics as m  # noqa: E402
from _lib.render import Chart, Kpi, Page, fmt_eur, fmt_int, fmt_pct, fmt_ratio  # noqa: E402
from _lib.serving import open_serving  # noqa: E402

TITLE = "Overview"
ORDER = 0

serving = open_serving()
page = Page("Sales pipeline at a glance", serving)

intake = m.order_intake_by_quarter(serving)
intake_all = m.intake_total(intake)
latest = intake[-1] if intake else None
rates = m.close_rates(serving).total
pipeline = m.open_pipeline(serving)
uninvoiced = m.uninvoiced_won_deals(serving, page.as_of)
unmatched = m.unmatched_invoices(serving)
review = m.review_invoices(serving)

page.heading("Order intake")
page.kpis(
    [
        Kpi(
            "booked_deals",
            "Won deals booked",
            fmt_int(intake_all.booked_deals),
            "each deal counted once",
            "order-intake.html",
        ),
        Kpi(
            "booked_amount_eur",
            "Order intake",
            fmt_eur(intake_all.booked_amount_eur),
            "all quarters, EUR",
            "order-intake.html",
        ),
        Kpi(
            "latest_quarter_amount_eur",
            f"Order intake {latest.quarter}" if latest else "Latest quarter",
            fmt_eur(latest.booked_amount_eur if latest else None),
            f"{fmt_int(latest.booked_deals)} deals" if latest else "no booked deals",
            "order-intake.html",
        ),
        Kpi(
            "announcement_inflation",
            "Announcement inflation",
            fmt_ratio(intake_all.inflation),
            f"{fmt_int(intake_all.announcements)} announcements for {fmt_int(intake_all.booked_deals)} real deals",
            "order-intake.html",
        ),
    ]
)

page.heading("Win and no-go")
page.kpis(
    [
        Kpi(
            "win_rate",
            "Win rate (count)",
            fmt_pct(rates.win_rate),
            f"of {fmt_int(rates.closed_deals)} closed deals",
            "win-rates.html",
        ),
        Kpi(
            "win_rate_amount",
            "Win rate (amount)",
            fmt_pct(rates.win_rate_amount),
            f"of {fmt_eur(rates.closed_amount_eur)} closed",
            "win-rates.html",
        ),
        Kpi(
            "no_go_rate",
            "No-go rate (count)",
            fmt_pct(rates.no_go_rate),
            f"{fmt_int(rates.lost_deals)} lost deals",
            "win-rates.html",
        ),
        Kpi("open_deals", "Open pipeline", fmt_int(pipeline["deals"]), f"{fmt_eur(pipeline['amount_eur'])} open", ""),
    ]
)

page.heading("Reconciliation")
page.kpis(
    [
        Kpi(
            "uninvoiced_won_deals",
            "Won deals never invoiced",
            fmt_int(len(uninvoiced)),
            f"{fmt_eur(m.amount_sum(uninvoiced, 'amount_eur'))} not yet billed",
            "reconciliation.html",
        ),
        Kpi(
            "unmatched_invoices",
            "Invoices matched to no deal",
            fmt_int(len(unmatched)),
            f"{fmt_eur(m.amount_sum(unmatched, 'net_amount_eur'))} net",
            "reconciliation.html",
        ),
        Kpi(
            "review_invoices",
            "Invoices needing review",
            fmt_int(len(review)),
            f"{fmt_eur(m.amount_sum(review, 'net_amount_eur'))} net",
            "reconciliation.html",
        ),
    ],
    columns=3,
)

if intake:
    page.charts(
        Chart(
            "intake",
            [{"quarter": q.quarter, "amount_eur": q.booked_amount_eur} for q in intake],
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
            width=900,
        )
    )

page.print()
