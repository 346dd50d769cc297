"""Reconciliation: won deals never invoiced, invoices matched to no deal, matches that need review."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lib import metrics as m  # noqa: E402
from _lib.render import Chart, Column, Kpi, Page, fmt_date, fmt_eur, fmt_int  # noqa: E402
from _lib.serving import open_serving  # noqa: E402

TITLE = "Reconciliation"
ORDER = 30
ROWS_SHOWN = 200

serving = open_serving()
page = Page("Reconciliation: deals and invoices", serving)

uninvoiced = m.uninvoiced_won_deals(serving, page.as_of)
buckets = m.age_buckets(uninvoiced)
unmatched = m.unmatched_invoices(serving)
review = m.review_invoices(serving)
oldest = max((d["days_uninvoiced"] for d in uninvoiced if d["days_uninvoiced"] is not None), default=None)

page.kpis(
    [
        Kpi(
            "uninvoiced_won_deals",
            "Won deals never invoiced",
            fmt_int(len(uninvoiced)),
            f"{fmt_eur(m.amount_sum(uninvoiced, 'amount_eur'))} not billed",
        ),
        Kpi(
            "oldest_uninvoiced_days",
            "Oldest without invoice",
            f"{fmt_int(oldest)} days" if oldest is not None else "–",
            "since booking",
        ),
        Kpi(
            "unmatched_invoices",
            "Invoices matched to no deal",
            fmt_int(len(unmatched)),
            f"{fmt_eur(m.amount_sum(unmatched, 'net_amount_eur'))} net",
        ),
        Kpi(
            "review_invoices",
            "Invoices needing review",
            fmt_int(len(review)),
            f"{fmt_eur(m.amount_sum(review, 'net_amount_eur'))} net",
        ),
    ]
)

page.heading("Won deals never invoiced")
page.definition(m.UNINVOICED_DEFINITION)
if uninvoiced:
    page.charts(
        Chart(
            "uninvoiced-age",
            buckets,
            """
            Plot.plot({
              width, height: 200, marginLeft: 100,
              x: {grid: true, label: "deals", tickFormat: (d) => (Number.isInteger(d) ? d : "")},
              y: {label: null, domain: data.map((d) => d.bucket)},
              marks: [
                Plot.barX(data, {y: "bucket", x: "deals", fill: "#c62828", tip: true}),
                Plot.ruleX([0])
              ]
            })
            """,
            caption="Won deals never invoiced, by days since booking",
            width=900,
        )
    )
page.table(
    "uninvoiced-age",
    buckets,
    [
        Column("bucket", "Days since booking"),
        Column("deals", "Deals", fmt_int, numeric=True),
        Column("amount_eur", "Amount (EUR)", fmt_eur, numeric=True),
    ],
    key="bucket",
)
page.text("### Deals without an invoice")
page.table(
    "uninvoiced-deals",
    uninvoiced,
    [
        Column("deal_id", "Deal"),
        Column("deal_name", "Name"),
        Column("owner", "Owner"),
        Column("booked_date", "Booked", fmt_date),
        Column("amount_eur", "Amount (EUR)", fmt_eur, numeric=True),
        Column("days_uninvoiced", "Days uninvoiced", fmt_int, numeric=True),
    ],
    key="deal_id",
    limit=ROWS_SHOWN,
    empty="Every won deal has an invoice.",
)

invoice_columns = [
    Column("invoice_number", "Invoice"),
    Column("invoice_date", "Date", fmt_date),
    Column("customer_name", "Customer"),
    Column("invoice_type", "Type"),
    Column("net_amount_eur", "Net (EUR)", fmt_eur, numeric=True),
]
present = [c for c in invoice_columns if serving.has_column("fct_invoices", c.key)]

page.heading("Invoices matched to no deal")
page.definition(m.UNMATCHED_DEFINITION)
page.table(
    "unmatched-invoices",
    unmatched,
    present,
    key="invoice_number" if serving.has_column("fct_invoices", "invoice_number") else None,
    limit=ROWS_SHOWN,
    empty="Every invoice is matched to a deal.",
)

page.heading("Invoices whose match needs review")
page.definition(m.REVIEW_DEFINITION)
page.table(
    "review-invoices",
    review,
    [*present, Column("deal_id", "Matched deal"), Column("match_rule", "Rule")],
    key="invoice_number" if serving.has_column("fct_invoices", "invoice_number") else None,
    limit=ROWS_SHOWN,
    empty="No match is flagged for review.",
)

page.print()
