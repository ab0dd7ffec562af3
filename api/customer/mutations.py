"""Customer mutations: create and update."""

from typing import Annotated, Any

import strawberry

from api.access import Audited, require, require_row, snapshot, subject_of
from api.context import Info
from api.customer.inputs import CreateCustomerInput, UpdateCustomerInput
from api.customer.types import Customer
from api.enums import Channel
from api.errors import UserErrors, returns_user_errors
from api.relay import expect_id, optional_id
from authz.actions import Scope
from domain.customer import service
from domain.customer.models import Customer as CustomerModel
from domain.errors import ForbiddenError as DomainForbiddenError
from domain.errors import ValidationError as DomainValidationError

_PLAIN = (
    "name", "kind", "id_type", "id_number", "phone", "email", "birth_date", "address",
    "time_zone", "monthly_income", "branch", "preferred_channel",
)  # fmt: skip
_CONTACT = {"phone", "email", "address", "preferred_channel", "consent_sms", "consent_app_push",
            "consent_email", "consent_phone"}  # fmt: skip
_AUDITED = ("name", "kind", "id_type", "id_number", "phone", "email", "birth_date", "address",
            "branch", "preferred_channel", "account_manager_id")  # fmt: skip
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
    CreateCustomerSuccess | UserErrors, strawberry.union("CreateCustomerResult")
]
UpdateCustomerResult = Annotated[
    UpdateCustomerSuccess | UserErrors, strawberry.union("UpdateCustomerResult")
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
    return optional_id(value, "User", "accountManagerId")


@strawberry.type
class CustomerMutations:
    @strawberry.mutation(description="Create a customer; every attribute is validated.")
    @returns_user_errors
    async def create_customer(self, info: Info, input: CreateCustomerInput) -> CreateCustomerResult:
        scopes = require(info, "customer", "create")
        manager = _manager(input.account_manager_id)
        if Scope.ALL not in scopes:  # an account manager's new customers are their own
            me = subject_of(info).user_id
            if manager not in (None, me):
                raise DomainForbiddenError("you may create customers only for yourself")
            manager = me
        data = _given(input, _PLAIN)
        data.update(_consent_flags(input.consent if input.consent is not None else [Channel.PHONE]))
        async with Audited(info, "customer.create", "customer") as change:
            row = await service.create(
                data=data,
                custom=_custom(input.custom_fields),
                account_manager_id=manager,
                external_refs=[(r.source, r.external_id) for r in input.external_refs or []],
            )
            change.object_id, change.after = row.id, snapshot(row, *_AUDITED)
        return CreateCustomerSuccess(customer=Customer.from_model(row))

    @strawberry.mutation(description="Change a customer; only the given fields change.")
    @returns_user_errors
    async def update_customer(self, info: Info, input: UpdateCustomerInput) -> UpdateCustomerResult:
        customer_id = expect_id(input.id, "Customer", "id")
        data = _given(input, _PLAIN)
        if input.consent is not strawberry.UNSET:
            data.update(_consent_flags(input.consent))
        extra: dict[str, Any] = {}
        if input.account_manager_id is not strawberry.UNSET:
            await require_row(info, CustomerModel, customer_id, "customer", "assign_manager",
                              "Customer")  # fmt: skip
            extra["account_manager_id"] = _manager(input.account_manager_id)
        contact_only = set(data) <= _CONTACT and input.custom_fields is strawberry.UNSET
        subject = subject_of(info)
        may_update = info.context.authorizer.can(subject, "customer", "update")
        action = "update" if may_update or not contact_only else "update_contact"
        await require_row(info, CustomerModel, customer_id, "customer", action, "Customer")
        before = await CustomerModel.get(id=customer_id)
        async with Audited(
            info, f"customer.{action}", "customer", snapshot(before, *_AUDITED)
        ) as change:
            row = await service.update(
                customer_id, data=data, custom=_custom(input.custom_fields), **extra
            )
            change.object_id, change.after = row.id, snapshot(row, *_AUDITED)
        return UpdateCustomerSuccess(customer=Customer.from_model(row))
