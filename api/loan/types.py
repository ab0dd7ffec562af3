"""Loans, installments and payments as GraphQL objects."""

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.context import Info
from api.enums import AmortizationMethod, InstallmentStatus, LoanStatus
from api.relay import Node, to_global_id
from api.system.types import User
from domain.loan.models import Installment as InstallmentModel
from domain.loan.models import Loan as LoanModel
from domain.loan.models import Payment as PaymentModel

if TYPE_CHECKING:
    from api.customer.types import Customer


def installment_status(row: InstallmentModel, today: date) -> InstallmentStatus:
    """Where an installment stands on the business date."""
    if row.paid_on is not None:
        return InstallmentStatus.PAID
    if row.due_date < today:
        return InstallmentStatus.OVERDUE
    if row.due_date == today:
        return InstallmentStatus.DUE
    paid = row.principal_paid + row.interest_paid + row.fee_paid
    return InstallmentStatus.PARTIALLY_PAID if paid > 0 else InstallmentStatus.UPCOMING


@strawberry.type(description="One scheduled repayment and what has been paid towards it.")
class Installment:
    seq: int
    due_date: date
    principal_due: Decimal
    interest_due: Decimal
    fee_due: Decimal
    total_due: Decimal
    paid_amount: Decimal
    paid_on: date | None
    status: InstallmentStatus

    @classmethod
    def from_model(cls, row: InstallmentModel, today: date) -> "Installment":
        """The GraphQL view of an installment row on a business date."""
        return cls(
            seq=row.seq,
            due_date=row.due_date,
            principal_due=row.principal_due,
            interest_due=row.interest_due,
            fee_due=row.fee_due,
            total_due=row.principal_due + row.interest_due + row.fee_due,
            paid_amount=row.principal_paid + row.interest_paid + row.fee_paid,
            paid_on=row.paid_on,
            status=installment_status(row, today),
        )


@strawberry.type(description="Money received for a loan.")
class Payment(Node):
    id: strawberry.ID
    amount: Decimal
    paid_at: datetime
    idempotency_key: str
    principal_prepaid: Decimal
    credit: Decimal

    @classmethod
    def from_model(cls, row: PaymentModel) -> "Payment":
        """The GraphQL view of a payment row."""
        return cls(
            id=to_global_id("Payment", row.id),
            amount=row.amount,
            paid_at=row.paid_at,
            idempotency_key=row.idempotency_key,
            principal_prepaid=row.principal_prepaid,
            credit=row.credit,
        )


@strawberry.type(description="Money lent under a contract and its repayment.")
class Loan(Node):
    id: strawberry.ID
    status: LoanStatus
    principal: Decimal
    annual_rate: Decimal
    term_months: int
    method: AmortizationMethod
    disbursed_on: date
    outstanding_principal: Decimal
    credit_balance: Decimal
    days_past_due: int
    bucket: str
    closed_on: date | None
    pk: strawberry.Private[int]
    customer_pk: strawberry.Private[int]
    product_pk: strawberry.Private[int]
    collector_pk: strawberry.Private[int | None]
    today: strawberry.Private[date]

    @classmethod
    def from_model(cls, row: LoanModel, today: date) -> "Loan":
        """The GraphQL view of a loan row on a business date."""
        return cls(
            id=to_global_id("Loan", row.id),
            status=row.status,
            principal=row.principal,
            annual_rate=row.annual_rate,
            term_months=row.term_months,
            method=row.method,
            disbursed_on=row.disbursed_on,
            outstanding_principal=row.outstanding_principal,
            credit_balance=row.credit_balance,
            days_past_due=row.days_past_due,
            bucket=row.bucket,
            closed_on=row.closed_on,
            pk=row.id,
            customer_pk=row.customer_id,  # type: ignore[attr-defined]
            product_pk=row.product_id,  # type: ignore[attr-defined]
            collector_pk=row.collector_id,  # type: ignore[attr-defined]
            today=today,
        )

    @strawberry.field(description="The borrower.")
    async def customer(
        self, info: Info
    ) -> Annotated["Customer", strawberry.lazy("api.customer.types")]:
        from api.customer.types import Customer

        row = await info.context.loaders.customer.load(self.customer_pk)
        assert row is not None  # a loan always has its customer (RESTRICT on delete)
        return Customer.from_model(row)

    @strawberry.field(description="The product code of this loan.")
    async def product_code(self, info: Info) -> str:
        row = await info.context.loaders.product.load(self.product_pk)
        return row.code if row else ""

    @strawberry.field(description="The collector working this loan, if any.")
    async def collector(self, info: Info) -> User | None:
        if self.collector_pk is None:
            return None
        row = await info.context.loaders.user.load(self.collector_pk)
        return User.from_model(row) if row else None

    @strawberry.field(description="The repayment schedule, in order.")
    async def schedule(self, info: Info) -> list[Installment]:
        rows = await info.context.loaders.installments_by_loan.load(self.pk)
        return [Installment.from_model(r, self.today) for r in rows]

    @strawberry.field(description="Payments received, oldest first.")
    async def payments(self, info: Info) -> list[Payment]:
        rows = await info.context.loaders.payments_by_loan.load(self.pk)
        return [Payment.from_model(r) for r in rows]
