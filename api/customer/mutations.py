"""Customer mutations: create and update."""

from typing import Annotated, Any

import strawberry

from api.customer.inputs import CreateCustomerInput, UpdateCustomerInput
from api.customer.types import Customer
from api.enums import Channel
from api.errors import ConflictError, NotFoundError, ValidationError, returns_user_errors
from api.relay import expect_id
from domain.customer import service
from domain.errors import ValidationError as DomainValidationError

_PLAIN = (
    "name", "kind", "id_type", "id_number", "phone", "email", "birth_date", "address",
    "time_zone", "monthly_income", "branch", "preferred_channel",
)  # fmt: skip
_CONSENT = {
    Channel.SMS: "consent_sms",
    Channel.APP_PUSH: "consent_app_push",
    Channel.EMAIL: "consent_email",
    Channel.PHONE: "consent_phone",
}


@strawberry.type(description="The customer was created.")
class CreateCustomerSuccess:
    customer: Customer


@strawberry.type(description="The customer was changed.")
class UpdateCustomerSuccess:
    customer: Customer


CreateCustomerResult = Annotated[
    CreateCustomerSuccess | ValidationError | ConflictError,
    strawberry.union("CreateCustomerResult"),
]
UpdateCustomerResult = Annotated[
    UpdateCustomerSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("UpdateCustomerResult"),
]


def _given(source: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: getattr(source, n) for n in names if getattr(source, n) is not strawberry.UNSET}


def _consent_flags(channels: list[Channel] | None) -> dict[str, bool]:
    chosen = set(channels or [])
    return {column: channel in chosen for channel, column in _CONSENT.items()}


def _custom(value: object) -> dict[str, Any]:
    if value is None or value is strawberry.UNSET:
        return {}
    if not isinstance(value, dict):
        raise DomainValidationError.single("custom_fields", "must be an object of name: value")
    return value


def _manager(value: strawberry.ID | None) -> int | None:
    return expect_id(value, "User", "accountManagerId") if value else None


@strawberry.type
class CustomerMutations:
    @strawberry.mutation(description="Create a customer; every attribute is validated.")
    @returns_user_errors
    async def create_customer(self, input: CreateCustomerInput) -> CreateCustomerResult:
        data = _given(input, _PLAIN)
        data.update(_consent_flags(input.consent if input.consent is not None else [Channel.PHONE]))
        row = await service.create(
            data=data,
            custom=_custom(input.custom_fields),
            account_manager_id=_manager(input.account_manager_id),
            external_refs=[(r.source, r.external_id) for r in input.external_refs or []],
        )
        return CreateCustomerSuccess(customer=Customer.from_model(row))

    @strawberry.mutation(description="Change a customer; only the given fields change.")
    @returns_user_errors
    async def update_customer(self, input: UpdateCustomerInput) -> UpdateCustomerResult:
        customer_id = expect_id(input.id, "Customer", "id")
        data = _given(input, _PLAIN)
        if input.consent is not strawberry.UNSET:
            data.update(_consent_flags(input.consent))
        extra: dict[str, Any] = {}
        if input.account_manager_id is not strawberry.UNSET:
            extra["account_manager_id"] = _manager(input.account_manager_id)
        row = await service.update(
            customer_id, data=data, custom=_custom(input.custom_fields), **extra
        )
        return UpdateCustomerSuccess(customer=Customer.from_model(row))
