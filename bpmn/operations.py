"""Domain implementations of the registry's service operations (async, bound with @implements).

The runner (:mod:`bpmn.runner`) calls these on the event loop inside the transaction of the
run, so every row they write commits or rolls back together with the process state; except
what an outside service answered (a credit report), which is kept on its own
(:mod:`domain.credit.calls`) because asking again would be a second, billed, call.

Results are plain JSON values (decimals as strings): the engine stores them in task data.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from bpmn.registry import implements
from domain import byhand, sqltext
from domain.application.models import Application, ApplicationStatus
from domain.clock import service as clock
from domain.credit import bureau as credit_bureau
from domain.credit import calls, facts
from domain.credit.models import CreditReport
from domain.customer.models import Customer
from domain.errors import ConflictError, NotFoundError, ValidationError
from domain.loan import service as loans
from domain.loan.models import Contract
from domain.product.models import Product

SIMULATED_BUREAU = "SIMULATED"
# score band -> (lower bound of the score, annual rate)
BANDS: tuple[tuple[str, int, Decimal], ...] = (
    ("A", 750, Decimal("0.0990")),
    ("B", 680, Decimal("0.1290")),
    ("C", 600, Decimal("0.1790")),
    ("D", 0, Decimal("0.2390")),
)
NO_REPORT_SCORE = 500
NO_INCOME_BURDEN = Decimal("2")


@dataclass(frozen=True)
class CallContext:
    """The process data a service call runs in (set by the runner around each call)."""

    instance_id: int
    element_id: str | None
    data: dict[str, Any] = field(default_factory=dict)
    task_id: str | None = None  # the engine task: with instance and element, a stable key
    user_id: int | None = None  # who completed the human task that led here, if anyone
    today: date | None = None  # the business date of the run (read once per step)


current_call: ContextVar[CallContext | None] = ContextVar("current_call", default=None)


# the application, locked as its contract is made, with the contract made before if any
_APPLICATION_AND_CONTRACT = """
SELECT a.status, a.amount, a.customer_id, c.id AS contract_id, c.number
FROM application a LEFT JOIN contract c ON c.id = (
    SELECT m.id FROM contract m WHERE m.application_id = a.id ORDER BY m.id LIMIT 1)
WHERE a.id = :application_id"""
# a contract with the loan disbursed on it before if any, and its application (locked as the
# loan is made) with the product's amortization method
_CONTRACT_LOAN_AND_PRODUCT = """
SELECT c.id, c.number, c.application_id, c.customer_id, c.principal, c.annual_rate,
       c.term_months, l.id AS loan_id,
       a.amount, a.term_months AS applied_term, a.product_id, p.method
FROM contract c
JOIN application a ON a.id = c.application_id
JOIN product p ON p.id = a.product_id
LEFT JOIN loan l ON l.id = (
    SELECT m.id FROM loan m WHERE m.contract_id = c.id ORDER BY m.id LIMIT 1)
WHERE c.id = :contract_id"""


async def _one(sql: str, *, lock: bool = False, **values: Any) -> Any:
    """The first row of a statement (None when none); with ``lock``, its application row
    ``a`` locked FOR UPDATE (PostgreSQL; SQLite serialises writers anyway)."""
    text = sql + " FOR UPDATE OF a" if lock and sqltext.postgres() else sql
    _, rows = await sqltext.execute(text, values)
    return rows[0] if rows else None


async def _today() -> date:
    """The business date: the running step's, else read."""
    call = current_call.get()
    return call.today if call is not None and call.today is not None else await clock.get()


def score_band(score: int) -> tuple[str, Decimal]:
    """The band (A/B/C/D) and annual rate of an application score."""
    for band, floor, rate in BANDS:
        if score >= floor:
            return band, rate
    return BANDS[-1][0], BANDS[-1][2]  # pragma: no cover


def score(amount: Decimal, bureau_score: int | None, monthly_income: Decimal | None) -> int:
    """Application score, 300..900: the bureau score less 100 points per year of income borrowed.

    No report counts as a bureau score of 500; no income counts as borrowing two years of it.
    """
    base = NO_REPORT_SCORE if bureau_score is None else bureau_score
    if monthly_income is None or monthly_income <= 0:
        burden = NO_INCOME_BURDEN
    else:
        burden = amount / (monthly_income * 12)
    return max(300, min(900, base - int(burden * 100)))


@implements("credit.score_application")
async def score_application(application_id: int) -> dict[str, Any]:
    """Score from the amount, the newest credit report and the monthly income.

    Returns ``score``, ``band`` (A/B/C/D at 750/680/600) and the band's ``annual_rate``.
    """
    found = await facts.of(application_id)
    if found is None:
        raise NotFoundError("application", application_id)
    value = score(found.amount, found.bureau_score, found.monthly_income)
    band, rate = score_band(value)
    return {"score": value, "band": band, "annual_rate": str(rate)}


@implements("credit.pull_report")
async def pull_report(customer_id: int, bureau: str = SIMULATED_BUREAU) -> dict[str, Any]:
    """Pull a report from the credit bureau (:mod:`domain.credit.bureau`) and store it.

    Debt-to-income is the bureau's total debt repaid over 24 months against the monthly
    income (0.5 without income). A person the bureau has no file on (or without an ID number)
    gets ``bureau_score`` None, which scoring treats as a thin file. An unavailable bureau
    raises UnavailableError: the process waits and retries; ``bureau`` is kept for diagrams
    that name one and is informational.

    In a process the inquiry is made once per instance, element and engine task
    (:mod:`domain.credit.calls`): its answer and report are kept even when the run that made
    it is lost, and a replay of the run reuses them instead of asking (and paying) again.
    """
    customer = await Customer.get_or_none(id=customer_id)
    if customer is None:
        raise NotFoundError("customer", customer_id)
    id_number, name, income = customer.id_number, customer.name, customer.monthly_income

    async def ask(key: str | None) -> credit_bureau.BureauReport | None:
        if not id_number:
            return None
        return await credit_bureau.pull(id_number=id_number, name=name, key=key)

    def encode(found: credit_bureau.BureauReport | None) -> dict[str, Any]:
        return {"report": None if found is None else credit_bureau.answer_json(found)}

    async def keep(answer: dict[str, Any]) -> dict[str, Any]:
        found = answer.get("report")
        report = None if found is None else credit_bureau.answer_from_json(found)
        return await _keep_report(customer_id, income, report)

    call = current_call.get()
    key = calls.key_for(call.instance_id, call.element_id, call.task_id) if call else None
    if key is None or not id_number:  # nobody is asked: nothing to claim
        return dict((await keep(encode(await ask(key))))["result"])
    kept = await calls.once(
        key, operation="credit.pull_report", instance_id=call.instance_id if call else None,
        call=ask, encode=encode, keep=keep,
    )  # fmt: skip
    return dict(kept["result"])


async def _keep_report(
    customer_id: int, income: Decimal | None, found: credit_bureau.BureauReport | None
) -> dict[str, Any]:
    """Store a bureau answer as a credit report; the process's result and the answer as JSON."""
    if found is None:
        result = {"report_id": None, "bureau_score": None, "debt_to_income": "0.50",
                  "worst_dpd_12m": 0}  # fmt: skip
        return {"result": result, "report": None}
    dti = (
        (found.total_debt / 24 / income).quantize(Decimal("0.01"))
        if income is not None and income > 0
        else Decimal("0.50")
    )
    report = await CreditReport.create(
        customer_id=customer_id,
        bureau=found.bureau,
        score=found.score,
        pulled_at=datetime.now(UTC),
        total_debt=found.total_debt,
        open_accounts=found.open_accounts,
        delinquencies=found.delinquencies,
        inquiries=found.inquiries,
        details={
            "reference": found.reference,
            "debt_to_income": str(dti),
            "worst_dpd_12m": found.worst_dpd_12m,
        },
        source="bpmn",
    )
    result = {
        "report_id": report.id,
        "bureau_score": found.score,
        "debt_to_income": str(dti),
        "worst_dpd_12m": found.worst_dpd_12m,
    }
    return {"result": result, "report": credit_bureau.answer_json(found)}


@implements("loan.create_contract")
async def create_contract(
    application_id: int,
    principal: Decimal,
    annual_rate: Decimal,
    term_months: int,
    start_date: Any = None,
) -> dict[str, Any]:
    """Create the contract of an approved application (status CONTRACTED) with its terms, once.

    ``loan_id`` in the result is the contract id: the loan itself is created at disbursement
    (``loan.disburse`` takes that id), with its schedule, from the terms stored here.
    """
    found = await _one(_APPLICATION_AND_CONTRACT, lock=True, application_id=application_id)
    if found is None:
        raise NotFoundError("application", application_id)
    if found["contract_id"] is not None:
        number = facts.as_field(Contract, "number", found["number"])
        return {"loan_id": found["contract_id"], "contract_id": found["contract_id"],
                "number": number}  # fmt: skip
    status = ApplicationStatus(found["status"])
    amount = facts.as_field(Application, "amount", found["amount"])
    if status not in (
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.IN_REVIEW,
        ApplicationStatus.APPROVED,
    ):
        raise ConflictError(f"application {application_id} is {status}")
    if principal <= 0 or principal > amount:
        raise ValidationError.single("principal", "must be more than 0 and at most the amount")
    signed_on = start_date or await _today()
    if annual_rate < 0 or annual_rate >= 1:
        raise ValidationError.single("annual_rate", "must be a fraction from 0 up to 1")
    if not 1 <= term_months <= 600:
        raise ValidationError.single("term_months", "must be 1..600")
    now = datetime.now(UTC)
    contracted = byhand.updating(
        Application, application_id,
        status=ApplicationStatus.CONTRACTED, decision="APPROVED", decided_at=now, updated_at=now,
    )  # fmt: skip
    contract = await byhand.create(
        Contract(
            number=f"LG-A{application_id:08d}",
            customer_id=int(found["customer_id"]),
            application_id=application_id,
            signed_on=signed_on,
            principal=principal,
            annual_rate=annual_rate,
            term_months=term_months,
        ),
        contracted,
    )
    return {"loan_id": contract.id, "contract_id": contract.id, "number": contract.number}


@implements("loan.disburse")
async def disburse(loan_id: int, amount: Decimal | None = None) -> dict[str, Any]:
    """Create the loan of contract ``loan_id`` with its schedule; application DISBURSED.

    The principal, rate and term are the contract's (``amount`` may disburse less). Contracts
    made before the contract kept its terms take them from the process data. Disbursing a
    contract twice returns the loan made the first time.
    """
    # (a contract whose application is gone, SET NULL on delete, has no row here)
    found = await _one(_CONTRACT_LOAN_AND_PRODUCT, lock=True, contract_id=loan_id)
    if found is None:
        raise NotFoundError("contract", loan_id)
    if found["loan_id"] is not None:
        return {"disbursement_id": found["loan_id"], "loan_id": found["loan_id"]}
    call = current_call.get()
    data = call.data if call else {}
    rate = facts.as_field(Contract, "annual_rate", found["annual_rate"])
    if rate is None and "annual_rate" in data:
        rate = Decimal(str(data["annual_rate"]))
    if rate is None:
        raise ConflictError(f"contract {found['number']} has no annual rate")
    term = facts.as_field(Contract, "term_months", found["term_months"]) or int(
        data.get("term_months", found["applied_term"])
    )
    agreed = facts.as_field(Contract, "principal", found["principal"]) or facts.as_field(
        Application, "amount", found["amount"]
    )
    principal = amount if amount is not None else agreed
    if principal <= 0 or principal > agreed:
        raise ValidationError.single("amount", f"must be more than 0 and at most {agreed}")
    disbursed = byhand.updating(
        Application, int(found["application_id"]),
        status=ApplicationStatus.DISBURSED, updated_at=datetime.now(UTC),
    )  # fmt: skip
    loan = await loans.create(
        customer_id=int(found["customer_id"]),
        product_id=int(found["product_id"]),
        principal=principal,
        annual_rate=rate,
        term_months=term,
        method=facts.as_field(Product, "method", found["method"]),
        disbursed_on=await _today(),
        contract_id=int(found["id"]),
        also=[disbursed],
    )
    return {"disbursement_id": loan.id, "loan_id": loan.id}
