"""Reconciliation: won deals not invoiced, unmatched invoices, invoiced amounts that deviate (finance marts)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lib.render import Column, Kpi, Page, fmt_amount, fmt_date, fmt_eur, fmt_int, fmt_pct, fmt_text  # noqa: E402
from _lib.serving import open_serving  # noqa: E402

TITLE = "Reconciliation"
ORDER = 70
ROWS_SHOWN = 100

serving = open_serving()
page = Page("Reconciliation: deals and invoices", serving)

# Each finance mart lists one row per issue: a page shows how many rows it holds and the rows themselves.
uninvoiced = serving.mart(
    "fct_won_deals_not_invoiced",
    ["deal_id", "deal_name", "owner_id", "amount_eur", "signed_at", "days_since_signature", "credited_amount"],
    order_by="days_since_signature desc nulls first, deal_id",
)
unmatched = serving.mart(
    "fct_invoices_unmatched",
    [
        "invoice_id",
        "invoice_number",
        "invoice_date",
        "customer_name",
        "invoice_type",
        "net_amount_eur",
        "unmatched_reason",
        "review_rule",
    ],
    order_by="abs(net_amount_eur) desc nulls last, invoice_id",
)
deviations = serving.mart(
    "fct_invoice_amount_deviations",
    [
        "deal_id",
        "currency",
        "signed_amount",
        "net_invoiced_amount",
        "deviation_amount",
        "deviation_ratio",
        "other_currency_document_count",
    ],
    order_by="abs(deviation_amount) desc nulls last, deal_id",
)
on_lost = serving.mart(
    "fct_invoices_on_lost_deals",
    ["invoice_id", "invoice_number", "invoice_date", "deal_id", "net_amount_eur", "lost_reason", "match_rule"],
    order_by="invoice_date, invoice_id",
)

page.kpis(
    [
        Kpi("uninvoiced_won_deals", "Won deals not invoiced", fmt_int(len(uninvoiced))),
        Kpi("unmatched_invoices", "Invoices matched to no deal", fmt_int(len(unmatched))),
        Kpi("amount_deviations", "Invoiced amount deviates", fmt_int(len(deviations))),
        Kpi("invoices_on_lost_deals", "Invoices on lost deals", fmt_int(len(on_lost))),
    ]
)

page.heading("Won deals not invoiced")
page.mart_definition("fct_won_deals_not_invoiced", "days_since_signature", "credited_amount")
page.table(
    "uninvoiced-deals",
    uninvoiced,
    [
        Column("deal_id", "Deal"),
        Column("deal_name", "Name"),
        Column("owner_id", "Owner"),
        Column("signed_at", "Signed", fmt_date),
        Column("amount_eur", "Amount", fmt_eur, numeric=True),
        Column("days_since_signature", "Days since signature", fmt_int, numeric=True),
    ],
    key="deal_id",
    limit=ROWS_SHOWN,
    empty="Every won deal is invoiced.",
)

page.heading("Invoices matched to no deal")
page.mart_definition("fct_invoices_unmatched", "unmatched_reason")
page.table(
    "unmatched-invoices",
    unmatched,
    [
        Column("invoice_number", "Invoice"),
        Column("invoice_date", "Date", fmt_date),
        Column("customer_name", "Customer"),
        Column("invoice_type", "Type"),
        Column("net_amount_eur", "Net (EUR)", fmt_eur, numeric=True),
        Column("unmatched_reason", "Why unmatched", fmt_text),
        Column("review_rule", "Rule with several candidates", fmt_text),
    ],
    key="invoice_id",
    limit=ROWS_SHOWN,
    empty="Every invoice is matched to a deal.",
)

page.heading("Invoiced amount differs from the signed amount")
page.mart_definition("fct_invoice_amount_deviations", "deviation_amount", "deviation_ratio")
page.table(
    "amount-deviations",
    deviations,
    [
        Column("deal_id", "Deal"),
        Column("currency", "Currency"),
        Column("signed_amount", "Signed", fmt_amount, numeric=True),
        Column("net_invoiced_amount", "Net invoiced", fmt_amount, numeric=True),
        Column("deviation_amount", "Deviation", fmt_amount, numeric=True),
        Column("deviation_ratio", "Deviation %", fmt_pct, numeric=True),
        Column("other_currency_document_count", "Other-currency documents", fmt_int, numeric=True),
    ],
    key="deal_id",
    limit=ROWS_SHOWN,
    empty="Every invoiced deal is billed as signed.",
)

page.heading("Invoices on deals the CRM says were lost")
page.mart_definition("fct_invoices_on_lost_deals")
page.table(
    "invoices-on-lost-deals",
    on_lost,
    [
        Column("invoice_number", "Invoice"),
        Column("invoice_date", "Date", fmt_date),
        Column("deal_id", "Deal"),
        Column("net_amount_eur", "Net (EUR)", fmt_eur, numeric=True),
        Column("lost_reason", "Lost reason", fmt_text),
        Column("match_rule", "Match rule", fmt_text),
    ],
    key="invoice_id",
    limit=ROWS_SHOWN,
    empty="No invoice is on a lost deal.",
)
page.print()
