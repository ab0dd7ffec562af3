"""A hand-built history of applications, and a draft of risk_lane.dmn to simulate on it.

Each application is built for the lane it falls in under the shipped table and under the
draft; the tests write the expected confusion table out by hand from the comments here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from domain.application.models import Application, ApplicationChannel, ApplicationStatus
from domain.credit.models import CreditReport
from domain.customer.models import Customer
from domain.loan.models import Contract, Installment, Loan, LoanStatus
from domain.process.models import InstanceStatus, ProcessDefinition, ProcessInstance
from tests import factories

PROCESSES = Path(__file__).resolve().parents[3] / "bpmn" / "processes"
APPROVAL = (PROCESSES / "credit_approval.bpmn").read_text()
RISK_LANE = (PROCESSES / "risk_lane.dmn").read_text()
# the draft: decline below 600 (was 550), FAST up to 80,000 (was 50,000)
DRAFT_LANE = (
    RISK_LANE.replace("&lt; 550", "&lt; 600")
    .replace("bureau score below 550", "bureau score below 600")
    .replace("&lt;= 50000", "&lt;= 80000")
)
START, END = date(2026, 6, 1), date(2026, 6, 10)
DAY = datetime(2026, 6, 3, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai, inside the window


@dataclass
class Seeded:
    """The ids the tests look for."""

    applications: dict[str, int]
    customers: dict[str, int]


async def _applicant(name: str, income: str) -> Customer:
    return await factories.customer(name, monthly_income=Decimal(income))


async def _report(owner: Customer, score: int, debt: str, pulled: datetime) -> None:
    await CreditReport.create(
        customer_id=owner.id, bureau="TEST", score=score, total_debt=Decimal(debt),
        pulled_at=pulled,
    )  # fmt: skip


async def _application(owner: Customer, amount: str, submitted: datetime = DAY) -> Application:
    product = await factories.product("PL")
    return await Application.create(
        customer_id=owner.id, product_id=product.id, channel=ApplicationChannel.APP,
        amount=Decimal(amount), term_months=24, status=ApplicationStatus.DECLINED,
        submitted_at=submitted, decided_at=submitted + timedelta(hours=1),
    )  # fmt: skip


async def _granted(application: Application, *, late_days: int) -> Loan:
    """A loan made on the application, its first installment paid ``late_days`` late."""
    await Application.filter(id=application.id).update(status=ApplicationStatus.DISBURSED)
    contract = await Contract.create(
        number=f"C-{application.id}", customer_id=application.customer_id,  # type: ignore[attr-defined]
        application_id=application.id, signed_on=date(2026, 1, 2),
    )  # fmt: skip
    product = await factories.product("PL")
    loan = await Loan.create(
        customer_id=application.customer_id, product_id=product.id,  # type: ignore[attr-defined]
        contract_id=contract.id, principal=application.amount, annual_rate=Decimal("0.12"),
        term_months=24, method=product.method, disbursed_on=date(2026, 1, 2),
        outstanding_principal=application.amount,
        status=LoanStatus.CHARGED_OFF if late_days >= 90 else LoanStatus.ACTIVE,
    )  # fmt: skip
    due = date(2026, 2, 2)
    await Installment.create(
        loan_id=loan.id, seq=1, due_date=due, principal_due=Decimal("100"),
        interest_due=Decimal("10"), paid_on=due + timedelta(days=late_days) if late_days else due,
    )  # fmt: skip
    return loan


async def seed() -> Seeded:
    """Nine applications (eight in the window) and the facts their lanes depend on."""
    before = DAY - timedelta(days=5)
    apps: dict[str, int] = {}
    people: dict[str, int] = {}

    async def person(key: str, income: str = "10000") -> Customer:
        found = await _applicant(f"申请人{key}", income)
        people[key] = found.id
        return found

    # a1: 20,000, score 720, DTI 12,000/120,000 = 0.1, clean -> FAST under both
    a1 = await person("a1")
    await _report(a1, 720, "12000", before)
    apps["a1"] = (await _application(a1, "20000")).id
    # a2: 60,000, the same profile -> STANDARD (above 50,000), FAST under the draft; granted,
    # paid on time
    a2 = await person("a2")
    await _report(a2, 720, "12000", before)
    app2 = await _application(a2, "60000")
    apps["a2"] = app2.id
    await _granted(app2, late_days=0)
    # a3: 30,000, score 580 -> ENHANCED (below 620), DECLINE under the draft (below 600);
    # granted, then 95 days late: defaulted
    a3 = await person("a3")
    await _report(a3, 580, "12000", before)
    app3 = await _application(a3, "30000")
    apps["a3"] = app3.id
    await _granted(app3, late_days=95)
    # a4: 30,000, score 500 -> DECLINE under both
    a4 = await person("a4")
    await _report(a4, 500, "12000", before)
    apps["a4"] = (await _application(a4, "30000")).id
    # a5: 45,000 and no credit report -> ENHANCED under both
    a5 = await person("a5")
    apps["a5"] = (await _application(a5, "45000")).id
    # a6: 40,000; the approval instance kept bureau score 590 (its report then), a report of
    # 720 was pulled after the decision -> RECORDED inputs: ENHANCED, DECLINE under the draft
    a6 = await person("a6")
    app6 = await _application(a6, "40000")
    apps["a6"] = app6.id
    await _report(a6, 720, "12000", DAY + timedelta(days=2))
    await _recorded(app6, score=590)
    # a7: outside the window (May) -> not in the population
    a7 = await person("a7")
    await _report(a7, 500, "12000", before - timedelta(days=40))
    apps["a7"] = (await _application(a7, "10000", DAY - timedelta(days=30))).id
    # a8: 25,000, score 720, DTI 0.1, but another loan 70 days late on the day of submission
    # (its installment due 70 days before, paid later) -> DECLINE (more than 60) under both
    a8 = await person("a8")
    await _report(a8, 720, "12000", before)
    earlier = await _application(a8, "5000", DAY - timedelta(days=200))
    old = await _granted(earlier, late_days=0)
    due = date(2026, 6, 3) - timedelta(days=70)
    await Installment.create(
        loan_id=old.id, seq=2, due_date=due, principal_due=Decimal("100"),
        interest_due=Decimal("10"), paid_on=date(2026, 6, 20),
    )  # fmt: skip
    apps["a8"] = (await _application(a8, "25000")).id
    # a9: 15,000 on 1 June at 01:00 in Shanghai (31 May in UTC), the a1 profile -> FAST
    a9 = await person("a9")
    await _report(a9, 720, "12000", before)
    apps["a9"] = (await _application(a9, "15000", datetime(2026, 5, 31, 17, tzinfo=UTC))).id
    return Seeded(apps, people)


async def _recorded(application: Application, *, score: int) -> None:
    """An approval instance whose stored data holds the inputs the risk table had."""
    definition = await ProcessDefinition.get(process_id="credit_approval", retired_at=None)
    data = {
        "application_id": application.id, "amount": str(application.amount), "term_months": 24,
        "product_code": "PL", "bureau_score": score, "debt_to_income": "0.1000",
        "worst_dpd_12m": 0, "report_age_days": 2, "lane": "ENHANCED",
        "reason": "bureau score below 620",
    }  # fmt: skip
    await ProcessInstance.create(
        definition_id=definition.id, business_key=f"application:{application.id}",
        customer_id=application.customer_id,  # type: ignore[attr-defined]
        status=InstanceStatus.COMPLETED, state={"data": data},
    )  # fmt: skip
