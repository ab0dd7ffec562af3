"""Credit applications and their decisions."""

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.customer.models import Customer
    from domain.product.models import Product


class ApplicationStatus(StrEnum):
    """Where an application stands."""

    SUBMITTED = "SUBMITTED"
    IN_REVIEW = "IN_REVIEW"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    CONTRACTED = "CONTRACTED"
    DISBURSED = "DISBURSED"
    WITHDRAWN = "WITHDRAWN"


class ApplicationChannel(StrEnum):
    """Where an application was made."""

    APP = "APP"
    WEB = "WEB"
    BRANCH = "BRANCH"
    PHONE = "PHONE"
    PARTNER = "PARTNER"


class Application(Model):
    """A customer's request for a loan of a product, amount and term."""

    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation["Customer"] = fields.ForeignKeyField(
        "lendgraph.Customer", related_name="applications", on_delete=fields.RESTRICT
    )
    product: fields.ForeignKeyRelation["Product"] = fields.ForeignKeyField(
        "lendgraph.Product", related_name="applications", on_delete=fields.RESTRICT
    )
    channel = fields.CharEnumField(ApplicationChannel, max_length=16)
    amount = fields.DecimalField(max_digits=16, decimal_places=2)
    term_months = fields.IntField()
    purpose = fields.CharField(max_length=200, default="")
    status = fields.CharEnumField(
        ApplicationStatus, max_length=16, default=ApplicationStatus.SUBMITTED, db_index=True
    )
    decision = fields.CharField(max_length=16, null=True)
    decision_reason = fields.CharField(max_length=400, null=True)
    risk_lane = fields.CharField(max_length=32, null=True)
    submitted_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)
    source = fields.CharField(max_length=64, null=True)
    external_id = fields.CharField(max_length=128, null=True)

    class Meta:
        table = "application"
        indexes = (("customer_id",), ("status", "id"))
        unique_together = (("source", "external_id"),)
