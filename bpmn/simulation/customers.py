"""Borrowers with the inputs their risk rating or limit-increase table has on a day.

Customers are weighed daily on what stands that day, so the population is the borrowers as
of the window's last day (``to``), with the inputs the live daily work computes for that
day (:func:`bpmn.ratings.inputs`, :func:`domain.loan.streaks.on_time`): REBUILT. The amount
at stake is the customer's exposure: the outstanding principal of their active loans.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from bpmn import ratings
from bpmn.simulation.population import Case, Population
from domain import sqltext
from domain.customer.models import Customer
from domain.daily.chunks import Span
from domain.errors import ValidationError
from domain.loan.models import LoanStatus
from domain.loan.streaks import on_time

RATING, LIMIT = "customer_risk_rating", "limit_increase"
_IDS = "SELECT id FROM customer WHERE id > :after ORDER BY id LIMIT :size"
_BORROWERS = "SELECT COUNT(DISTINCT customer_id) AS n FROM loan"
_EXPOSURE = """
SELECT customer_id, SUM(outstanding_principal) AS exposure FROM loan
WHERE customer_id >= :lo AND customer_id < :hi AND status = :active GROUP BY customer_id
"""


async def count() -> int:
    """About how many borrowers there are (customers with a loan), for a job's progress."""
    _, rows = await sqltext.execute(_BORROWERS, {})
    return int(rows[0]["n"])


async def chunks(population: Population, process_id: str) -> AsyncIterator[list[Case]]:
    """The borrowers on the window's last day, a range of customer ids at a time."""
    if population.product_codes or population.statuses:
        raise ValidationError.single(
            "population.filter", "customers are not narrowed by product or status"
        )
    day, after = population.end, 0
    while True:
        _, rows = await sqltext.execute(_IDS, {"after": after, "size": population.chunk})
        if not rows:
            return
        span = Span(int(rows[0]["id"]), int(rows[-1]["id"]) + 1)
        after = span.hi - 1
        found = await ratings.inputs(day, lo=span.lo, hi=span.hi)
        if process_id == LIMIT:
            found = await _limit_inputs(day, span, found)
        _, exposures = await sqltext.execute(
            _EXPOSURE, {"lo": span.lo, "hi": span.hi, "active": LoanStatus.ACTIVE.value}
        )
        exposure = {int(r["customer_id"]): _money(r["exposure"]) for r in exposures}
        yield [
            Case(cid, cid, exposure.get(cid, Decimal("0")), values) for cid, values in found.items()
        ]


async def _limit_inputs(
    day: Any, span: Span, rated: dict[int, dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """What the live limit-increase run weighs (:func:`bpmn.offers.run`), per borrower."""
    streaks = await on_time(day, span)
    rows = Customer.filter(span.q("id"), risk_rating__isnull=False)
    risk = {int(k): str(v.value) for k, v in await rows.values_list("id", "risk_rating")}
    return {
        cid: {
            "consecutive_on_time": streaks.get(cid, 0),
            "worst_dpd_12m": values["worst_dpd_12m"],
            "risk_rating": risk.get(cid),
        }
        for cid, values in rated.items()
    }


def _money(raw: Any) -> Decimal:
    # SQLite sums decimal columns as floats: back to cents
    return Decimal(str(raw or 0)).quantize(Decimal("0.01"))
