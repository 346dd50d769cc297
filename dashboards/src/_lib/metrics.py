"""Metric definitions shared by the pages: each written once, with its numerator and denominator.

The index page shows headline numbers from the same functions as the detail pages, so the two can
never disagree. Nothing here reads the wall clock: ages are measured to the data's as-of date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .serving import Serving


def quarter_of(column: str) -> str:
    """'2024-Q3' for a timestamp or date column (UTC)."""
    return f"strftime({column}, '%Y') || '-Q' || quarter({column})"


def ratio(numerator: float, denominator: float) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


# --- order intake -------------------------------------------------------------------------------------

ORDER_INTAKE_DEFINITION = (
    "Order intake: won deals counted once, in the quarter of their booking date (booked_at), with their "
    "amount in EUR. Announcement inflation = announcements seen for those deals (verbal order, signature, "
    "first invoice, ...: announcement_count) divided by the number of real deals."
)


@dataclass(frozen=True)
class IntakeQuarter:
    quarter: str
    booked_deals: int
    booked_amount_eur: float
    announcements: int

    @property
    def inflation(self) -> float | None:
        return ratio(self.announcements, self.booked_deals)


def order_intake_by_quarter(serving: Serving) -> list[IntakeQuarter]:
    serving.require("fct_deals", "status", "booked_at", "amount_eur", "announcement_count")
    rows = serving.rows(
        f"""
        select
            {quarter_of("booked_at")} as quarter,
            count(*) as booked_deals,
            coalesce(sum(amount_eur), 0) as booked_amount_eur,
            coalesce(sum(announcement_count), 0) as announcements,
        from fct_deals
        where status = 'won'
            and booked_at is not null
        group by all
        order by quarter
        """
    )
    return [
        IntakeQuarter(
            quarter=r["quarter"],
            booked_deals=int(r["booked_deals"]),
            booked_amount_eur=float(r["booked_amount_eur"]),
            announcements=int(r["announcements"]),
        )
        for r in rows
    ]


def intake_total(quarters: list[IntakeQuarter]) -> IntakeQuarter:
    return IntakeQuarter(
        quarter="all",
        booked_deals=sum(q.booked_deals for q in quarters),
        booked_amount_eur=sum(q.booked_amount_eur for q in quarters),
        announcements=sum(q.announcements for q in quarters),
    )


# --- win and no-go rates ------------------------------------------------------------------------------

CLOSE_RATES_DEFINITION = (
    "Over the deals closed in the quarter (won or lost). Win rate by count = won deals / closed deals; "
    "no-go rate by count = lost deals / closed deals. By amount: the same with the deals' EUR amounts "
    "(won amount / closed amount, lost amount / closed amount). A won deal closes on its booking date; a "
    "lost deal on its close date (closed_at or lost_at when the mart has one, else its last 'lost' event)."
)


@dataclass(frozen=True)
class CloseQuarter:
    quarter: str
    won_deals: int
    lost_deals: int
    won_amount_eur: float
    lost_amount_eur: float

    @property
    def closed_deals(self) -> int:
        return self.won_deals + self.lost_deals

    @property
    def closed_amount_eur(self) -> float:
        return self.won_amount_eur + self.lost_amount_eur

    @property
    def win_rate(self) -> float | None:
        return ratio(self.won_deals, self.closed_deals)

    @property
    def no_go_rate(self) -> float | None:
        return ratio(self.lost_deals, self.closed_deals)

    @property
    def win_rate_amount(self) -> float | None:
        return ratio(self.won_amount_eur, self.closed_amount_eur)

    @property
    def no_go_rate_amount(self) -> float | None:
        return ratio(self.lost_amount_eur, self.closed_amount_eur)


@dataclass(frozen=True)
class CloseRates:
    quarters: list[CloseQuarter]
    undated_won: int
    undated_lost: int
    closed_without_amount: int

    @property
    def total(self) -> CloseQuarter:
        return CloseQuarter(
            quarter="all",
            won_deals=sum(q.won_deals for q in self.quarters),
            lost_deals=sum(q.lost_deals for q in self.quarters),
            won_amount_eur=sum(q.won_amount_eur for q in self.quarters),
            lost_amount_eur=sum(q.lost_amount_eur for q in self.quarters),
        )


def _closed_deals_sql(serving: Serving) -> str:
    """One row per won or lost deal with the timestamp it closed (NULL when the marts do not say)."""
    serving.require("fct_deals", "deal_id", "status", "booked_at", "amount_eur")
    won_close = ["d.booked_at"] + [f"d.{c}" for c in ("closed_at",) if serving.has_column("fct_deals", c)]
    lost_close = [f"d.{c}" for c in ("closed_at", "lost_at") if serving.has_column("fct_deals", c)]
    lost_events = ""
    if serving.has_table("fct_deal_events") and all(
        serving.has_column("fct_deal_events", c) for c in ("deal_id", "event_type", "event_at")
    ):
        lost_events = """
        left join (
            select
                deal_id,
                max(event_at) as lost_event_at,
            from fct_deal_events
            where lower(event_type) like '%lost%'
            group by all
        ) as e
            on e.deal_id = d.deal_id"""
        lost_close.append("e.lost_event_at")
    lost_expr = f"coalesce({', '.join(lost_close)})" if lost_close else "null"
    return f"""
        select
            d.deal_id,
            d.status,
            d.amount_eur,
            case
                when d.status = 'won' then coalesce({", ".join(won_close)})
                else {lost_expr}
            end as closed_at,
        from fct_deals as d{lost_events}
        where d.status in ('won', 'lost')
    """


def close_rates(serving: Serving) -> CloseRates:
    closed = _closed_deals_sql(serving)
    rows = serving.rows(
        f"""
        select
            {quarter_of("closed_at")} as quarter,
            count(*) filter (where status = 'won') as won_deals,
            count(*) filter (where status = 'lost') as lost_deals,
            coalesce(sum(amount_eur) filter (where status = 'won'), 0) as won_amount_eur,
            coalesce(sum(amount_eur) filter (where status = 'lost'), 0) as lost_amount_eur,
        from ({closed})
        where closed_at is not null
        group by all
        order by quarter
        """
    )
    gaps = serving.row(
        f"""
        select
            count(*) filter (where closed_at is null and status = 'won') as undated_won,
            count(*) filter (where closed_at is null and status = 'lost') as undated_lost,
            count(*) filter (where closed_at is not null and amount_eur is null) as closed_without_amount,
        from ({closed})
        """
    )
    return CloseRates(
        quarters=[
            CloseQuarter(
                quarter=r["quarter"],
                won_deals=int(r["won_deals"]),
                lost_deals=int(r["lost_deals"]),
                won_amount_eur=float(r["won_amount_eur"]),
                lost_amount_eur=float(r["lost_amount_eur"]),
            )
            for r in rows
        ],
        undated_won=int(gaps["undated_won"]),
        undated_lost=int(gaps["undated_lost"]),
        closed_without_amount=int(gaps["closed_without_amount"]),
    )


# --- open pipeline ------------------------------------------------------------------------------------


def open_pipeline(serving: Serving) -> dict[str, Any]:
    serving.require("fct_deals", "status", "amount_eur")
    return serving.row(
        """
        select
            count(*) as deals,
            coalesce(sum(amount_eur), 0) as amount_eur,
        from fct_deals
        where status = 'open'
        """
    )


# --- reconciliation -----------------------------------------------------------------------------------

UNINVOICED_DEFINITION = (
    "Won deals with no invoice (first_invoiced_at is empty). Days uninvoiced = days from the booking date "
    "to the data's as-of date (the latest date in the serving file)."
)
UNMATCHED_DEFINITION = "Invoices and credit notes that no matching rule linked to a deal (deal_id is empty)."
REVIEW_DEFINITION = "Invoices linked to a deal by a rule whose match is flagged as questionable (needs_review)."

AGE_BUCKETS = ((0, 30, "0–30 days"), (31, 90, "31–90 days"), (91, 180, "91–180 days"), (181, None, "over 180 days"))


def uninvoiced_won_deals(serving: Serving, as_of: date) -> list[dict[str, Any]]:
    serving.require("fct_deals", "deal_id", "status", "booked_at", "first_invoiced_at", "amount_eur")
    name = "d.deal_name" if serving.has_column("fct_deals", "deal_name") else "cast(d.deal_id as varchar)"
    owner_join, owner = "", "cast(null as varchar)"
    if serving.has_column("fct_deals", "owner_id") and serving.has_column("dim_sales_reps", "full_name"):
        owner_join = "left join dim_sales_reps as r on r.owner_id = d.owner_id"
        owner = "r.full_name"
    booked = "coalesce(d.booked_at, d.signed_at)" if serving.has_column("fct_deals", "signed_at") else "d.booked_at"
    return serving.rows(
        f"""
        select
            d.deal_id,
            {name} as deal_name,
            {owner} as owner,
            cast({booked} as date) as booked_date,
            d.amount_eur,
            date_diff('day', cast({booked} as date), cast(? as date)) as days_uninvoiced,
        from fct_deals as d
        {owner_join}
        where d.status = 'won'
            and d.first_invoiced_at is null
        order by days_uninvoiced desc nulls first, d.deal_id
        """,
        [as_of],
    )


def age_buckets(deals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    buckets = []
    for low, high, label in AGE_BUCKETS:
        inside = [
            d
            for d in deals
            if d["days_uninvoiced"] is not None
            and d["days_uninvoiced"] >= low
            and (high is None or d["days_uninvoiced"] <= high)
        ]
        buckets.append(
            {
                "bucket": label,
                "deals": len(inside),
                "amount_eur": sum(float(d["amount_eur"] or 0) for d in inside),
            }
        )
    return buckets


def _invoice_columns(serving: Serving) -> list[str]:
    wanted = ["invoice_number", "invoice_date", "customer_name", "invoice_type", "net_amount_eur"]
    return [c for c in wanted if serving.has_column("fct_invoices", c)]


INVOICE_ORDER = "abs(net_amount_eur) desc nulls last, invoice_id"


def unmatched_invoices(serving: Serving) -> list[dict[str, Any]]:
    serving.require("fct_invoices", "invoice_id", "deal_id", "net_amount_eur")
    return serving.mart("fct_invoices", _invoice_columns(serving), where="deal_id is null", order_by=INVOICE_ORDER)


def review_invoices(serving: Serving) -> list[dict[str, Any]]:
    serving.require("fct_invoices", "invoice_id", "needs_review", "net_amount_eur")
    rule = ["match_rule"] if serving.has_column("fct_invoices", "match_rule") else []
    return serving.mart(
        "fct_invoices",
        [*_invoice_columns(serving), "deal_id", *rule],
        where="coalesce(cast(needs_review as boolean), false)",
        order_by=INVOICE_ORDER,
    )


def amount_sum(rows: list[dict[str, Any]], column: str) -> float:
    return sum(float(r[column] or 0) for r in rows)
