"""The outbox: every outgoing message, decided by the contact policy before any channel."""

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from domain.enums import Channel

if TYPE_CHECKING:
    from domain.customer.models import Customer
    from domain.loan.models import Installment, Loan


class MessageStatus(StrEnum):
    """Where an outgoing message stands."""

    QUEUED = "QUEUED"  # allowed now, waiting for the dispatcher
    SENDING = "SENDING"  # claimed by a dispatcher (claimed_by) that is calling the channel
    DEFERRED = "DEFERRED"  # not allowed yet, scheduled_at says when to ask the policy again
    SENT = "SENT"
    DROPPED = "DROPPED"  # never to be sent, reason says why
    FAILED = "FAILED"  # the channel refused it, reason says why
    UNCERTAIN = "UNCERTAIN"  # the sender stopped mid-call: a person decides (resolveMessage)


class MessagePurpose(StrEnum):
    """Why a message is sent: service messages, or marketing that needs consent."""

    REMINDER = "REMINDER"
    COLLECTION = "COLLECTION"
    CARE = "CARE"
    OFFER = "OFFER"
    CAMPAIGN = "CAMPAIGN"


MARKETING = frozenset({MessagePurpose.CARE, MessagePurpose.OFFER, MessagePurpose.CAMPAIGN})


class OutboxMessage(Model):
    """One outgoing message. Its dedupe key makes producing it twice produce it once."""

    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation["Customer"] = fields.ForeignKeyField(
        "lendgraph.Customer", related_name="messages", on_delete=fields.CASCADE
    )
    loan: fields.ForeignKeyNullableRelation["Loan"] = fields.ForeignKeyField(
        "lendgraph.Loan", related_name="messages", null=True, on_delete=fields.SET_NULL
    )
    installment: fields.ForeignKeyNullableRelation["Installment"] = fields.ForeignKeyField(
        "lendgraph.Installment", related_name="messages", null=True, on_delete=fields.SET_NULL
    )
    channel = fields.CharEnumField(Channel, max_length=16)
    contact_point = fields.CharField(max_length=254, default="")
    purpose = fields.CharEnumField(MessagePurpose, max_length=16)
    status = fields.CharEnumField(MessageStatus, max_length=16, db_index=True)
    dedupe_key = fields.CharField(max_length=200, unique=True)
    body = fields.TextField()
    scheduled_at = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    reason = fields.TextField(null=True)
    attempts = fields.IntField(default=0)
    provider_ref = fields.CharField(max_length=200, null=True)  # the channel's delivery id
    process_instance_id = fields.IntField(null=True)
    claimed_by = fields.CharField(max_length=96, null=True)  # the dispatcher sending it
    lease_until = fields.DatetimeField(null=True)  # wall clock: past it, the claim is stale
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "outbox_message"
        indexes = (
            ("customer_id",), ("loan_id",), ("status", "scheduled_at"), ("status", "lease_until"),
            ("installment_id",),
        )  # fmt: skip


class MessageTemplate(Model):
    """An administrator's text for a purpose, optionally only for an RFM segment or a tone.

    ``segment`` and ``tone`` are empty for "any" (so the unique key holds on every database).
    """

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=64)
    segment = fields.CharField(max_length=32, default="")
    tone = fields.CharField(max_length=16, default="")
    body = fields.TextField()
    version = fields.IntField(default=1)
    updated_by = fields.CharField(max_length=64)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "message_template"
        unique_together = (("key", "segment", "tone"),)
