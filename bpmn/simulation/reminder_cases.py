"""The pre-due reminders the daily run would have weighed in a window, as cases of the cadence.

The daily reminders (:mod:`domain.outreach.reminders`) ask the cadence, every day, for each
unpaid installment of an active loan due within :data:`HORIZON` days, whether to remind its
customer that many days before. A case is one such question: an installment and a number of
days ``d`` (1 to :data:`HORIZON`) whose reminder day ``due_date - d`` falls inside the window,
when on that day

- the installment was not paid yet: ``paid_on`` is empty or on that day or later (a payment
  made on the reminder's own day is taken to come after the day's reminders);
- the loan was active: ACTIVE now, or closed or charged off on that day or later (the same
  reading of ``closed_on``); a loan closed or charged off with no closing day is left out, as
  the live run leaves it out today;
- the loan was disbursed (``disbursed_on`` on that day or before).

The inputs are ``days_before_due = d`` and the customer's habit (the HABITUAL_LATE tag), risk
rating and RFM segment as they are stored today, not as they were on that day: REBUILT. The
amount at stake is the installment's amount due (principal, interest and fee due), to the
cent; the case id is the loan (the row a reader's scope is about). Which days of an
installment are cases is worked out in SQL (its first and last reminder day in the window),
so each row is read once and its cases are made without looking at the days in between; the
installments are read one due date at a time, an index range whatever the portfolio's size.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bpmn.simulation.population import Case, Population, day, money
from domain import sqltext
from domain.loan.models import LoanStatus
from domain.outreach.reminders import HORIZON, LATE_TAG

CENT = Decimal("0.01")
# an installment's first and last reminder day in the window, in each dialect (True: PostgreSQL):
# from the window's first day, the horizon before its due date and the loan's disbursement; to
# the window's last day, the day before its due date, its payment and the loan's closing
_FIRST = {
    True: f"GREATEST(CAST(:first AS DATE), i.due_date - {int(HORIZON)}, l.disbursed_on)",
    False: f"max(:first, date(i.due_date, '-{int(HORIZON)} days'), l.disbursed_on)",
}
_LAST = {
    True: "LEAST(CAST(:last AS DATE), i.due_date - 1, COALESCE(i.paid_on, CAST(:last AS DATE)), "
    "CASE WHEN l.status = :active THEN CAST(:last AS DATE) "
    "ELSE COALESCE(l.closed_on, CAST(:never AS DATE)) END)",
    False: "min(:last, date(i.due_date, '-1 day'), COALESCE(i.paid_on, :last), "
    "CASE WHEN l.status = :active THEN :last ELSE COALESCE(l.closed_on, :never) END)",
}
# the installments with a reminder day in the window; {labels} joins the customer
_ROWS = """
FROM installment i
JOIN loan l ON l.id = i.loan_id
JOIN product p ON p.id = l.product_id {labels}
WHERE i.due_date > :first AND i.due_date <= :last_due
  AND (i.paid_on IS NULL OR i.paid_on >= :first)
  AND (l.status = :active OR l.closed_on >= :first) AND l.disbursed_on <= :last
  AND {last_day} >= {first_day} {narrowing}"""
_CHUNK = """
SELECT i.id, i.loan_id, i.due_date, i.principal_due, i.interest_due, i.fee_due, l.customer_id,
       c.risk_rating, c.rfm_segment, {first_day} AS first_day, {last_day} AS last_day,
       EXISTS (SELECT 1 FROM customer_tag ct JOIN tag t ON t.id = ct.tag_id
                WHERE ct.customer_id = l.customer_id AND t.name = :late_tag) AS late
{rows}
  AND i.due_date = :due AND i.id > :after
ORDER BY i.id
LIMIT :size
"""
_COUNT = "SELECT SUM({days} + 1) AS n {rows}"
_LABELS = "\nJOIN customer c ON c.id = l.customer_id"


def _statement(template: str, population: Population, *, pg: bool) -> tuple[str, dict[str, Any]]:
    """A statement over the population's installments, in the dialect, and its parameters."""
    narrowing, values = population.narrowing("l.status")
    first_day, last_day = _FIRST[pg], _LAST[pg]
    rows = _ROWS.format(
        labels=_LABELS if template is _CHUNK else "", first_day=first_day, last_day=last_day,
        narrowing=narrowing,
    )  # fmt: skip
    statement = template.format(
        rows=rows, first_day=first_day, last_day=last_day,
        days=sqltext.days_between(last_day, first_day, pg=pg),
    )  # fmt: skip
    params = {
        "first": population.start, "last": population.end,
        "last_due": population.end + timedelta(days=HORIZON),
        "never": population.start - timedelta(days=1),  # before the window: no day at all
        "active": LoanStatus.ACTIVE.value, **values,
    }  # fmt: skip
    return statement, params


async def count(population: Population) -> int:
    """How many reminders the population holds (for a background job's progress)."""
    statement, params = _statement(_COUNT, population, pg=sqltext.postgres())
    _, rows = await sqltext.execute(statement, params)
    return int(rows[0]["n"] or 0)


async def chunks(population: Population) -> AsyncIterator[list[Case]]:
    """The reminders weighed in the window, ``population.chunk`` cases at a time: the
    installments of one due date at a time (an index range, whatever the portfolio's size),
    read ``population.chunk`` at a time in order of id, each with its days."""
    statement, params = _statement(_CHUNK, population, pg=sqltext.postgres())
    size = population.chunk
    cases: list[Case] = []
    due = population.start + timedelta(days=1)
    while due <= population.end + timedelta(days=HORIZON):
        after = 0
        while True:
            asked = {**params, "late_tag": LATE_TAG, "due": due, "after": after, "size": size}
            _, rows = await sqltext.execute(statement, asked)
            if not rows:
                break
            after = int(rows[-1]["id"])
            for row in rows:
                cases.extend(_cases(row))
                while len(cases) >= size:
                    yield cases[:size]
                    cases = cases[size:]
        due += timedelta(days=1)
    while cases:
        yield cases[:size]
        cases = cases[size:]


def _cases(row: Any) -> list[Case]:
    """An installment's reminders in the window: one per day from its first to its last."""
    due, first, last = day(row["due_date"]), day(row["first_day"]), day(row["last_day"])
    assert due is not None and first is not None and last is not None  # the WHERE keeps them
    parts = (money(row[name]) for name in ("principal_due", "interest_due", "fee_due"))
    amount = sum((p or Decimal("0") for p in parts), Decimal("0")).quantize(CENT)
    loan, owner, late = int(row["loan_id"]), int(row["customer_id"]), bool(row["late"])
    rating, segment = _text(row["risk_rating"]), _text(row["rfm_segment"])
    return [
        Case(loan, owner, amount, {"days_before_due": d, "habitual_late": late,
                                   "risk_rating": rating, "rfm_segment": segment})
        for d in range((due - last).days, (due - first).days + 1)
    ]  # fmt: skip


def labels(case: Case) -> tuple[str, str]:
    """The customer's RFM segment and risk rating the case carries (today's, "" when unset)."""
    return case.values["rfm_segment"] or "", case.values["risk_rating"] or ""


def _text(value: Any) -> str | None:
    """A stored label as the table reads it, as the live run reads it (None when unset)."""
    return None if value is None else str(value)
