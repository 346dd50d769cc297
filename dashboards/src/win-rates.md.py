"""Win and no-go rates per quarter, by count and by amount, over the deals closed in the quarter."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lib import metrics as m  # noqa: E402
from _lib.render import Chart, Column, Kpi, Page, fmt_eur, fmt_int, fmt_pct  # noqa: E402
from _lib.serving import open_serving  # noqa: E402

TITLE = "Win and no-go rates"
ORDER = 20

serving = open_serving()
page = Page("Win and no-go rates", serving)
page.definition(m.CLOSE_RATES_DEFINITION)

rates = m.close_rates(serving)
total = rates.total

page.kpis(
    [
        Kpi(
            "closed_deals",
            "Closed deals",
            fmt_int(total.closed_deals),
            f"{fmt_int(total.won_deals)} won, {fmt_int(total.lost_deals)} lost",
        ),
        Kpi("win_rate", "Win rate (count)", fmt_pct(total.win_rate), f"no-go {fmt_pct(total.no_go_rate)}"),
        Kpi(
            "win_rate_amount",
            "Win rate (amount)",
            fmt_pct(total.win_rate_amount),
            f"no-go {fmt_pct(total.no_go_rate_amount)}",
        ),
        Kpi(
            "closed_amount_eur",
            "Closed amount",
            fmt_eur(total.closed_amount_eur),
            f"{fmt_eur(total.won_amount_eur)} won",
        ),
    ]
)

undated = [
    f"{count} {status} deal{'s' if count != 1 else ''}"
    for count, status in ((rates.undated_won, "won"), (rates.undated_lost, "lost"))
    if count
]
if undated:
    verb = "has" if rates.undated_won + rates.undated_lost == 1 else "have"
    page.note(
        f"{' and '.join(undated)} {verb} no close date in the serving file and "
        f"{'is' if verb == 'has' else 'are'} left out of the quarterly rates."
    )
if rates.closed_without_amount:
    page.note(f"{rates.closed_without_amount} closed deals have no amount; they count as 0 in the rates by amount.")

MEASURES = ["Win rate (count)", "Win rate (amount)", "No-go rate (count)", "No-go rate (amount)"]
if rates.quarters:
    page.charts(
        Chart(
            "rates",
            [
                {"quarter": q.quarter, "measure": measure, "rate": rate}
                for q in rates.quarters
                for measure, rate in zip(
                    MEASURES, (q.win_rate, q.win_rate_amount, q.no_go_rate, q.no_go_rate_amount), strict=True
                )
            ],
            """
            Plot.plot({
              width, height: 260,
              x: {axis: null, domain: [...new Set(data.map((d) => d.measure))]},
              fx: {label: null},
              y: {grid: true, label: "rate (%)", percent: true, domain: [0, 100]},
              color: {
                legend: true,
                domain: [...new Set(data.map((d) => d.measure))],
                range: ["#2e7d32", "#81c784", "#c62828", "#ef9a9a"]
              },
              marks: [
                Plot.barY(data, {fx: "quarter", x: "measure", y: "rate", fill: "measure", tip: true}),
                Plot.ruleY([0])
              ]
            })
            """,
            caption="Win and no-go rates per close quarter",
            width=900,
        )
    )

page.heading("Per close quarter")
page.table(
    "rates-by-quarter",
    [
        {
            "quarter": q.quarter,
            "closed_deals": q.closed_deals,
            "won_deals": q.won_deals,
            "lost_deals": q.lost_deals,
            "win_rate": q.win_rate,
            "no_go_rate": q.no_go_rate,
            "closed_amount_eur": q.closed_amount_eur,
            "won_amount_eur": q.won_amount_eur,
            "lost_amount_eur": q.lost_amount_eur,
            "win_rate_amount": q.win_rate_amount,
            "no_go_rate_amount": q.no_go_rate_amount,
        }
        for q in rates.quarters
    ],
    [
        Column("quarter", "Quarter"),
        Column("closed_deals", "Closed", fmt_int, numeric=True),
        Column("won_deals", "Won", fmt_int, numeric=True),
        Column("lost_deals", "Lost", fmt_int, numeric=True),
        Column("win_rate", "Win rate", fmt_pct, numeric=True),
        Column("no_go_rate", "No-go rate", fmt_pct, numeric=True),
        Column("closed_amount_eur", "Closed (EUR)", fmt_eur, numeric=True),
        Column("won_amount_eur", "Won (EUR)", fmt_eur, numeric=True),
        Column("lost_amount_eur", "Lost (EUR)", fmt_eur, numeric=True),
        Column("win_rate_amount", "Win rate (amount)", fmt_pct, numeric=True),
        Column("no_go_rate_amount", "No-go rate (amount)", fmt_pct, numeric=True),
    ],
    key="quarter",
    empty="No deal has closed yet.",
)

page.print()
