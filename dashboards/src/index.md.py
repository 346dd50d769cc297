"""Overview: one headline number per page, each read from its mart and linking to the page that explains it."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lib.metrics import latest, period_label  # noqa: E402
from _lib.render import Kpi, Page, fmt_eur, fmt_pct, fmt_ratio  # noqa: E402
from _lib.serving import open_serving  # noqa: E402

TITLE = "Overview"
ORDER = 0

serving = open_serving()
page = Page("Sales pipeline at a glance", serving)


def latest_year(mart: str, columns: list[str], where: str) -> dict:
    rows = serving.mart(mart, ["period_start_date", *columns], where=f"period_grain = 'year' and {where}", order_by="1")
    row = latest(rows) or dict.fromkeys(["period_start_date", *columns])
    label = period_label("year", row["period_start_date"]) if row["period_start_date"] else "–"
    return {**row, "period": label}


intake = latest_year("fct_order_intake", ["booked_amount_eur", "announcement_inflation"], "true")
rates = latest_year("fct_win_rates", ["win_rate_count", "no_go_rate_count"], "breakdown = 'total'")
pipeline = latest(
    serving.mart(
        "fct_pipeline_periods",
        ["as_of_date", "open_pipeline_eur", "stale_pipeline_share"],
        where="period_grain = 'day' and dimension_name = 'all'",
        order_by="period_start_date",
    )
) or dict.fromkeys(["as_of_date", "open_pipeline_eur", "stale_pipeline_share"])

page.kpis(
    [
        Kpi(
            "booked_amount_eur",
            f"Order intake {intake['period']}",
            fmt_eur(intake["booked_amount_eur"]),
            "won deals, each counted once",
            "order-intake.html",
        ),
        Kpi(
            "announcement_inflation",
            f"Announcement inflation {intake['period']}",
            fmt_ratio(intake["announcement_inflation"]),
            "announcements per real deal",
            "order-intake.html",
        ),
        Kpi("win_rate", f"Win rate {rates['period']}", fmt_pct(rates["win_rate_count"]), "by count", "win-rates.html"),
        Kpi(
            "no_go_rate",
            f"No-go rate {rates['period']}",
            fmt_pct(rates["no_go_rate_count"]),
            "by count",
            "win-rates.html",
        ),
        Kpi(
            "open_pipeline_eur",
            f"Open pipeline {pipeline['as_of_date']}",
            fmt_eur(pipeline["open_pipeline_eur"]),
            "",
            "pipeline.html",
        ),
        Kpi(
            "stale_pipeline_share",
            "Stale share of the pipeline",
            fmt_pct(pipeline["stale_pipeline_share"]),
            "",
            "stale-deals.html",
        ),
    ],
    columns=3,
)
page.text(
    "Every number on these pages is read as published from a dbt mart of the serving file; each page "
    "quotes the mart's definition (numerator and denominator) from the dbt documentation."
)
page.print()
