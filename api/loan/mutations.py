"""Loan mutations: posting payments."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from api.access import Audited, require, require_loan, snapshot
from api.context import Info
from api.errors import UserErrors, returns_user_errors
from api.loan.types import Loan, Payment
from api.relay import expect_id
from bpmn import runner
from domain import faults
from domain.clock import service as clock
from domain.errors import ValidationError as DomainValidationError
from domain.loan import service
from domain.loan.models import Loan as LoanModel


@strawberry.input(description="Money received for a loan; the key makes a retry harmless.")
class PostPaymentInput:
    loan_id: strawberry.ID
    amount: Decimal
    paid_at: datetime
    idempotency_key: str


@strawberry.type(description="The payment is recorded (or was already, under this key).")
class PostPaymentSuccess:
    payment: Payment
    loan: Loan
    duplicate: bool = strawberry.field(description="True when this key had been posted before.")


PostPaymentResult = Annotated[
    PostPaymentSuccess | UserErrors, strawberry.union("PostPaymentResult")
]


@strawberry.type
class LoanMutations:
    @strawberry.mutation(description="Post a payment, allocated oldest installment first.")
    @returns_user_errors
    async def post_payment(self, info: Info, input: PostPaymentInput) -> PostPaymentResult:
        loan_id = expect_id(input.loan_id, "Loan", "loanId")
        if input.paid_at.tzinfo is None:
            raise DomainValidationError.single("paid_at", "needs a time zone (use UTC)")
        await require_loan(info, require(info, "payment", "create"), loan_id)
        async with Audited(info, "payment.post", "payment") as change:
            posted = await service.post_payment(
                loan_id=loan_id,
                amount=input.amount,
                paid_at=input.paid_at,
                idempotency_key=input.idempotency_key,
            )
            change.object_id = posted.payment.id
            after = snapshot(posted.payment, "loan_id", "amount", "paid_at", "idempotency_key")
            change.after = {**after, "duplicate": not posted.created}
            if posted.created:  # the collections process of this loan hears of it, once
                await runner.correlate_message(
                    "payment_received",
                    f"loan:{loan_id}",
                    {"payment_id": posted.payment.id, "amount": str(posted.payment.amount)},
                )
        faults.reach("payment.after_commit")  # committed, the client not told yet
        loan = await LoanModel.get(id=loan_id)
        return PostPaymentSuccess(
            payment=Payment.from_model(posted.payment),
            loan=Loan.from_model(loan, await clock.get()),
            duplicate=not posted.created,
        )
