"""Contracts, loans, their installments, payments and how payments were allocated."""

from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from domain.loan.schedule import AmortizationMethod

if TYPE_CHECKING:
    from domain.application.models import Application
    from domain.customer.models import Customer
    from domain.product.models import Product
    from domain.user.models import User


class LoanStatus(StrEnum):
    """The life of a loan after disbursement."""

    ACTIVE = "ACTIVE"
    CLOSED = "CLOSED"
    CHARGED_OFF = "CHARGED_OFF"


def _money(default: int | None = None) -> "fields.DecimalField[Decimal]":
    if default is None:
        return fields.DecimalField(max_digits=16, decimal_places=2)
    return fields.DecimalField(max_digits=16, decimal_places=2, default=Decimal(default))


class Contract(Model):
    """The signed agreement behind a loan."""

    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=64, unique=True)
    customer: fields.ForeignKeyRelation["Customer"] = fields.ForeignKeyField(
        "lendgraph.Customer", related_name="contracts", on_delete=fields.RESTRICT
    )
    application: fields.ForeignKeyNullableRelation["Application"] = fields.ForeignKeyField(
        "lendgraph.Application", related_name="contracts", null=True, on_delete=fields.SET_NULL
    )
    signed_on = fields.DateField()
    # the agreed terms, from which the loan and its schedule are made at disbursement
    principal = fields.DecimalField(max_digits=16, decimal_places=2, null=True)
    annual_rate = fields.DecimalField(max_digits=8, decimal_places=6, null=True)
    term_months = fields.IntField(null=True)

    class Meta:
        table = "contract"
        indexes = (("customer_id",), ("application_id",))


class Loan(Model):
    """Money lent to a customer under a contract, repaid by its schedule."""

    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation["Customer"] = fields.ForeignKeyField(
        "lendgraph.Customer", related_name="loans", on_delete=fields.RESTRICT
    )
    product: fields.ForeignKeyRelation["Product"] = fields.ForeignKeyField(
        "lendgraph.Product", related_name="loans", on_delete=fields.RESTRICT
    )
    contract: fields.ForeignKeyNullableRelation[Contract] = fields.ForeignKeyField(
        "lendgraph.Contract", related_name="loans", null=True, on_delete=fields.SET_NULL
    )
    collector: fields.ForeignKeyNullableRelation["User"] = fields.ForeignKeyField(
        "lendgraph.User",
        related_name="collected_loans",
        null=True,
        on_delete=fields.SET_NULL,
    )
    principal = _money()
    annual_rate = fields.DecimalField(max_digits=8, decimal_places=6)
    term_months = fields.IntField()
    method = fields.CharEnumField(AmortizationMethod, max_length=32)
    disbursed_on = fields.DateField()
    status = fields.CharEnumField(
        LoanStatus, max_length=16, default=LoanStatus.ACTIVE, db_index=True
    )
    outstanding_principal = _money()
    credit_balance = _money(default=0)
    days_past_due = fields.IntField(default=0, db_index=True)
    bucket = fields.CharField(max_length=8, default="M0", db_index=True)
    dpd_as_of = fields.DateField(null=True)
    closed_on = fields.DateField(null=True)
    source = fields.CharField(max_length=64, null=True)
    external_id = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "loan"
        indexes = (("customer_id",), ("collector_id",), ("contract_id",))
        unique_together = (("source", "external_id"),)


class Installment(Model):
    """One scheduled repayment of a loan and what has been paid towards it."""

    id = fields.IntField(primary_key=True)
    loan: fields.ForeignKeyRelation[Loan] = fields.ForeignKeyField(
        "lendgraph.Loan", related_name="installments", on_delete=fields.CASCADE
    )
    seq = fields.IntField()
    due_date = fields.DateField(db_index=True)
    principal_due = _money()
    interest_due = _money()
    fee_due = _money(default=0)
    principal_paid = _money(default=0)
    interest_paid = _money(default=0)
    fee_paid = _money(default=0)
    paid_on = fields.DateField(null=True)

    class Meta:
        table = "installment"
        unique_together = (("loan", "seq"),)


class Payment(Model):
    """Money received for a loan. The idempotency key makes posting it twice a no-op."""

    id = fields.IntField(primary_key=True)
    loan: fields.ForeignKeyRelation[Loan] = fields.ForeignKeyField(
        "lendgraph.Loan", related_name="payments", on_delete=fields.RESTRICT
    )
    amount = _money()
    paid_at = fields.DatetimeField(db_index=True)
    idempotency_key = fields.CharField(max_length=128, unique=True)
    principal_prepaid = _money(default=0)
    credit = _money(default=0)
    source = fields.CharField(max_length=64, null=True)
    external_id = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payment"
        indexes = (("loan_id",),)
        unique_together = (("source", "external_id"),)


class PaymentAllocation(Model):
    """The part of a payment that went to one installment's fees, interest and principal."""

    id = fields.IntField(primary_key=True)
    payment: fields.ForeignKeyRelation[Payment] = fields.ForeignKeyField(
        "lendgraph.Payment", related_name="allocations", on_delete=fields.CASCADE
    )
    installment: fields.ForeignKeyRelation[Installment] = fields.ForeignKeyField(
        "lendgraph.Installment", related_name="allocations", on_delete=fields.CASCADE
    )
    fee = _money(default=0)
    interest = _money(default=0)
    principal = _money(default=0)

    class Meta:
        table = "payment_allocation"
        indexes = (("payment_id",), ("installment_id",))
