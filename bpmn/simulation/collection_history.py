"""The loans a collections replay covers, read in a few statements.

A loan is covered when it was past due on some day of the replayed window: one statement reads
the late installments of every such loan (with the loan's owner, principal and charge-off), the
customers are read once with what the contact policy needs of them
(:func:`domain.outreach.batch.people`), their risk rating and value segment are the live
start's own (:func:`bpmn.collections.start_data_many`: as they stand now, as for cases
REBUILT), and the active collectors are read as the live assignment reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bpmn import collections as live
from bpmn.collectors import active_collectors
from bpmn.simulation import timeline
from bpmn.simulation.arrears import Late, late_of
from bpmn.simulation.population import Population, money, pause
from bpmn.simulation.timeline import Timeline
from domain import sqltext
from domain.loan.models import LoanStatus
from domain.outreach.batch import people

# late installments of the loans past due on some day before :last and paid (if at all)
# after :first, their loans not charged off by :first; {narrowing} by product and status
_LATE = """
SELECT l.id AS loan_id, l.customer_id, l.principal, l.status, l.closed_on,
       i.due_date, i.paid_on
FROM installment i
JOIN loan l ON l.id = i.loan_id
JOIN product p ON p.id = l.product_id
WHERE (i.paid_on IS NULL OR i.paid_on > i.due_date) AND i.due_date < :last
  AND l.id IN (SELECT k.loan_id FROM installment k
                WHERE k.due_date < :last AND (k.paid_on IS NULL
                      OR (k.paid_on > k.due_date AND k.paid_on > :first)))
  AND NOT (l.status = :charged AND l.closed_on <= :first) {narrowing}
ORDER BY l.id
"""


@dataclass(slots=True)
class Covered:
    """A loan of the replay: its owner, principal, timeline and the strategy inputs that
    do not change from day to day."""

    loan_id: int
    customer_id: int
    principal: Decimal
    timeline: Timeline
    risk_rating: str | None = None
    value_segment: str | None = None


@dataclass(frozen=True, slots=True)
class Collector:
    """An active collector as the live assignment weighs them."""

    id: int
    username: str
    branch: str | None


@dataclass
class History:
    """What a replay reads: the loans, their owners (policy rows) and the collectors."""

    loans: list[Covered]
    customers: dict[int, Any]
    collectors: list[Collector]


async def read(population: Population, first: date, last: date) -> History:
    """The loans past due on some day of ``first``..``last`` (narrowed as the population is)."""
    narrowing, values = population.narrowing("l.status")
    params = {"first": first, "last": last, "charged": LoanStatus.CHARGED_OFF.value, **values}
    _, rows = await sqltext.execute(_LATE.format(narrowing=narrowing), params)
    late: dict[int, list[Late]] = {}
    owners: dict[int, tuple[int, Decimal]] = {}
    for row in rows:
        loan_id = int(row["loan_id"])
        late.setdefault(loan_id, []).append(late_of(row))
        if loan_id not in owners:
            owners[loan_id] = (int(row["customer_id"]), money(row["principal"]) or Decimal("0"))
    start, end = first.toordinal(), last.toordinal()
    loans = []
    for done, (loan_id, found) in enumerate(late.items(), start=1):
        await pause(done)
        line = timeline.of(found)
        if line.spans(start, end):
            owner, principal = owners[loan_id]
            loans.append(Covered(loan_id, owner, principal, line))
    await _start_inputs(loans)
    customers = await people({loan.customer_id for loan in loans}, "branch")
    collectors = [Collector(u.id, u.username, u.branch) for u in await active_collectors()]
    return History(loans, customers, collectors)


async def _start_inputs(loans: list[Covered]) -> None:
    """Each loan's risk rating and value segment, as the live start computes them."""
    asked = [{"id": loan.loan_id, "customer_id": loan.customer_id, "bucket": None,
              "days_past_due": None} for loan in loans]  # fmt: skip
    started = await live.start_data_many(asked)
    for loan, data in zip(loans, started, strict=True):
        loan.risk_rating, loan.value_segment = data["risk_rating"], data["value_segment"]
