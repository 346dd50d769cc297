"""Referral chains, their generations and the projected multiplier (referral marts)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lib.render import Chart, Column, Kpi, Page, fmt_int, fmt_num1, fmt_ratio, fmt_text  # noqa: E402
from _lib.serving import open_serving  # noqa: E402

TITLE = "Referrals"
ORDER = 50


serving = open_serving()
page = Page("Referrals", serving)

projection = serving.mart(
    "fct_referral_multiplier",
    [
        "cycle_number",
        "referring_customer_count",
        "referred_won_deal_count",
        "multiplier",
        "projected_new_customers",
        "projected_cumulative_customers",
    ],
    order_by="cycle_number",
)
if projection:
    first = projection[0]
    page.kpis(
        [
            Kpi(
                "referral_multiplier",
                "Referral multiplier",
                fmt_ratio(first["multiplier"]),
                "won referred deals per referrer",
            ),
            Kpi("referring_customers", "Referring customers", fmt_int(first["referring_customer_count"])),
            Kpi("referred_won_deals", "Referred deals won", fmt_int(first["referred_won_deal_count"])),
        ],
        columns=3,
    )
page.mart_definition("fct_referral_multiplier")
page.heading("Projection over the next buying cycles")
page.table(
    "multiplier",
    projection,
    [
        Column("cycle_number", "Cycle", fmt_int, numeric=True),
        Column("projected_new_customers", "New customers per referrer", fmt_num1, numeric=True),
        Column("projected_cumulative_customers", "Cumulative", fmt_num1, numeric=True),
    ],
    key="cycle_number",
)

page.heading("Generations of the referral chains")
page.mart_definition("fct_referral_chains", "generation")
# One row per account in the mart; the page shows how many sit at each generation (a display tally).
generations = serving.rows(
    """
    select
        generation,
        coalesce(cast(generation as varchar), 'on or below a cycle') as generation_label,
        count(*) as accounts,
    from fct_referral_chains
    group by all
    order by generation nulls last
    """
)
page.charts(
    Chart(
        "generations",
        [g for g in generations if g["generation"] is not None],
        """
        Plot.plot({
          width, height: 240,
          x: {label: "generation", type: "band"},
          y: {grid: true, label: "accounts"},
          marks: [Plot.barY(data, {x: "generation", y: "accounts", fill: "steelblue", tip: true}), Plot.ruleY([0])]
        })
        """,
        caption="Accounts per generation (0 = the root nobody referred)",
        width=700,
    )
)
page.table(
    "generations",
    generations,
    [Column("generation_label", "Generation"), Column("accounts", "Accounts", fmt_int, numeric=True)],
    key="generation_label",
)
page.heading("Longest chains")
page.table(
    "chains",
    serving.mart(
        "fct_referral_chains",
        ["account_id", "root_account_id", "generation", "referral_path", "is_on_cycle"],
        order_by="generation desc nulls first, account_id",
    ),
    [
        Column("account_id", "Account"),
        Column("root_account_id", "Root"),
        Column("generation", "Generation", fmt_int, numeric=True),
        Column("referral_path", "Path (referred > referrer > ...)", fmt_text),
    ],
    key="account_id",
    limit=25,
)
page.print()
