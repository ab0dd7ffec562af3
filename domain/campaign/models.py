"""Marketing campaigns and how each customer responded."""

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from domain.enums import Channel

if TYPE_CHECKING:
    from domain.application.models import Application
    from domain.customer.models import Customer
    from domain.outreach.models import OutboxMessage
    from domain.product.models import Product
    from domain.profile.models import Segment


class Campaign(Model):
    """An invitation sent to customers for a product over a channel."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=200)
    product: fields.ForeignKeyNullableRelation["Product"] = fields.ForeignKeyField(
        "lendgraph.Product", related_name="campaigns", null=True, on_delete=fields.SET_NULL
    )
    channel = fields.CharEnumField(Channel, max_length=16)
    starts_on = fields.DateField()
    ends_on = fields.DateField(null=True)
    segment: fields.ForeignKeyNullableRelation["Segment"] = fields.ForeignKeyField(
        "lendgraph.Segment", related_name="campaigns", null=True, on_delete=fields.SET_NULL
    )
    template_key = fields.CharField(max_length=64, default="campaign.invitation")
    conversion_days = fields.IntField(default=30)  # an application this soon after converts
    launched_at = fields.DatetimeField(null=True)
    launched_by = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "campaign"


class CampaignResponse(Model):
    """One customer's journey through a campaign: sent, opened, clicked, converted."""

    id = fields.IntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "lendgraph.Campaign", related_name="responses", on_delete=fields.CASCADE
    )
    customer: fields.ForeignKeyRelation["Customer"] = fields.ForeignKeyField(
        "lendgraph.Customer",
        related_name="campaign_responses",
        on_delete=fields.CASCADE,
    )
    sent_at = fields.DatetimeField(null=True)  # or the message's, while it is in the outbox
    opened_at = fields.DatetimeField(null=True)
    clicked_at = fields.DatetimeField(null=True)
    converted_at = fields.DatetimeField(null=True)
    message: fields.ForeignKeyNullableRelation["OutboxMessage"] = fields.ForeignKeyField(
        "lendgraph.OutboxMessage", related_name="campaign_responses", null=True,
        on_delete=fields.SET_NULL,
    )  # fmt: skip
    application: fields.ForeignKeyNullableRelation["Application"] = fields.ForeignKeyField(
        "lendgraph.Application", related_name="campaign_responses", null=True,
        on_delete=fields.SET_NULL,
    )  # fmt: skip
    token = fields.CharField(max_length=32, null=True, unique=True)  # the link's, unguessable
    source = fields.CharField(max_length=64, null=True)
    external_id = fields.CharField(max_length=128, null=True)

    class Meta:
        table = "campaign_response"
        indexes = (("customer_id",),)
        unique_together = (("campaign", "customer"), ("source", "external_id"))
