"""Domain enumerations as GraphQL enums (one registration each)."""

from enum import Enum

import strawberry

from domain import enums
from domain.application.models import ApplicationChannel as _ApplicationChannel
from domain.application.models import ApplicationStatus as _ApplicationStatus
from domain.customfield.models import FieldType as _FieldType
from domain.interaction import models as interaction
from domain.loan.models import LoanStatus as _LoanStatus
from domain.loan.schedule import AmortizationMethod as _AmortizationMethod

Channel = strawberry.enum(enums.Channel, description="A contact point of a customer.")
CustomerKind = strawberry.enum(enums.CustomerKind, description="A person or a business.")
RiskRating = strawberry.enum(enums.RiskRating, description="Risk rating of a customer.")
LifecycleStage = strawberry.enum(enums.LifecycleStage, description="Customer lifecycle stage.")
LoanStatus = strawberry.enum(_LoanStatus, description="The life of a loan.")
ApplicationStatus = strawberry.enum(_ApplicationStatus, description="Where an application is.")
ApplicationChannel = strawberry.enum(_ApplicationChannel, description="Where it was applied.")
AmortizationMethod = strawberry.enum(_AmortizationMethod, description="How a loan amortizes.")
CustomFieldType = strawberry.enum(_FieldType, name="CustomFieldType", description="Value type.")
InteractionChannel = strawberry.enum(
    interaction.InteractionChannel, description="Where an interaction happened."
)
Direction = strawberry.enum(interaction.Direction, description="Who started the contact.")
InteractionType = strawberry.enum(interaction.InteractionType, description="Kind of contact.")
Outcome = strawberry.enum(interaction.Outcome, description="What came of a contact.")


@strawberry.enum(description="Where an installment stands on the business date.")
class InstallmentStatus(Enum):
    PAID = "PAID"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    OVERDUE = "OVERDUE"
    DUE = "DUE"
    UPCOMING = "UPCOMING"
