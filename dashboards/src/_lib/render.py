"""Turn query results into the Markdown that Observable Framework renders.

Numbers are formatted here, in Python, and written into the page as HTML: what a reader sees is what
the serving file holds, and a browser test can find it by its data-metric / data-col attribute.
Charts are Observable Plot, imported from node_modules (never from a CDN), with their data inline.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .definitions import column_description, mart_description
from .serving import Serving

DASH = "–"


# --- number formats (one place, so pages and tests agree) ---------------------------------------------


def fmt_int(value: Any) -> str:
    return DASH if value is None else f"{int(value):,}"


def fmt_eur(value: Any) -> str:
    if value is None:
        return DASH
    amount = float(value)
    return f"-€{-amount:,.0f}" if amount < 0 else f"€{amount:,.0f}"


def fmt_amount(value: Any) -> str:
    """An amount in its own currency, with cents (the currency is shown beside it)."""
    return DASH if value is None else f"{float(value):,.2f}"


def fmt_pct(value: float | None) -> str:
    return DASH if value is None else f"{value:.1%}"


def fmt_ratio(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}×"


def fmt_num1(value: Any) -> str:
    """A number with one decimal (average days, projected customers)."""
    return DASH if value is None else f"{float(value):,.1f}"


def fmt_flag(value: Any) -> str:
    return "yes" if value else ""


def fmt_date(value: Any) -> str:
    if value is None:
        return DASH
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def fmt_text(value: Any) -> str:
    return DASH if value is None or value == "" else str(value)


def esc(text: Any) -> str:
    """HTML-escape, and keep '$' from starting a Framework ${...} expression."""
    return html.escape(str(text), quote=True).replace("$", "&#36;").replace("`", "&#96;")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {value!r}")


def js_data(value: Any) -> str:
    """A JSON literal that is safe inside a ```js fence."""
    text = json.dumps(value, default=_json_default, ensure_ascii=True)
    return text.replace("`", "\\u0060").replace("</", "<\\/")


# --- building blocks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    metric: str  # data-metric attribute, stable for tests
    label: str
    value: str
    note: str = ""
    href: str = ""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    fmt: Callable[[Any], str] = fmt_text
    numeric: bool = False


@dataclass(frozen=True)
class Chart:
    """An Observable Plot chart: `plot` is a JS expression over `data` and `width` (pixels, fixed).

    A fixed width, not Framework's resize(): the SVG scales down with the card (max-width: 100%), and
    the chart is drawn at once, with no ResizeObserver to wait for (headless screenshots raced it).
    """

    name: str  # data-chart attribute
    data: Any
    plot: str
    caption: str = ""
    width: int = 480


class Page:
    """Collects Markdown blocks; print() writes the page to stdout for Framework."""

    def __init__(self, title: str, serving: Serving) -> None:
        self.serving = serving
        self.as_of = serving.as_of()
        self.blocks: list[str] = [f"# {esc(title)}", self._provenance()]
        self.blocks.append('```js\nimport * as Plot from "@observablehq/plot";\n```')

    def _provenance(self) -> str:
        parts = [f'Data as of <strong data-metric="as_of">{self.as_of.isoformat()}</strong>']
        publication = self.serving.publication()
        if publication:
            published = publication.get("published_at")
            run_id = publication.get("run_id")
            if published is not None:
                parts.append(f"published {esc(fmt_date(published))} UTC")
            if run_id:
                parts.append(f"run <code>{esc(run_id)}</code>")
        parts.append(f"serving file <code>{esc(self.serving.path.name)}</code>")
        return f'<p class="provenance">{" · ".join(parts)}</p>'

    def heading(self, text: str) -> None:
        self.blocks.append(f"## {esc(text)}")

    def text(self, markdown: str) -> None:
        self.blocks.append(markdown)

    def definition(self, text: str) -> None:
        self.blocks.append(f'<p class="definition">{esc(text)}</p>')

    def mart_definition(self, mart: str, *columns: str) -> None:
        """The mart's dbt description, and those of the columns shown, as the page's definition text."""
        lines = [
            f'<p class="definition" data-definition="{esc(mart)}"><code>{esc(mart)}</code>: '
            f"{esc(mart_description(mart))}</p>"
        ]
        described = [(c, column_description(mart, c)) for c in columns]
        items = "".join(f"<li><code>{esc(c)}</code>: {esc(text)}</li>" for c, text in described if text)
        if items:
            lines.append(f'<ul class="definition">{items}</ul>')
        self.blocks.append("".join(lines))

    def note(self, text: str) -> None:
        self.blocks.append(f'<div class="note" data-note>{esc(text)}</div>')

    def kpis(self, kpis: Sequence[Kpi], columns: int = 4) -> None:
        cards = []
        for k in kpis:
            label = f'<a href="{esc(k.href)}">{esc(k.label)}</a>' if k.href else esc(k.label)
            note = f'<div class="kpi-note">{esc(k.note)}</div>' if k.note else ""
            cards.append(
                f'<div class="card kpi"><h2>{label}</h2>'
                f'<div class="big" data-metric="{esc(k.metric)}">{esc(k.value)}</div>{note}</div>'
            )
        self.blocks.append(f'<div class="grid grid-cols-{columns}">{"".join(cards)}</div>')

    def table(
        self,
        name: str,
        rows: Sequence[dict[str, Any]],
        columns: Sequence[Column],
        key: str | None = None,
        limit: int | None = None,
        empty: str = "Nothing to show.",
    ) -> None:
        if not rows:
            self.blocks.append(f'<p class="empty" data-table="{esc(name)}">{esc(empty)}</p>')
            return
        shown = rows if limit is None else rows[:limit]
        head = "".join(f'<th class="{"num" if c.numeric else ""}">{esc(c.label)}</th>' for c in columns)
        body = []
        for row in shown:
            row_key = f' data-key="{esc(row[key])}"' if key else ""
            cells = "".join(
                f'<td class="{"num" if c.numeric else ""}" data-col="{esc(c.key)}">{esc(c.fmt(row.get(c.key)))}</td>'
                for c in columns
            )
            body.append(f"<tr{row_key}>{cells}</tr>")
        caption = ""
        if len(shown) < len(rows):
            caption = f"<caption>Showing {len(shown):,} of {len(rows):,} rows</caption>"
        self.blocks.append(
            f'<div class="table-wrap"><table class="dl-table" data-table="{esc(name)}">{caption}'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        )

    def charts(self, *charts: Chart) -> None:
        """One chart full width; several side by side (two per row on a wide screen)."""
        cards = [
            f'<div class="card chart" data-chart="{esc(c.name)}">'
            + (f"<h2>{esc(c.caption)}</h2>" if c.caption else "")
            + f"\n\n```js\ndisplay(((data, width) => {c.plot})({js_data(c.data)}, {c.width}));\n```\n\n</div>"
            for c in charts
        ]
        if len(cards) == 1:
            self.blocks.append(cards[0])
        else:
            self.blocks.append(f'<div class="grid grid-cols-2">{"".join(cards)}</div>')

    def print(self) -> None:
        print("\n\n".join(self.blocks))
