"""Past credit applications with the inputs their approval's risk table had.

Where the approval instance of an application kept its data past the risk table (its
``lane`` is there), those are the inputs the live decision had: RECORDED
(:mod:`.recorded`). Otherwise they are rebuilt from the stored facts as they stood when it
came in, the way the live approval computes them (:func:`bpmn.approval.start_data`, then
the report pull and the scoring the diagram does before its risk table): the newest credit
report pulled by the submission, or when that one was stale or missing the report pulled
between submission and decision (its own figures, kept in its details) or no file; the days
past due of the applicant's loans on the day of submission; the business date of
submission: REBUILT. Both reports are picked in SQL, one row per application.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bpmn import approval, operations
from bpmn.simulation import recorded
from bpmn.simulation.arrears import LATE, Late, days_past_due, late_of
from bpmn.simulation.population import (
    Case,
    InputSource,
    Population,
    in_list,
    moment,
    money,
    pause,
)
from domain import sqltext
from domain.application.models import ApplicationStatus
from domain.clock import service as clock
from domain.credit import facts

_CHUNK = """
SELECT a.id, a.customer_id, a.amount, a.term_months, a.status, a.submitted_at,
       p.code AS product_code, c.monthly_income,
       r.score, r.total_debt, r.pulled_at, f.score AS pulled_score, f.details AS pulled_details
FROM application a
JOIN product p ON p.id = a.product_id
JOIN customer c ON c.id = a.customer_id
LEFT JOIN credit_report r ON r.id = (
    SELECT n.id FROM credit_report n
     WHERE n.customer_id = a.customer_id AND n.pulled_at <= a.submitted_at
     ORDER BY n.pulled_at DESC, n.id DESC LIMIT 1)
LEFT JOIN credit_report f ON f.id = (
    SELECT n.id FROM credit_report n
     WHERE n.customer_id = a.customer_id AND n.pulled_at > a.submitted_at
       AND n.pulled_at <= COALESCE(a.decided_at, :now)
     ORDER BY n.pulled_at, n.id LIMIT 1)
WHERE a.id > :after AND a.submitted_at >= :first AND a.submitted_at < :past {narrowing}
ORDER BY a.id
LIMIT :size
"""
_COUNT = """
SELECT COUNT(*) AS n FROM application a JOIN product p ON p.id = a.product_id
WHERE a.submitted_at >= :first AND a.submitted_at < :past {narrowing}
"""
_IDS = ("application_id", "customer_id")  # not inputs: every case would be its own class


async def count(population: Population) -> int:
    """How many applications the population holds (for a background job's progress)."""
    first, past = population.window()
    narrowing, values = population.narrowing("a.status")
    statement = _COUNT.format(narrowing=narrowing)
    _, rows = await sqltext.execute(statement, {"first": first, "past": past, **values})
    return int(rows[0]["n"])


async def chunks(population: Population, *, complete: bool = False) -> AsyncIterator[list[Case]]:
    """The population's applications, a chunk of ids at a time, with their inputs;
    ``complete``: the names a kept instance lacks taken from the rebuilt inputs (a whole
    process needs every start name, a table only those it reads)."""
    pg = sqltext.postgres()
    first, past = population.window()
    narrowing, values = population.narrowing("a.status")
    statement = _CHUNK.format(narrowing=narrowing)
    now, after = datetime.now(UTC), 0
    while True:
        params = {"after": after, "first": first, "past": past, "now": now}
        _, rows = await sqltext.execute(statement, {**params, **values, "size": population.chunk})
        if not rows:
            return
        after = int(rows[-1]["id"])
        yield await _cases(rows, pg=pg, complete=complete)


async def _cases(rows: list[Any], *, pg: bool, complete: bool) -> list[Case]:
    applicants = tuple(sorted({int(row["customer_id"]) for row in rows}))
    listed, values = in_list("customer", applicants)
    _, late_rows = await sqltext.execute(LATE.format(where=f"l.customer_id IN {listed}"), values)
    late: dict[int, list[Late]] = {}
    for found in late_rows:
        late.setdefault(int(found["customer_id"]), []).append(late_of(found))
    kept = await recorded.approval_inputs([int(row["id"]) for row in rows], pg=pg)
    out = []
    for done, row in enumerate(rows, start=1):
        await pause(done)
        pk, customer_id = int(row["id"]), int(row["customer_id"])
        amount = money(row["amount"]) or Decimal("0")
        status = str(row["status"])
        if pk in kept:
            values = kept[pk]
            if complete:
                values = {**_rebuilt(row, amount, late.get(customer_id, [])), **values}
            out.append(Case(pk, customer_id, amount, values, InputSource.RECORDED, status))
        else:
            values = _rebuilt(row, amount, late.get(customer_id, []))
            out.append(Case(pk, customer_id, amount, values, InputSource.REBUILT, status))
    return out


def _rebuilt(row: Any, amount: Decimal, late: list[Late]) -> dict[str, Any]:
    """The risk table's inputs as the approval computed them when the application came in:
    its start data, then the report it pulled when the newest one was stale or missing, then
    its score."""
    submitted = moment(row["submitted_at"]) or datetime.now(UTC)
    on = clock.local_date(submitted)
    found = facts.ApplicationFacts(
        application_id=int(row["id"]), customer_id=int(row["customer_id"]), amount=amount,
        term_months=int(row["term_months"]), status=ApplicationStatus(row["status"]),
        product_code=str(row["product_code"]), monthly_income=money(row["monthly_income"]),
        bureau_score=None if row["score"] is None else int(row["score"]),
        total_debt=money(row["total_debt"]), pulled_at=moment(row["pulled_at"]),
        worst_dpd=days_past_due(late, on), today=on,
    )  # fmt: skip
    values = approval.start_data(found)  # the live start's own computation
    for name in _IDS:
        values.pop(name, None)
    age = values["report_age_days"]
    if age is None or age > values["max_report_age_days"]:
        values.update(_pulled(row, found), report_age_days=0)
    score = operations.score(amount, values["bureau_score"], found.monthly_income)
    band, rate = operations.score_band(score)  # what scoring answered
    values.update(application_score=score, score_band=band, annual_rate=rate)
    return values


def _pulled(row: Any, found: facts.ApplicationFacts) -> dict[str, Any]:
    """What the approval's report pull gave (:func:`bpmn.operations.pull_report`): the pulled
    report's own figures, or no file at the bureau."""
    if row["pulled_score"] is None:
        return {"bureau_score": None, "debt_to_income": Decimal("0.50"), "worst_dpd_12m": 0}
    details = recorded.kept_data(row["pulled_details"]) or {}
    dti, worst = details.get("debt_to_income"), details.get("worst_dpd_12m")
    return {
        "bureau_score": int(row["pulled_score"]),
        "debt_to_income": Decimal(str(dti)) if dti is not None else Decimal("0.50"),
        "worst_dpd_12m": int(worst) if worst is not None else found.worst_dpd,
    }
