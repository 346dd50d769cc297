"""Time in the demo: int64 day numbers and seconds since 1970-01-01 (UTC), vectorised over numpy arrays.

The demo never reads the clock: "today" is AS_OF, so the same seed gives the same files on any day.
"""

from __future__ import annotations

from datetime import date

import numpy as np

AS_OF = date(2026, 10, 31)
FIRST_DEAL_DATE = date(2021, 1, 1)
DAY = 86_400
# "Not (yet) happened": a real timestamp (2100-01-01) so SQL can still format it, later than any event.
NEVER = 4_102_444_800


def day_number(value: date) -> int:
    return (value - date(1970, 1, 1)).days


AS_OF_DAY = day_number(AS_OF)
AS_OF_END = (AS_OF_DAY + 1) * DAY - 1  # exports are taken at the end of their day
FIRST_DEAL_DAY = day_number(FIRST_DEAL_DATE)


def office_moment(rng: np.random.Generator, days: np.ndarray, last_day: int | None = None) -> np.ndarray:
    """A second during office hours on `days`, mostly moved off weekends (never past `last_day`)."""
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    shift = np.select([weekday == 5, weekday == 6], [2, 1], 0)
    shift[rng.random(days.size) < 0.05] = 0  # some people do work on Saturday
    if last_day is not None:
        shift[days + shift > last_day] = 0
    return (days + shift) * DAY + rng.integers(8 * 3600, 18 * 3600, days.size)


def growing_days(rng: np.random.Generator, n: int, first_day: int, last_day: int, growth: float = 2.5) -> np.ndarray:
    """`n` days in [first_day, last_day], the density rising linearly to `growth` times the start's."""
    a = (growth - 1) / 2
    u = rng.random(n)
    # Inverse of the CDF (x + a*x^2) / (1 + a) on [0, 1].
    x = (-1 + np.sqrt(1 + 4 * a * u * (1 + a))) / (2 * a)
    return first_day + np.minimum(np.floor(x * (last_day - first_day + 1)), last_day - first_day).astype(np.int64)


def month_number(value: date) -> int:
    """Months since 1970-01, as month_index counts them."""
    return (value.year - 1970) * 12 + value.month - 1


def years(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def month_index(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def add_months(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Same day of the month `months` later, clipped to the month's last day (Jan 31 + 1 -> Feb 28)."""
    start_of_month = days.astype("datetime64[D]").astype("datetime64[M]")
    day_of_month = days - start_of_month.astype("datetime64[D]").astype(np.int64)
    target = start_of_month + months
    target_first = target.astype("datetime64[D]").astype(np.int64)
    target_length = (target + 1).astype("datetime64[D]").astype(np.int64) - target_first
    return target_first + np.minimum(day_of_month, target_length - 1)
