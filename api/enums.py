"""Domain enumerations registered as GraphQL enums (once each), re-exported for annotations."""

from enum import Enum

import strawberry

from domain.application.models import ApplicationChannel, ApplicationStatus
from domain.customfield.models import FieldType
from domain.enums import Channel, CustomerKind, LifecycleStage, RiskRating
from domain.interaction.models import Direction, InteractionChannel, InteractionType, Outcome
from domain.loan.models import LoanStatus
from domain.loan.schedule import AmortizationMethod
from domain.outreach.models import MessagePurpose, MessageStatus

for _enum, _text in (
    (Channel, "A contact point of a customer."),
    (CustomerKind, "A person or a business."),
    (RiskRating, "Risk rating of a customer."),
    (LifecycleStage, "Customer lifecycle stage."),
    (LoanStatus, "The life of a loan."),
    (ApplicationStatus, "Where an application is."),
    (ApplicationChannel, "Where it was applied."),
    (AmortizationMethod, "How a loan amortizes."),
    (InteractionChannel, "Where an interaction happened."),
    (Direction, "Who started the contact."),
    (InteractionType, "Kind of contact."),
    (Outcome, "What came of a contact."),
    (MessageStatus, "Where an outgoing message stands."),
    (MessagePurpose, "Why a message is sent."),
):
    strawberry.enum(_enum, description=_text)
CustomFieldType = FieldType
strawberry.enum(FieldType, name="CustomFieldType", description="Value type of a custom field.")


@strawberry.enum(description="Where an installment stands on the business date.")
class InstallmentStatus(Enum):
    PAID = "PAID"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    OVERDUE = "OVERDUE"
    DUE = "DUE"
    UPCOMING = "UPCOMING"


__all__ = [
    "AmortizationMethod", "ApplicationChannel", "ApplicationStatus", "Channel", "CustomFieldType",
    "CustomerKind", "Direction", "InstallmentStatus", "InteractionChannel", "InteractionType",
    "LifecycleStage", "LoanStatus", "Outcome", "RiskRating",
]  # fmt: skip
