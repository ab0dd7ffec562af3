"""Posting payments against stored loans: allocation, prepayment, closing, idempotency."""

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal

from domain.loan import service
from domain.loan.models import Installment, Loan, LoanStatus, Payment, PaymentAllocation
from tests import factories

PAID_AT = datetime(2026, 2, 14, 2, 0, tzinfo=UTC)


async def test_overpayment_prepays_principal_and_reamortizes(db: str) -> None:
    # given 12,000 at 12% over 12 months, annuity 1,066.19
    owner = await factories.customer()
    loan = await factories.loan(owner, principal="12000.00", rate="0.12", term=12)
    # when the customer pays 3,066.19 before the first due date
    await service.post_payment(
        loan_id=loan.id, amount=Decimal("3066.19"), paid_at=PAID_AT, idempotency_key="k1"
    )
    # then installment 1 is paid, 2,000 prepays principal and 11 smaller installments remain
    stored = await Loan.get(id=loan.id)
    rows = await Installment.filter(loan_id=loan.id).order_by("seq")
    payment = await Payment.get(idempotency_key="k1")
    assert payment.principal_prepaid == Decimal("2000.00")
    assert rows[0].paid_on == date(2026, 2, 14)
    assert stored.outstanding_principal == Decimal("12000.00") - rows[0].principal_due - 2000
    assert sum(r.principal_due for r in rows[1:]) == stored.outstanding_principal
    assert rows[1].due_date == date(2026, 3, 15)
    assert rows[1].principal_due + rows[1].interest_due < Decimal("1066.19")


async def test_paying_everything_closes_the_loan_and_keeps_credit(db: str) -> None:
    owner = await factories.customer()
    loan = await factories.loan(owner, principal="1200.00", rate="0", term=3)
    await service.post_payment(
        loan_id=loan.id, amount=Decimal("1300.00"), paid_at=PAID_AT, idempotency_key="all"
    )
    stored = await Loan.get(id=loan.id)
    assert stored.status == LoanStatus.CLOSED
    assert stored.outstanding_principal == 0
    assert stored.credit_balance == Decimal("100.00")
    assert await Installment.filter(loan_id=loan.id).count() == 1  # the rest were prepaid away


async def test_allocations_sum_to_the_payment(db: str) -> None:
    owner = await factories.customer()
    loan = await factories.loan(owner, principal="5000.00", rate="0.18", term=6)
    await service.move_business_date(date(2026, 5, 20), allow_backwards=True)
    posted = await service.post_payment(
        loan_id=loan.id, amount=Decimal("2000.00"),
        paid_at=datetime(2026, 5, 20, 3, tzinfo=UTC), idempotency_key="late",
    )  # fmt: skip
    lines = await PaymentAllocation.filter(payment_id=posted.payment.id)
    total = sum(line.fee + line.interest + line.principal for line in lines)
    assert total + posted.payment.principal_prepaid + posted.payment.credit == Decimal("2000.00")
    # three installments were overdue (Feb, Mar, Apr 15); 2,000 clears two of them, oldest first
    assert sorted({(await Installment.get(id=line.installment_id)).seq for line in lines}) == [
        1,
        2,
        3,
    ]
    stored = await Loan.get(id=loan.id)
    assert stored.days_past_due == (date(2026, 5, 20) - date(2026, 4, 15)).days


async def test_concurrent_posts_of_one_key_record_one_payment(db: str) -> None:
    owner = await factories.customer()
    loan = await factories.loan(owner)

    async def post() -> bool:
        posted = await service.post_payment(
            loan_id=loan.id, amount=Decimal("500.00"), paid_at=PAID_AT, idempotency_key="same"
        )
        return posted.created

    outcomes = await asyncio.gather(*(post() for _ in range(5)))
    assert sorted(outcomes) == [False, False, False, False, True]
    assert await Payment.filter(loan_id=loan.id).count() == 1
    first = await Installment.get(loan_id=loan.id, seq=1)
    assert first.interest_paid + first.principal_paid == Decimal("500.00")


async def test_delinquency_follows_the_business_date_until_paid(db: str) -> None:
    owner = await factories.customer()
    loan = await factories.loan(owner, principal="3000.00", rate="0", term=3)
    for day, expected in ((date(2026, 6, 15), (120, "M4")), (date(2026, 8, 14), (180, "M6")),
                          (date(2026, 8, 15), (181, "M7"))):  # fmt: skip
        await service.move_business_date(day)
        stored = await Loan.get(id=loan.id)
        assert (stored.days_past_due, stored.bucket) == expected, day
    await service.post_payment(
        loan_id=loan.id, amount=Decimal("3000.00"),
        paid_at=datetime(2026, 8, 15, 2, tzinfo=UTC), idempotency_key="cure",
    )  # fmt: skip
    stored = await Loan.get(id=loan.id)
    assert (stored.status, stored.days_past_due, stored.bucket) == (LoanStatus.CLOSED, 0, "M0")
