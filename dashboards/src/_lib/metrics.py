"""Presentation helpers for the metric marts: labels and row picking, never arithmetic.

Every metric is defined once, in a dbt mart; the pages only choose which of its rows to show.
"""

from __future__ import annotations

from datetime import date
from typing import Any


def period_label(grain: str, start: date) -> str:
    """'2024-07' for a month, '2024-Q3' for a quarter, '2024' for a year, the ISO date otherwise."""
    if grain == "month":
        return start.strftime("%Y-%m")
    if grain == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if grain == "year":
        return str(start.year)
    return start.isoformat()


def labelled(rows: list[dict[str, Any]], grain: str) -> list[dict[str, Any]]:
    """The rows with a `period` label from their period_start_date, for tables keyed by period."""
    return [{**row, "period": period_label(grain, row["period_start_date"])} for row in rows]


def latest(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The last row of rows sorted by period (None when there is none)."""
    return rows[-1] if rows else None
