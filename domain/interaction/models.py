"""Contacts between the lender and a customer, in either direction."""

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.customer.models import Customer
    from domain.loan.models import Loan
    from domain.user.models import User


class InteractionChannel(StrEnum):
    """Where an interaction happened (APP and WEB are self-service)."""

    PHONE = "PHONE"
    SMS = "SMS"
    EMAIL = "EMAIL"
    APP_PUSH = "APP_PUSH"
    APP = "APP"
    WEB = "WEB"
    BRANCH = "BRANCH"


class Direction(StrEnum):
    """Who started the contact."""

    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"


class InteractionType(StrEnum):
    """What kind of contact it was."""

    CALL = "CALL"
    MESSAGE = "MESSAGE"
    VISIT = "VISIT"
    INQUIRY = "INQUIRY"
    COMPLAINT = "COMPLAINT"
    SELF_SERVICE = "SELF_SERVICE"


class Outcome(StrEnum):
    """What came of the contact."""

    RESOLVED = "RESOLVED"
    PROMISE_TO_PAY = "PROMISE_TO_PAY"
    NO_ANSWER = "NO_ANSWER"
    CALLBACK_REQUESTED = "CALLBACK_REQUESTED"
    REFUSED_TO_PAY = "REFUSED_TO_PAY"
    OFFER_DECLINED_RATE = "OFFER_DECLINED_RATE"
    INFORMATION_GIVEN = "INFORMATION_GIVEN"


class Interaction(Model):
    """One contact with a customer: channel, direction, type, text, agent and outcome."""

    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation["Customer"] = fields.ForeignKeyField(
        "lendgraph.Customer", related_name="interactions", on_delete=fields.CASCADE
    )
    loan: fields.ForeignKeyNullableRelation["Loan"] = fields.ForeignKeyField(
        "lendgraph.Loan",
        related_name="interactions",
        null=True,
        on_delete=fields.SET_NULL,
    )
    agent: fields.ForeignKeyNullableRelation["User"] = fields.ForeignKeyField(
        "lendgraph.User", related_name="interactions", null=True, on_delete=fields.SET_NULL
    )
    channel = fields.CharEnumField(InteractionChannel, max_length=16)
    direction = fields.CharEnumField(Direction, max_length=16)
    type = fields.CharEnumField(InteractionType, max_length=16)
    text = fields.TextField(default="")
    outcome = fields.CharEnumField(Outcome, max_length=24, null=True)
    promise_amount = fields.DecimalField(max_digits=16, decimal_places=2, null=True)
    promise_date = fields.DateField(null=True)
    occurred_at = fields.DatetimeField(db_index=True)
    source = fields.CharField(max_length=64, null=True)
    external_id = fields.CharField(max_length=128, null=True)

    class Meta:
        table = "interaction"
        indexes = (("customer_id",), ("loan_id",))
        unique_together = (("source", "external_id"),)
