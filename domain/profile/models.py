"""Why each customer carries its labels, and how the labels changed over time."""

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.customer.models import Customer


class CustomerProfile(Model):
    """The explanations of a customer's RFM segment, risk rating and lifecycle stage.

    The labels themselves live on the customer row (for filters and segments). Each
    explanation says which rule gave the label, from which inputs with which values.
    """

    id = fields.IntField(primary_key=True)
    customer: fields.OneToOneRelation["Customer"] = fields.OneToOneField(
        "lendgraph.Customer", related_name="profile", on_delete=fields.CASCADE
    )
    rfm: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    risk: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    lifecycle: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    computed_on = fields.DateField(null=True)

    class Meta:
        table = "customer_profile"


class ProfileChange(Model):
    """A label that changed on a business date: what it was, what it is, and why."""

    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation["Customer"] = fields.ForeignKeyField(
        "lendgraph.Customer", related_name="profile_changes", on_delete=fields.CASCADE
    )
    label = fields.CharField(max_length=32)  # rfm_segment, risk_rating, lifecycle_stage, tag
    old = fields.CharField(max_length=64, null=True)
    new = fields.CharField(max_length=64, null=True)
    explanation: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    business_date = fields.DateField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "profile_change"
        indexes = (("customer_id", "business_date"),)


class Segment(Model):
    """A group of customers that administrators define as a filter over profile fields.

    ``rules`` maps a field (rfm_segment, risk_rating, lifecycle_stage, tag, branch) to the
    values it may take. A customer is a member when every field matches one of its values.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    description = fields.CharField(max_length=400, default="")
    rules: fields.Field[dict[str, list[str]]] = fields.JSONField()
    created_by = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "segment"


class SegmentMember(Model):
    """A customer in a segment since a business date (kept by the daily run)."""

    id = fields.IntField(primary_key=True)
    segment: fields.ForeignKeyRelation[Segment] = fields.ForeignKeyField(
        "lendgraph.Segment", related_name="members", on_delete=fields.CASCADE
    )
    customer: fields.ForeignKeyRelation["Customer"] = fields.ForeignKeyField(
        "lendgraph.Customer", related_name="segment_memberships", on_delete=fields.CASCADE
    )
    since = fields.DateField()

    class Meta:
        table = "segment_member"
        indexes = (("customer_id",),)
        unique_together = (("segment_id", "customer_id"),)


class SegmentMovement(Model):
    """How a segment moved on a business date: its size, who joined, who left."""

    id = fields.IntField(primary_key=True)
    segment: fields.ForeignKeyRelation[Segment] = fields.ForeignKeyField(
        "lendgraph.Segment", related_name="movements", on_delete=fields.CASCADE
    )
    business_date = fields.DateField()
    count = fields.IntField()
    joined = fields.IntField()
    left = fields.IntField()

    class Meta:
        table = "segment_movement"
        unique_together = (("segment_id", "business_date"),)


class TagRule(Model):
    """A behaviour tag that administrators define as a condition over a customer's facts.

    ``condition`` is an expression such as ``max_dpd == 0 and on_time_installments >= 12``,
    evaluated each business day for every customer by the profiling step.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)  # the tag it gives
    description = fields.CharField(max_length=400, default="")
    condition = fields.CharField(max_length=500)
    enabled = fields.BooleanField(default=True)
    version = fields.IntField(default=1)
    updated_by = fields.CharField(max_length=64)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "tag_rule"


class RfmBasis(Model):
    """The population's RFM score cuts on a business date, taken once before profiling.

    Scores are relative to every customer active in the window, so chunks of customers
    profiled apart (by other workers) all score against the cuts stored here.
    """

    id = fields.IntField(primary_key=True)
    business_date = fields.DateField(unique=True)
    window_start = fields.DateField()
    active = fields.IntField()  # customers active in the window
    # per measure, the values at ranks ceil(s * active / 5), s = 1..4 (dates, counts, money)
    cuts: fields.Field[dict[str, list[str]]] = fields.JSONField()
    computed_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "rfm_basis"
