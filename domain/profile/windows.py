"""How far back profiling's rules look on a business date: RFM's window, the lifecycle's periods.

RFM counts the events of a window of WINDOW_MONTHS months ending on the date. The lifecycle
calls a customer without an active loan CHURN_WARNING after ``LENDGRAPH_CHURN_DAYS`` idle days
and LOST after ``LENDGRAPH_LOST_DAYS``; a sharp drop compares the customer's own actions in the
last ``LENDGRAPH_DROP_DAYS`` with the same span before (``LENDGRAPH_DROP_RATIO``). The settings
are read each time, so a changed environment counts from the next computation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta

WINDOW_MONTHS = 24


def window_start(day: date, months: int = WINDOW_MONTHS) -> date:
    """The first day inside the window (same day of month, months back, clamped)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def days(name: str, default: int) -> int:
    """A number of days from the environment."""
    return int(os.environ.get(name, str(default)))


def drop_ratio() -> float:
    """The share of the earlier activity at or under which the later is a sharp drop."""
    return float(os.environ.get("LENDGRAPH_DROP_RATIO", "0.5"))


@dataclass(frozen=True, slots=True)
class Windows:
    """The dates a business date's rules compare with."""

    day: date
    rfm_start: date  # first day of the RFM window
    year_ago: date  # "in 12 months": after this day
    drop_days: int
    drop_start: date  # the activity before: after this day, up to drop_middle
    drop_middle: date  # the activity lately: after this day, up to the date

    @classmethod
    def of(cls, day: date, months: int = WINDOW_MONTHS) -> Windows:
        """The windows of ``day`` (RFM over ``months``), with the settings in force now."""
        drop = days("LENDGRAPH_DROP_DAYS", 90)
        return cls(day, window_start(day, months), day - timedelta(days=365), drop,
                   day - timedelta(days=2 * drop), day - timedelta(days=drop))  # fmt: skip
