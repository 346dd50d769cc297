"""Open pipeline per quarter and how it moved (fct_pipeline_periods, fct_pipeline_movement_periods, coverage)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lib.metrics import labelled, latest  # noqa: E402
from _lib.render import Chart, Column, Kpi, Page, fmt_eur, fmt_int, fmt_pct, fmt_ratio  # noqa: E402
from _lib.serving import open_serving  # noqa: E402

TITLE = "Pipeline and movement"
ORDER = 20

serving = open_serving()
page = Page("Pipeline and its movement", serving)

QUARTERS = "period_grain = 'quarter'"
TOTAL = f"{QUARTERS} and dimension_name = 'all'"
periods = labelled(
    serving.mart(
        "fct_pipeline_periods",
        [
            "period_start_date",
            "as_of_date",
            "open_deal_count",
            "open_pipeline_eur",
            "weighted_pipeline_eur",
            "stale_pipeline_eur",
            "stale_pipeline_share",
        ],
        where=TOTAL,
        order_by="period_start_date",
    ),
    "quarter",
)
now = latest(periods)
if now:
    page.kpis(
        [
            Kpi("open_deals", f"Open deals {now['as_of_date']}", fmt_int(now["open_deal_count"])),
            Kpi("open_pipeline_eur", "Open pipeline", fmt_eur(now["open_pipeline_eur"])),
            Kpi("weighted_pipeline_eur", "Weighted pipeline", fmt_eur(now["weighted_pipeline_eur"])),
            Kpi("stale_pipeline_share", "Stale share", fmt_pct(now["stale_pipeline_share"])),
        ]
    )
page.mart_definition("fct_pipeline_periods", "open_pipeline_eur", "weighted_pipeline_eur", "stale_pipeline_share")
page.heading("Open pipeline per quarter (as of each quarter's end)")
page.table(
    "pipeline-by-quarter",
    periods,
    [
        Column("period", "Quarter"),
        Column("as_of_date", "As of"),
        Column("open_deal_count", "Open deals", fmt_int, numeric=True),
        Column("open_pipeline_eur", "Open pipeline (EUR)", fmt_eur, numeric=True),
        Column("weighted_pipeline_eur", "Weighted (EUR)", fmt_eur, numeric=True),
        Column("stale_pipeline_eur", "Stale (EUR)", fmt_eur, numeric=True),
        Column("stale_pipeline_share", "Stale share", fmt_pct, numeric=True),
    ],
    key="period",
)

page.heading("Open pipeline by team, latest quarter")
if now:
    page.table(
        "pipeline-by-team",
        serving.mart(
            "fct_pipeline_periods",
            [
                "dimension_value",
                "open_deal_count",
                "open_pipeline_eur",
                "weighted_pipeline_eur",
                "stale_pipeline_share",
            ],
            where=f"dimension_name = 'team' and {QUARTERS} and period_start_date = '{now['period_start_date']}'",
            order_by="open_pipeline_eur desc, dimension_value",
        ),
        [
            Column("dimension_value", "Team"),
            Column("open_deal_count", "Open deals", fmt_int, numeric=True),
            Column("open_pipeline_eur", "Open pipeline (EUR)", fmt_eur, numeric=True),
            Column("weighted_pipeline_eur", "Weighted (EUR)", fmt_eur, numeric=True),
            Column("stale_pipeline_share", "Stale share", fmt_pct, numeric=True),
        ],
        key="dimension_value",
    )

MOVES = [
    ("new_eur", "New"),
    ("pulled_in_eur", "Pulled in"),
    ("amount_up_eur", "Amount up"),
    ("amount_down_eur", "Amount down"),
    ("pushed_out_eur", "Pushed out"),
    ("won_eur", "Won"),
    ("lost_eur", "Lost"),
    ("removed_eur", "Removed"),
    ("reassigned_eur", "Reassigned"),
]
movements = labelled(
    serving.mart(
        "fct_pipeline_movement_periods",
        ["period_start_date", "opening_pipeline_eur", *(c for c, _ in MOVES), "closing_pipeline_eur"],
        where=TOTAL,
        order_by="period_start_date",
    ),
    "quarter",
)
page.heading("Pipeline movement per quarter")
page.mart_definition("fct_pipeline_movement_periods", *(c for c, _ in MOVES))
page.charts(
    Chart(
        "movement",
        [{"quarter": m["period"], "movement": label, "eur": m[c]} for m in movements for c, label in MOVES],
        """
        Plot.plot({
          width, height: 300, marginLeft: 60, marginBottom: 50,
          x: {label: null, tickRotate: -45},
          y: {grid: true, label: "EUR", tickFormat: "~s"},
          color: {legend: true},
          marks: [Plot.barY(data, {x: "quarter", y: "eur", fill: "movement", tip: true}), Plot.ruleY([0])]
        })
        """,
        caption="Movements into (+) and out of (−) each quarter's pipeline, EUR",
        width=900,
    )
)
page.table(
    "movement-by-quarter",
    movements,
    [
        Column("period", "Quarter"),
        Column("opening_pipeline_eur", "Opening", fmt_eur, numeric=True),
        *(Column(c, label, fmt_eur, numeric=True) for c, label in MOVES),
        Column("closing_pipeline_eur", "Closing", fmt_eur, numeric=True),
    ],
    key="period",
)

coverage = serving.mart(
    "fct_pipeline_coverage",
    [
        "team",
        "quarter_start_date",
        "target_eur",
        "booked_eur",
        "remaining_target_eur",
        "pipeline_eur",
        "coverage_ratio",
    ],
    where="period_grain = 'day' and as_of_date = (select max(as_of_date) from fct_pipeline_coverage)",
    order_by="team",
)
page.heading("Coverage of the current quarter's target")
page.mart_definition("fct_pipeline_coverage", "coverage_ratio")
page.table(
    "coverage",
    coverage,
    [
        Column("team", "Team"),
        Column("quarter_start_date", "Quarter from"),
        Column("target_eur", "Target", fmt_eur, numeric=True),
        Column("booked_eur", "Booked", fmt_eur, numeric=True),
        Column("remaining_target_eur", "Remaining", fmt_eur, numeric=True),
        Column("pipeline_eur", "Pipeline", fmt_eur, numeric=True),
        Column("coverage_ratio", "Coverage", fmt_ratio, numeric=True),
    ],
    key="team",
)
page.print()
