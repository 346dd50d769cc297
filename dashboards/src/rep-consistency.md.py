"""How steady each rep is: rolling 12-month bookings, win rate, cycle and their variation (fct_rep_consistency)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lib.render import Chart, Column, Page, fmt_eur, fmt_flag, fmt_int, fmt_num1, fmt_pct, fmt_ratio  # noqa: E402
from _lib.serving import open_serving  # noqa: E402

TITLE = "Rep consistency"
ORDER = 40


serving = open_serving()
page = Page("Rep consistency", serving)
page.mart_definition("fct_rep_consistency", "win_rate_count_12m", "cv_bookings_12m", "customer_activity_share_12m")

reps = serving.rows(
    """
    select
        c.owner_id,
        coalesce(r.full_name, c.owner_id) as rep,
        r.team,
        c.period_start_date,
        c.bookings_eur_12m,
        c.closed_deal_count_12m,
        c.win_rate_count_12m,
        c.avg_cycle_days_12m,
        c.customer_activity_share_12m,
        c.cv_bookings_12m,
        c.cv_win_rate_12m,
        c.cv_cycle_days_12m,
        c.is_too_few_deals_12m,
    from fct_rep_consistency as c
    left join dim_sales_reps as r
        on r.owner_id = c.owner_id
    where c.period_start_date = (select max(period_start_date) from fct_rep_consistency)
    order by c.bookings_eur_12m desc, c.owner_id
    """
)
month = reps[0]["period_start_date"].strftime("%Y-%m") if reps else "–"
page.charts(
    Chart(
        "rep-bookings",
        [{"rep": r["rep"], "bookings_eur": r["bookings_eur_12m"]} for r in reps],
        """
        Plot.plot({
          width, height: 300, marginLeft: 140,
          x: {grid: true, label: "EUR, 12 months", tickFormat: "~s"},
          y: {label: null},
          marks: [Plot.barX(data, {y: "rep", x: "bookings_eur", fill: "steelblue", sort: {y: "-x"}, tip: true})]
        })
        """,
        caption=f"Bookings over the 12 months to {month}",
        width=900,
    )
)
page.heading(f"12 months to {month}")
page.table(
    "reps",
    reps,
    [
        Column("rep", "Rep"),
        Column("team", "Team"),
        Column("bookings_eur_12m", "Bookings", fmt_eur, numeric=True),
        Column("closed_deal_count_12m", "Closed deals", fmt_int, numeric=True),
        Column("win_rate_count_12m", "Win rate", fmt_pct, numeric=True),
        Column("avg_cycle_days_12m", "Average cycle days", fmt_num1, numeric=True),
        Column("customer_activity_share_12m", "Time with customers", fmt_pct, numeric=True),
        Column("cv_bookings_12m", "CV bookings", fmt_ratio, numeric=True),
        Column("cv_win_rate_12m", "CV win rate", fmt_ratio, numeric=True),
        Column("cv_cycle_days_12m", "CV cycle", fmt_ratio, numeric=True),
        Column("is_too_few_deals_12m", "Too few deals to judge", fmt_flag),
    ],
    key="owner_id",
)
page.print()
