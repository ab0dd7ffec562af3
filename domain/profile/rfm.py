"""RFM as DOMAIN.md defines it, over a window (24 months by default) ending on the business date.

R: days since the last on-time repayment or drawdown (fewer is better). F: on-time
repayments and drawdowns. M: interest and fees earned (there is no penalty interest to
exclude). Each is scored 1..5 over the customers active in the window:
score = 1 + floor(5 * (customers strictly worse) / customers), so ties share a score and the
best fifth gets 5. Segments follow from the scores by the first matching rule of SEGMENTS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tortoise.expressions import F, Q
from tortoise.functions import Count, Max, Sum

from domain.loan.models import Installment, Loan

WINDOW_MONTHS = 24

# (segment, rule text, test on (R, F, M)); the first that matches names the customer
SEGMENTS: tuple[tuple[str, str, Callable[[int, int, int], bool]], ...] = (
    ("CHAMPIONS", "R>=4, F>=4, M>=4", lambda r, f, m: r >= 4 and f >= 4 and m >= 4),
    ("LOYAL", "R>=3, F>=4", lambda r, f, m: r >= 3 and f >= 4),
    ("POTENTIAL_LOYALIST", "R>=4, F 2-3", lambda r, f, m: r >= 4 and 2 <= f <= 3),
    ("NEW", "R=5, F=1", lambda r, f, m: r == 5 and f == 1),
    ("PROMISING", "R=4, F=1", lambda r, f, m: r == 4 and f == 1),
    ("NEED_ATTENTION", "R=3, F 2-3", lambda r, f, m: r == 3 and 2 <= f <= 3),
    ("ABOUT_TO_SLEEP", "R=3, F=1", lambda r, f, m: r == 3 and f == 1),
    ("CANT_LOSE_THEM", "R<=2, F>=4, M>=4", lambda r, f, m: r <= 2 and f >= 4 and m >= 4),
    ("AT_RISK", "R<=2, F>=3", lambda r, f, m: r <= 2 and f >= 3),
    ("HIBERNATING", "R=2, F<=2", lambda r, f, m: r == 2 and f <= 2),
    ("LOST", "R=1, F<=2", lambda r, f, m: True),
)
VALUABLE = frozenset({"CHAMPIONS", "LOYAL", "CANT_LOSE_THEM"})


@dataclass(frozen=True, slots=True)
class Rfm:
    """One customer's RFM: the raw values, the scores and the segment with its rule."""

    recency_days: int
    frequency: int
    margin: Decimal
    r: int
    f: int
    m: int
    segment: str
    rule: str

    def explanation(self, window_start: date, day: date) -> dict[str, Any]:
        """Which rule, which inputs, which values."""
        return {
            "rule": f"{self.segment}: {self.rule}",
            "inputs": {"recency_days": self.recency_days, "frequency": self.frequency,
                       "margin": str(self.margin)},
            "scores": {"R": self.r, "F": self.f, "M": self.m},
            "window": [window_start.isoformat(), day.isoformat()],
        }  # fmt: skip


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


def scores(values: Mapping[int, Any], *, higher_is_better: bool) -> dict[int, int]:
    """1..5 per key: 1 + floor(5 * (keys with a strictly worse value) / keys)."""
    n = len(values)
    ordered = sorted(values.values(), reverse=not higher_is_better)  # worst first
    # how many are strictly worse than a value: the index of its first occurrence
    first_at: dict[Any, int] = {}
    for index, value in enumerate(ordered):
        first_at.setdefault(value, index)
    return {key: 1 + (5 * first_at[value]) // n for key, value in values.items()}


def segment(r: int, f: int, m: int) -> tuple[str, str]:
    """The segment name and its rule for scores R, F, M."""
    for name, rule, test in SEGMENTS:
        if test(r, f, m):
            return name, rule
    raise AssertionError("unreachable")  # pragma: no cover


async def compute(day: date, months: int = WINDOW_MONTHS) -> dict[int, Rfm]:
    """RFM of every customer active in the window ending on ``day``."""
    start = window_start(day, months)
    last: dict[int, date] = {}
    count: dict[int, int] = {}
    margin: dict[int, Decimal] = {}
    drawdowns = await (
        Loan.filter(disbursed_on__gte=start, disbursed_on__lte=day)
        .annotate(n=Count("id"), last=Max("disbursed_on")).group_by("customer_id")
        .values("customer_id", "n", "last")
    )  # fmt: skip
    # one pass over the window's repayments: on-time count and latest, interest and fees
    on_time_q = Q(paid_on__lte=F("due_date"))
    repaid = await (
        Installment.filter(paid_on__gte=start, paid_on__lte=day)
        .annotate(n=Count("id", _filter=on_time_q), last=Max("paid_on", _filter=on_time_q),
                  i=Sum("interest_paid"), f=Sum("fee_paid"))
        .group_by("loan__customer_id").values("loan__customer_id", "n", "last", "i", "f")
    )  # fmt: skip
    for row in drawdowns:
        cid = int(row["customer_id"])
        count[cid] = count.get(cid, 0) + int(row["n"])
        last[cid] = max(last.get(cid, row["last"]), row["last"])
    for row in repaid:
        cid = int(row["loan__customer_id"])
        if row["n"]:
            count[cid] = count.get(cid, 0) + int(row["n"])
            last[cid] = max(last.get(cid, row["last"]), row["last"])
        margin[cid] = Decimal(row["i"] or 0) + Decimal(row["f"] or 0)
    active = list(last)
    recency = {c: (day - last[c]).days for c in active}
    frequency = {c: count.get(c, 0) for c in active}
    money = {c: margin.get(c, Decimal("0")).quantize(Decimal("0.01")) for c in active}
    r_scores = scores(recency, higher_is_better=False)
    f_scores = scores(frequency, higher_is_better=True)
    m_scores = scores(money, higher_is_better=True)
    out = {}
    for c in active:
        name, rule = segment(r_scores[c], f_scores[c], m_scores[c])
        out[c] = Rfm(recency[c], frequency[c], money[c], r_scores[c], f_scores[c], m_scores[c],
                     name, rule)  # fmt: skip
    return out
