"""Rows of the lending history: applications, contracts, loans, installments and payments."""

import random
from datetime import date, timedelta
from decimal import Decimal

from domain.application.models import Application, ApplicationChannel, ApplicationStatus
from domain.loan.models import Contract, Installment, Loan, Payment, PaymentAllocation
from domain.seed.loans import LoanOutcome
from domain.seed.member import Member, daytime, institution_zone
from domain.seed.plans import Behaviour, LoanPlan, new_plan
from domain.seed.rows import Batch, Ids, Shape

_INSTALLMENT = Shape(
    Installment, "id", "loan_id", "seq", "due_date", "principal_due", "interest_due", "fee_due",
    "principal_paid", "interest_paid", "fee_paid", "paid_on",
)  # fmt: skip
_PAYMENT = Shape(
    Payment, "id", "loan_id", "amount", "paid_at", "idempotency_key", "principal_prepaid",
    "credit", "source", "external_id", "created_at",
)  # fmt: skip
_ALLOCATION = Shape(
    PaymentAllocation, "id", "payment_id", "installment_id", "fee", "interest", "principal"
)
_CHANNELS = tuple(ApplicationChannel)
_CHANNEL_WEIGHTS = (0.45, 0.15, 0.25, 0.05, 0.10)
_PENDING = (ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW, ApplicationStatus.APPROVED)


def _lane(amount: Decimal, score: int) -> str:
    if amount >= 500000 or score < 600:
        return "SENIOR"
    if amount >= 100000 or score < 660:
        return "STANDARD"
    return "AUTO"


def _approval(lane: str, score: int) -> str:
    if lane == "AUTO":
        return f"Auto-approved: bureau score {score} within the automatic band"
    if lane == "STANDARD":
        return f"Approved by a risk officer: bureau score {score}, income verified"
    return f"Approved by a senior risk officer: bureau score {score}, turnover and debts reviewed"


def score_on(m: Member, day: date) -> int:
    """The bureau score of the newest report pulled on or before a day (else the first one)."""
    known = [score for pulled, score in m.scores if pulled <= day]
    return known[-1] if known else (m.scores[0][1] if m.scores else 650)


def _application(
    rng: random.Random,
    m: Member,
    plan: LoanPlan,
    product_ids: dict[str, int],
    ids: Ids,
    batch: Batch,
) -> int:
    submitted = plan.disbursed_on - timedelta(days=rng.randint(2, 10))
    score = score_on(m, submitted)
    lane = _lane(plan.principal, score)
    decided = submitted + timedelta(days=0 if lane == "AUTO" else rng.randint(0, 1))
    application_id = ids.take(Application)
    decided_at = daytime(rng, decided, institution_zone(), 13, 18)
    batch.add(
        Application,
        id=application_id,
        customer_id=m.id,
        product_id=product_ids[plan.product.code],
        channel=rng.choices(_CHANNELS, _CHANNEL_WEIGHTS)[0],
        amount=plan.principal,
        term_months=plan.term,
        purpose=rng.choice(plan.product.purposes),
        status=ApplicationStatus.DISBURSED,
        decision="APPROVED",
        decision_reason=_approval(lane, score),
        risk_lane=lane,
        submitted_at=daytime(rng, submitted, institution_zone(), 8, 12),
        decided_at=decided_at,
        updated_at=decided_at,
    )
    return application_id


def loan_rows(
    rng: random.Random,
    m: Member,
    loan_id: int,
    o: LoanOutcome,
    *,
    product_ids: dict[str, int],
    ids: Ids,
    business_date: date,
    batch: Batch,
) -> None:
    """The application, contract, loan, installments, payments and allocations of one loan."""
    plan = o.plan
    application_id = _application(rng, m, plan, product_ids, ids, batch)
    contract_id = ids.take(Contract)
    batch.add(
        Contract,
        id=contract_id,
        number=f"LG-{plan.disbursed_on.year}-{contract_id:06d}",
        customer_id=m.id,
        application_id=application_id,
        signed_on=plan.disbursed_on,
    )
    batch.add(
        Loan,
        id=loan_id,
        customer_id=m.id,
        product_id=product_ids[plan.product.code],
        contract_id=contract_id,
        collector_id=m.collectors.get(loan_id),
        principal=plan.principal,
        annual_rate=plan.annual_rate,
        term_months=plan.term,
        method=plan.product.method,
        disbursed_on=plan.disbursed_on,
        status=o.status,
        outstanding_principal=o.outstanding,
        credit_balance=o.credit_balance,
        days_past_due=o.days_past_due,
        bucket=o.bucket,
        dpd_as_of=business_date,
        closed_on=o.closed_on,
        created_at=daytime(rng, plan.disbursed_on, institution_zone(), 9, 17),
    )
    installment_id: dict[int, int] = {}
    for s in o.states:
        row_id = installment_id[s.seq] = ids.take(Installment)
        batch.put(_INSTALLMENT, (
            row_id, loan_id, s.seq, s.due_date, s.principal_due, s.interest_due, s.fee_due,
            s.principal_paid, s.interest_paid, s.fee_paid, o.paid_on.get(s.seq),
        ))  # fmt: skip
    for p in o.payments:
        payment_id = ids.take(Payment)
        batch.put(_PAYMENT, (
            payment_id, loan_id, p.amount, p.paid_at, f"seed-{payment_id}", p.principal_prepaid,
            p.credit, None, None, p.paid_at,
        ))  # fmt: skip
        for line in p.lines:
            batch.put(_ALLOCATION, (
                ids.take(PaymentAllocation), payment_id, installment_id[line.seq], line.fee,
                line.interest, line.principal,
            ))  # fmt: skip


def open_application(
    rng: random.Random,
    m: Member,
    *,
    product_ids: dict[str, int],
    ids: Ids,
    business_date: date,
    batch: Batch,
) -> None:
    """An application that has not led to a loan: pending, approved or declined."""
    plan = new_plan(rng, m.ident.kind, m.ident.monthly_income, m.behaviour, business_date)
    troubled = m.behaviour in (Behaviour.DELINQUENT, Behaviour.CHARGED_OFF)
    status = ApplicationStatus.DECLINED
    if not troubled and rng.random() < 0.65:
        status = rng.choices(_PENDING, (0.4, 0.35, 0.25))[0]
    age = {"SUBMITTED": (1, 3), "IN_REVIEW": (1, 10), "APPROVED": (3, 20)}.get(status, (5, 60))
    oldest = max((business_date - m.since).days, 1)
    submitted = business_date - timedelta(days=min(rng.randint(*age), oldest))
    score = score_on(m, submitted)
    lane = _lane(plan.principal, score)
    decision = reason = None
    decided = submitted + timedelta(days=rng.randint(0, 2))
    if status is ApplicationStatus.IN_REVIEW and lane == "AUTO":
        lane = "STANDARD"  # whatever waits for a person is not in the automatic lane
    if status is ApplicationStatus.DECLINED:
        decision = "DECLINED"
        worst = max(m.loans, key=lambda pair: pair[1].days_past_due, default=None)
        if troubled and worst is not None:
            reason = f"Existing loan {worst[0]} is past due or charged off"
        elif score < 560:
            reason = f"Bureau score {score} is below the 560 minimum"
        else:
            dti = rng.randint(56, 90)
            reason = f"Debt-to-income {dti}% is above the 55% limit"
    elif status is ApplicationStatus.APPROVED:
        decision, reason = "APPROVED", _approval(lane, score)
    decided = min(decided, business_date - timedelta(days=1))
    submitted_at = daytime(rng, submitted, institution_zone(), 8, 12)
    decided_at = daytime(rng, decided, institution_zone(), 13, 18) if decision else None
    batch.add(
        Application,
        id=ids.take(Application),
        customer_id=m.id,
        product_id=product_ids[plan.product.code],
        channel=rng.choices(_CHANNELS, _CHANNEL_WEIGHTS)[0],
        amount=plan.principal,
        term_months=plan.term,
        purpose=rng.choice(plan.product.purposes),
        status=status,
        decision=decision,
        decision_reason=reason,
        risk_lane=None if status is ApplicationStatus.SUBMITTED else lane,
        submitted_at=submitted_at,
        decided_at=decided_at,
        updated_at=decided_at or submitted_at,
    )
