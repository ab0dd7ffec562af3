"""Past credit applications with the inputs their approval's risk table had.

Where the approval instance of an application kept its data past the risk table (its
``lane`` is there), those are the inputs the live decision had: RECORDED. Otherwise they are
rebuilt from the stored facts as they stood when it came in, the way the live approval
computes them (:func:`bpmn.approval._start_data`, then the report pull and the scoring the
diagram does before its risk table): the newest credit report pulled by the submission, or
when that one was stale or missing the report pulled between submission and decision (its
own figures, kept in its details) or no file; the days past due of the applicant's loans on
the day of submission; the business date of submission: REBUILT.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from bpmn import approval, operations, outcomes
from bpmn.simulation.population import Case, InputSource, Population, in_list
from domain import sqltext
from domain.application.models import Application, ApplicationStatus
from domain.clock import service as clock
from domain.credit import facts
from domain.credit.models import CreditReport
from domain.customer.models import Customer
from domain.loan.models import Installment, Loan, LoanStatus

_CHUNK = """
SELECT a.id, a.customer_id, a.amount, a.term_months, a.status, a.submitted_at, a.decided_at,
       p.code AS product_code, c.monthly_income
FROM application a
JOIN product p ON p.id = a.product_id
JOIN customer c ON c.id = a.customer_id
WHERE a.id > :after AND a.submitted_at >= :first AND a.submitted_at < :past {narrowing}
ORDER BY a.id
LIMIT :size
"""
_REPORTS = """
SELECT r.customer_id, r.score, r.total_debt, r.pulled_at, r.details FROM credit_report r
WHERE r.customer_id IN {customers} ORDER BY r.customer_id, r.pulled_at, r.id
"""
_LATE = """
SELECT l.customer_id, l.status, l.closed_on, i.due_date, i.paid_on
FROM installment i JOIN loan l ON l.id = i.loan_id
WHERE l.customer_id IN {customers} AND (i.paid_on IS NULL OR i.paid_on > i.due_date)
"""
_RECORDED = """
SELECT pi.business_key, {data} AS data FROM process_instance pi
JOIN process_definition d ON d.id = pi.definition_id
WHERE d.process_id = :process AND pi.business_key IN {keys}
ORDER BY pi.id
"""


def _decimal(raw: Any) -> Decimal | None:
    return None if raw is None else Decimal(str(raw))


def _int(raw: Any) -> int | None:
    return None if raw is None else int(raw)


def _text(raw: Any) -> str | None:
    return None if raw is None else str(raw)


# The live start data's names and types (stored data keeps decimals as text); scoring's
# outputs come before the risk table in the approval diagram, so a table may read them.
RECORDED_INPUTS: Mapping[str, Callable[[Any], Any]] = {
    "amount": _decimal, "term_months": _int, "product_code": _text,
    "report_age_days": _int, "bureau_score": _int, "debt_to_income": _decimal,
    "worst_dpd_12m": _int, "max_report_age_days": _int, "second_approval_above": _decimal,
    "application_score": _int, "score_band": _text, "annual_rate": _decimal,
}  # fmt: skip
_IDS = ("application_id", "customer_id")  # not inputs: every case would be its own class


async def chunks(population: Population) -> AsyncIterator[list[Case]]:
    """The population's applications, a chunk of ids at a time, with their inputs."""
    pg = sqltext.postgres()
    first, past = population.window()
    narrowing, values = "", dict[str, Any]()
    if population.product_codes:
        listed, values = in_list("product", population.product_codes)
        narrowing += f" AND p.code IN {listed}"
    if population.statuses:
        listed, more = in_list("status", population.statuses)
        narrowing, values = narrowing + f" AND a.status IN {listed}", {**values, **more}
    statement = _CHUNK.format(narrowing=narrowing)
    after = 0
    while True:
        params = {"after": after, "first": first, "past": past, "size": population.chunk}
        _, rows = await sqltext.execute(statement, {**params, **values})
        if not rows:
            return
        after = int(rows[-1]["id"])
        yield await _cases(rows, pg=pg)


async def _cases(rows: list[Any], *, pg: bool) -> list[Case]:
    applicants = tuple(sorted({int(row["customer_id"]) for row in rows}))
    reports = await _by_customer(_REPORTS, applicants)
    late = await _by_customer(_LATE, applicants)
    recorded = await _recorded([int(row["id"]) for row in rows], pg=pg)
    out = []
    for row in rows:
        pk, customer_id = int(row["id"]), int(row["customer_id"])
        amount = facts.as_field(Application, "amount", row["amount"])
        kept = recorded.get(pk)
        if kept is not None:
            out.append(Case(pk, customer_id, amount, kept, InputSource.RECORDED))
            continue
        values = _rebuilt(row, amount, reports.get(customer_id, []), late.get(customer_id, []))
        out.append(Case(pk, customer_id, amount, values, InputSource.REBUILT))
    return out


def _rebuilt(row: Any, amount: Decimal, reports: list[Any], late: list[Any]) -> dict[str, Any]:
    """The risk table's inputs as the approval computed them when the application came in:
    its start data, then the report it pulled when the newest one was stale or missing, then
    its score."""
    submitted = facts.as_field(Application, "submitted_at", row["submitted_at"])
    decided = facts.as_field(Application, "decided_at", row["decided_at"]) or datetime.now(UTC)
    pulled = [(facts.as_field(CreditReport, "pulled_at", r["pulled_at"]), r) for r in reports]
    known = [r for at, r in pulled if at <= submitted]  # oldest first
    day = clock.local_date(submitted)
    found = _facts(row, amount, known[-1] if known else None, days_past_due(late, day), day)
    values = approval._start_data(found)  # the live start's own computation
    for name in _IDS:
        values.pop(name, None)
    age = values["report_age_days"]
    if age is None or age > values["max_report_age_days"]:
        fresh = [r for at, r in pulled if submitted < at <= decided]
        values.update(_pulled(fresh[0] if fresh else None, found), report_age_days=0)
    income = found.monthly_income
    score = operations.score(amount, values["bureau_score"], income)
    band, rate = operations._band(score)  # what scoring answered
    values.update(application_score=score, score_band=band, annual_rate=rate)
    return values


def _pulled(report: Any, found: facts.ApplicationFacts) -> dict[str, Any]:
    """What the approval's report pull gave (:func:`bpmn.operations.pull_report`): the pulled
    report's own figures, or no file at the bureau."""
    if report is None:
        return {"bureau_score": None, "debt_to_income": Decimal("0.50"), "worst_dpd_12m": 0}
    details = _details(report["details"])
    dti = details.get("debt_to_income")
    worst = details.get("worst_dpd_12m")
    return {
        "bureau_score": int(report["score"]),
        "debt_to_income": Decimal(str(dti)) if dti is not None else Decimal("0.50"),
        "worst_dpd_12m": int(worst) if worst is not None else found.worst_dpd,
    }


def _details(raw: Any) -> dict[str, Any]:
    found = json.loads(raw) if isinstance(raw, str | bytes) else raw
    return found if isinstance(found, dict) else {}


def _facts(
    row: Any, amount: Decimal, report: Any, worst_dpd: int, day: date
) -> facts.ApplicationFacts:
    """The application's facts on the day it came in."""
    return facts.ApplicationFacts(
        application_id=int(row["id"]),
        customer_id=int(row["customer_id"]),
        amount=amount,
        term_months=int(row["term_months"]),
        status=ApplicationStatus(row["status"]),
        product_code=str(row["product_code"]),
        monthly_income=facts.as_field(Customer, "monthly_income", row["monthly_income"]),
        bureau_score=None if report is None else int(report["score"]),
        total_debt=None if report is None else facts.as_field(
            CreditReport, "total_debt", report["total_debt"]),
        pulled_at=None if report is None else facts.as_field(
            CreditReport, "pulled_at", report["pulled_at"]),
        worst_dpd=worst_dpd,
        today=day,
    )  # fmt: skip


def days_past_due(late: list[Any], day: date) -> int:
    """The worst days past due of a customer's loans on ``day``, from their late installments
    (an installment unpaid that day and due before it; a loan charged off by then left out)."""
    worst = 0
    for row in late:
        closed = facts.as_field(Loan, "closed_on", row["closed_on"])
        if row["status"] == LoanStatus.CHARGED_OFF.value and closed is not None and closed <= day:
            continue
        due = facts.as_field(Installment, "due_date", row["due_date"])
        paid = facts.as_field(Installment, "paid_on", row["paid_on"])
        if due < day and (paid is None or paid > day):
            worst = max(worst, (day - due).days)
    return worst


async def _by_customer(statement: str, customers: tuple[int, ...]) -> dict[int, list[Any]]:
    listed, values = in_list("customer", customers)
    _, rows = await sqltext.execute(statement.format(customers=listed), values)
    found: dict[int, list[Any]] = {}
    for row in rows:
        found.setdefault(int(row["customer_id"]), []).append(row)
    return found


async def _recorded(ids: list[int], *, pg: bool) -> dict[int, dict[str, Any]]:
    """The inputs kept by the approval instances of these applications that decided a lane."""
    keys = tuple(f"{outcomes.PREFIX}{pk}" for pk in ids)
    listed, values = in_list("key", keys)
    data = "(pi.state -> 'data')::text" if pg else "json_extract(pi.state, '$.data')"
    statement = _RECORDED.format(data=data, keys=listed)
    _, rows = await sqltext.execute(statement, {"process": approval.PROCESS_ID, **values})
    found: dict[int, dict[str, Any]] = {}
    for row in rows:  # the newest instance of an application last
        kept = json.loads(row["data"]) if isinstance(row["data"], str) else row["data"]
        if not isinstance(kept, dict) or kept.get("lane") is None:
            continue
        pk = outcomes.application_id(str(row["business_key"]))
        if pk is not None:
            found[pk] = {n: read(kept.get(n)) for n, read in RECORDED_INPUTS.items() if n in kept}
    return found
