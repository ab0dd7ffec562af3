"""Inputs of customer queries and mutations."""

from datetime import date
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

from api.enums import Channel, CustomerKind, LifecycleStage, RiskRating


@strawberry.input(description="A custom field that must equal one of the values.")
class CustomFieldCondition:
    name: str
    values: list[str]


@strawberry.input(description="Conditions on customers; all given ones must hold.")
class CustomerFilter:
    search: str | None = strawberry.field(
        default=None, description="Part of the name or phone, or an exact external id."
    )
    kind: CustomerKind | None = None
    risk_ratings: list[RiskRating] | None = None
    lifecycle_stages: list[LifecycleStage] | None = None
    tag: str | None = None
    bucket: str | None = strawberry.field(
        default=None, description="Customers with an active loan in this bucket (M0..M7)."
    )
    account_manager_id: strawberry.ID | None = None
    branch: str | None = None
    rfm_segment: str | None = None
    custom_fields: list[CustomFieldCondition] | None = None


@strawberry.input(description="A reference to the customer in another system.")
class ExternalRefInput:
    source: str
    external_id: str


@strawberry.input(description="A new customer.")
class CreateCustomerInput:
    name: str
    kind: CustomerKind = CustomerKind.PERSON
    id_type: str = "RESIDENT_ID"
    id_number: str | None = None
    phone: str | None = None
    email: str | None = None
    birth_date: date | None = None
    address: str | None = None
    time_zone: str = "Asia/Shanghai"
    monthly_income: Decimal | None = None
    branch: str | None = None
    preferred_channel: Channel | None = None
    consent: list[Channel] | None = strawberry.field(
        default=None, description="Channels the customer consents to (default: PHONE only)."
    )
    account_manager_id: strawberry.ID | None = None
    custom_fields: JSON | None = None
    external_refs: list[ExternalRefInput] | None = None


@strawberry.input(description="Changes to a customer: only the fields given change.")
class UpdateCustomerInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    kind: CustomerKind | None = strawberry.UNSET
    id_type: str | None = strawberry.UNSET
    id_number: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    birth_date: date | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    time_zone: str | None = strawberry.UNSET
    monthly_income: Decimal | None = strawberry.UNSET
    branch: str | None = strawberry.UNSET
    preferred_channel: Channel | None = strawberry.UNSET
    consent: list[Channel] | None = strawberry.UNSET
    account_manager_id: strawberry.ID | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.field(
        default=strawberry.UNSET, description="Fields to set; null removes one."
    )
