"""Credit-bureau reports, kept as history (the newest one is used)."""

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
