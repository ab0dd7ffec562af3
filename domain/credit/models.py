"""Credit-bureau reports, kept as history (the newest one is used), and the calls that pull them."""

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.customer.models import Customer


class CreditReport(Model):
    """A report pulled from a credit bureau for one customer."""

    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation["Customer"] = fields.ForeignKeyField(
        "lendgraph.Customer", related_name="credit_reports", on_delete=fields.CASCADE
    )
    bureau = fields.CharField(max_length=64)
    score = fields.IntField()
    pulled_at = fields.DatetimeField(db_index=True)
    total_debt = fields.DecimalField(max_digits=16, decimal_places=2, default=0)
    open_accounts = fields.IntField(default=0)
    delinquencies = fields.IntField(default=0)
    inquiries = fields.IntField(default=0)
    details: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    source = fields.CharField(max_length=64, null=True)
    external_id = fields.CharField(max_length=128, null=True)

    class Meta:
        table = "credit_report"
        indexes = (("customer_id",),)
        unique_together = (("source", "external_id"),)


class CallStatus(StrEnum):
    """Where a call to an outside service stands."""

    CALLING = "CALLING"  # claimed (claimed_by, lease_until) and committed before the call
    DONE = "DONE"  # the answer is stored: a replay of the key reuses it
    FAILED = "FAILED"  # no usable answer (unavailable, refused): the next attempt calls again


class OutsideCall(Model):
    """One call a process makes to an outside service, under a stable key, and its answer."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=255, unique=True)
    operation = fields.CharField(max_length=64)
    instance_id = fields.IntField(null=True, db_index=True)
    status = fields.CharEnumField(CallStatus, max_length=16)
    claimed_by = fields.CharField(max_length=96, null=True)
    lease_until = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    answer: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    answered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outside_call"
