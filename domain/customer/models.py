"""Customers, their external references and tags."""

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from domain.enums import Channel, CustomerKind, LifecycleStage, RiskRating

if TYPE_CHECKING:
    from domain.user.models import User


class Customer(Model):
    """A person or business that borrows, with identity, contact and profile."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(CustomerKind, max_length=16, default=CustomerKind.PERSON)
    name = fields.CharField(max_length=200, db_index=True)
    id_type = fields.CharField(max_length=32, default="RESIDENT_ID")
    id_number = fields.CharField(max_length=64, null=True, db_index=True)
    phone = fields.CharField(max_length=32, null=True, db_index=True)
    email = fields.CharField(max_length=254, null=True)
    birth_date = fields.DateField(null=True)
    address = fields.CharField(max_length=400, null=True)
    time_zone = fields.CharField(max_length=64, default="Asia/Shanghai")
    monthly_income = fields.DecimalField(max_digits=16, decimal_places=2, null=True)
    branch = fields.CharField(max_length=64, null=True, db_index=True)
    account_manager: fields.ForeignKeyNullableRelation["User"] = fields.ForeignKeyField(
        "lendgraph.User",
        related_name="managed_customers",
        null=True,
        on_delete=fields.SET_NULL,
    )
    preferred_channel = fields.CharEnumField(Channel, max_length=16, null=True)
    consent_sms = fields.BooleanField(default=False)
    consent_app_push = fields.BooleanField(default=False)
    consent_email = fields.BooleanField(default=False)
    consent_phone = fields.BooleanField(default=True)
    risk_rating = fields.CharEnumField(RiskRating, max_length=16, null=True, db_index=True)
    lifecycle_stage = fields.CharEnumField(LifecycleStage, max_length=16, null=True, db_index=True)
    rfm_recency = fields.SmallIntField(null=True)
    rfm_frequency = fields.SmallIntField(null=True)
    rfm_monetary = fields.SmallIntField(null=True)
    rfm_segment = fields.CharField(max_length=32, null=True, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "customer"
        # an account manager's customers in key order: a page of them is a range of this index,
        # whatever share of the customers they hold (in the key's order, filtered, a page of a
        # manager with 0.5% of a million customers read some 10,000 rows to find 51; and
        # PostgreSQL planned it anew at every request, its estimate depending on the manager)
        indexes = (("account_manager_id", "id"),)


class CustomerExternalRef(Model):
    """Where a customer came from: `(source, external_id)` in another system."""

    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "lendgraph.Customer", related_name="external_refs", on_delete=fields.CASCADE
    )
    source = fields.CharField(max_length=64)
    external_id = fields.CharField(max_length=128, db_index=True)

    class Meta:
        table = "customer_external_ref"
        indexes = (("customer_id",),)
        unique_together = (("source", "external_id"),)


class Tag(Model):
    """A named label that rules or staff put on customers."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    description = fields.CharField(max_length=400, default="")

    class Meta:
        table = "tag"


class CustomerTag(Model):
    """A tag on one customer, with why it is there."""

    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "lendgraph.Customer", related_name="tag_links", on_delete=fields.CASCADE
    )
    tag: fields.ForeignKeyRelation[Tag] = fields.ForeignKeyField(
        "lendgraph.Tag", related_name="customer_links", on_delete=fields.CASCADE
    )
    explanation = fields.CharField(max_length=1000, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "customer_tag"
        indexes = (("tag_id",),)
        unique_together = (("customer", "tag"),)
