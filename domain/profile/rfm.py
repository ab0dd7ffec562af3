"""RFM as DOMAIN.md defines it, over a window (24 months by default) ending on the business date.

R: days since the last on-time repayment or drawdown (fewer is better). F: on-time
repayments and drawdowns. M: interest and fees earned (there is no penalty interest to
exclude). Each is scored 1..5 over the customers active in the window:
score = 1 + floor(5 * (customers strictly worse) / customers), so ties share a score and the
best fifth gets 5. Segments follow from the scores by the first matching rule of SEGMENTS.

The scores need the whole population, a range of customers only its own values: ``cuts``
takes, in one grouped statement, the four values per measure where a score starts (the value
at rank ceil(s * n / 5) in ascending order, s = 1..4); a value scores 1 plus the number of
cuts it is above, which is the formula above. Ranges of customers scored with the same cuts
score exactly as the whole population does.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tortoise import connections

from domain.profile.reading import Reading, read
from domain.profile.windows import WINDOW_MONTHS as WINDOW_MONTHS
from domain.profile.windows import window_start as window_start

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


@dataclass(frozen=True, slots=True)
class Cuts:
    """Where each score starts over the population active in a window (see the module doc)."""

    active: int
    last: tuple[date, ...]  # recency as the date of the last event: later is better
    frequency: tuple[int, ...]
    margin: tuple[Decimal, ...]

    def score(self, last: date, frequency: int, margin: Decimal) -> tuple[int, int, int]:
        """R, F and M of one customer of the population."""
        # the cuts ascend: the cuts a value is above are those before its insertion point
        return (1 + bisect_left(self.last, last), 1 + bisect_left(self.frequency, frequency),
                1 + bisect_left(self.margin, margin))  # fmt: skip

    def to_json(self) -> dict[str, list[str]]:
        """The cuts as stored in ``rfm_basis.cuts``."""
        return {"last": [d.isoformat() for d in self.last],
                "frequency": [str(n) for n in self.frequency],
                "margin": [str(m) for m in self.margin]}  # fmt: skip

    @classmethod
    def from_json(cls, active: int, cuts: Mapping[str, list[str]]) -> Cuts:
        """The cuts stored by ``to_json``."""
        return cls(active, tuple(date.fromisoformat(d) for d in cuts["last"]),
                   tuple(int(n) for n in cuts["frequency"]),
                   tuple(Decimal(m) for m in cuts["margin"]))  # fmt: skip


_CUTS_SQL = """
WITH ev AS (
    SELECT customer_id AS cid, 1 AS n, disbursed_on AS last, 0 AS margin
      FROM loan WHERE disbursed_on >= {start} AND disbursed_on <= {day}
    UNION ALL
    SELECT l.customer_id, CASE WHEN i.paid_on <= i.due_date THEN 1 ELSE 0 END,
           CASE WHEN i.paid_on <= i.due_date THEN i.paid_on END, i.interest_paid + i.fee_paid
      FROM installment i JOIN loan l ON l.id = i.loan_id
     WHERE i.paid_on >= {start} AND i.paid_on <= {day}
), per AS (
    SELECT SUM(n) AS f, MAX(last) AS last, ROUND(SUM(margin), 2) AS m
      FROM ev GROUP BY cid HAVING MAX(last) IS NOT NULL
), ranked AS (
    SELECT last, f, m, COUNT(*) OVER () AS n, ROW_NUMBER() OVER (ORDER BY last) AS r_at,
           ROW_NUMBER() OVER (ORDER BY f) AS f_at, ROW_NUMBER() OVER (ORDER BY m) AS m_at
      FROM per
)
SELECT n, r_at, f_at, m_at, last, f, m FROM ranked
 WHERE 5 * r_at / n <> 5 * (r_at - 1) / n OR 5 * f_at / n <> 5 * (f_at - 1) / n
    OR 5 * m_at / n <> 5 * (m_at - 1) / n
"""


async def cuts(day: date, months: int = WINDOW_MONTHS) -> Cuts:
    """The score cuts over every customer active in the window ending on ``day``."""
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    sql = _CUTS_SQL.format(start="$1" if postgres else "?", day="$2" if postgres else "?")
    start = window_start(day, months)
    params: list[Any] = [start, day] if postgres else [start.isoformat(), day.isoformat()] * 2
    rows = await conn.execute_query_dict(sql, params)
    if not rows:
        return Cuts(0, (), (), ())
    n = int(rows[0]["n"])
    ranks = [-(-s * n // 5) for s in range(1, 5)]  # ceil(s * n / 5)
    r = {int(row["r_at"]): date.fromisoformat(str(row["last"])) for row in rows}
    f = {int(row["f_at"]): int(row["f"]) for row in rows}
    m = {int(row["m_at"]): _money(row["m"]) for row in rows}
    return Cuts(n, tuple(r[k] for k in ranks), tuple(f[k] for k in ranks),
                tuple(m[k] for k in ranks))  # fmt: skip


def _money(value: Any) -> Decimal:
    # SQLite sums the money columns as floats: the value is read back through its repr
    raw = value if isinstance(value, Decimal) else Decimal(repr(value) if value else "0")
    return raw.quantize(Decimal("0.01"))


async def compute(
    day: date, months: int = WINDOW_MONTHS, *, lo: int | None = None, hi: int | None = None,
    basis: Cuts | None = None, reading: Reading | None = None,
) -> dict[int, Rfm]:  # fmt: skip
    """RFM of the customers (``lo <= id < hi``) active in the window ending on ``day``.

    Scores are against ``basis``, the population's cuts (taken now when not given); the
    range's events come from ``reading`` when given (read over the same window).
    """
    basis = basis if basis is not None else await cuts(day, months)
    reading = reading if reading is not None else await read(day, lo, hi, months=months)
    return scored(reading, basis)


def scored(reading: Reading, basis: Cuts) -> dict[int, Rfm]:
    """RFM of the customers of ``reading`` active in its window, scored against ``basis``."""
    day = reading.day
    out = {}
    nothing: dict[str, Any] = {}
    for cid in reading.customers:
        drawn = reading.loans.get(cid, nothing)
        repaid = reading.installments.get(cid, nothing)
        count, latest = int(drawn.get("rfm_n") or 0), drawn.get("rfm_last")
        if repaid.get("rfm_n"):  # on-time repayments in the window
            count += int(repaid["rfm_n"])
            latest = repaid["rfm_last"] if latest is None else max(latest, repaid["rfm_last"])
        if latest is None:
            continue
        money = Decimal("0")
        if repaid.get("rfm_paid"):  # interest and fees of every repayment in the window
            money = (repaid["rfm_interest"] or Decimal("0")) + (repaid["rfm_fee"] or Decimal("0"))
        money = money.quantize(Decimal("0.01"))
        r, f, m = basis.score(latest, count, money)
        name, rule = segment(r, f, m)
        out[cid] = Rfm((day - latest).days, count, money, r, f, m, name, rule)
    return out
