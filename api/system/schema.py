"""The business date, products, custom-field definitions and `node`."""

from datetime import date
from decimal import Decimal
from typing import Annotated

import strawberry

from api.access import Audited, require, snapshot
from api.application.types import Application
from api.compiled import root
from api.context import Info
from api.customer.types import Customer
from api.enums import AmortizationMethod, CustomFieldType
from api.errors import UserErrors, returns_user_errors
from api.interaction.types import Interaction
from api.loan.types import Loan, Payment
from api.relay import Node, decode_id
from api.system.types import User
from domain.customfield import service as custom_fields
from domain.customfield.models import CustomFieldDefinition as DefinitionModel
from domain.loan import service as loans
from domain.product.models import Product as ProductModel


@strawberry.type(description="A loan product and its bounds.")
class Product:
    code: str
    name: str
    method: AmortizationMethod
    min_rate: Decimal
    max_rate: Decimal
    min_term: int
    max_term: int
    min_amount: Decimal
    max_amount: Decimal
    active: bool = strawberry.field(description="Whether it takes new applications.")

    @classmethod
    def from_model(cls, row: ProductModel) -> "Product":
        """The GraphQL view of a product row."""
        return cls(
            code=row.code,
            name=row.name,
            method=row.method,
            min_rate=row.min_rate,
            max_rate=row.max_rate,
            min_term=row.min_term,
            max_term=row.max_term,
            min_amount=row.min_amount,
            max_amount=row.max_amount,
            active=row.active,
        )


@strawberry.type(description="An administrator-defined customer field.")
class CustomFieldDefinition:
    name: str
    label: str
    type: CustomFieldType
    required: bool
    allowed_values: list[str]

    @classmethod
    def from_model(cls, row: DefinitionModel) -> "CustomFieldDefinition":
        """The GraphQL view of a definition row."""
        return cls(
            name=row.name,
            label=row.label,
            type=row.field_type,
            required=row.required,
            allowed_values=[str(v) for v in row.allowed_values],
        )


@strawberry.input(description="Move the business date (demo and test mode only).")
class SetBusinessDateInput:
    date: date
    allow_backwards: bool = False


@strawberry.type(description="The business date moved; delinquency was brought up to it.")
class SetBusinessDateSuccess:
    business_date: date


@strawberry.input(description="A new custom field for customers.")
class DefineCustomFieldInput:
    name: str
    type: CustomFieldType
    label: str = ""
    required: bool = False
    allowed_values: list[str] | None = None


@strawberry.type(description="The custom field is defined.")
class DefineCustomFieldSuccess:
    definition: CustomFieldDefinition


SetBusinessDateResult = Annotated[
    SetBusinessDateSuccess | UserErrors, strawberry.union("SetBusinessDateResult")
]
DefineCustomFieldResult = Annotated[
    DefineCustomFieldSuccess | UserErrors, strawberry.union("DefineCustomFieldResult")
]


async def resolve_node(info: Info, global_id: str) -> Node | None:
    """Any object by global id (null when it is not there or not visible)."""
    type_name, pk = decode_id(global_id, "id")
    loaders = info.context.loaders
    if type_name == "Customer":
        customer = await loaders.customer.load(pk)
        return Customer.from_model(customer) if customer else None
    if type_name == "Loan":
        loan = await loaders.loan.load(pk)
        return Loan.from_model(loan, await info.context.today()) if loan else None
    if type_name == "Application":
        application = await loaders.application.load(pk)
        return Application.from_model(application) if application else None
    if type_name == "Interaction":
        interaction = await loaders.interaction.load(pk)
        return Interaction.from_model(interaction) if interaction else None
    if type_name == "User":
        user = await loaders.user.load(pk)
        return User.from_model(user) if user else None
    if type_name == "Payment":
        payment = await loaders.payment.load(pk)
        return Payment.from_model(payment) if payment else None
    return None


@strawberry.type
class SystemQueries:
    @strawberry.field(description="Any object by its global id.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        type_name, pk = decode_id(id, "id")
        compiled = {"Customer": root.customer, "Loan": root.loan}.get(type_name)
        if compiled is None:
            return await resolve_node(info, id)
        return await root.answer(
            info.context, lambda: compiled(info.context, pk), lambda: resolve_node(info, id),
            runtime=type_name,
        )  # fmt: skip

    @strawberry.field(description="Today for the business.")
    async def business_date(self, info: Info) -> date:
        return await info.context.today()

    @strawberry.field(description="Loan products.")
    async def products(self) -> list[Product]:
        return [Product.from_model(r) for r in await ProductModel.all().order_by("code")]

    @strawberry.field(description="Custom fields defined for customers.")
    async def custom_field_definitions(self) -> list[CustomFieldDefinition]:
        rows = await DefinitionModel.all().order_by("name")
        return [CustomFieldDefinition.from_model(r) for r in rows]


@strawberry.type
class SystemMutations:
    @strawberry.mutation(description="Move the business date (demo and test mode only).")
    @returns_user_errors
    async def set_business_date(
        self, info: Info, input: SetBusinessDateInput
    ) -> SetBusinessDateResult:
        require(info, "business_date", "update")
        before = {"date": await info.context.today()}
        async with Audited(info, "business_date.set", "business_date", before) as change:
            moved = await loans.move_business_date(
                input.date, allow_backwards=input.allow_backwards
            )
            change.after = {"date": moved}
        return SetBusinessDateSuccess(business_date=moved)

    @strawberry.mutation(description="Define a custom field for customers.")
    @returns_user_errors
    async def define_custom_field(
        self, info: Info, input: DefineCustomFieldInput
    ) -> DefineCustomFieldResult:
        require(info, "custom_field", "create")
        async with Audited(info, "custom_field.create", "custom_field") as change:
            row = await custom_fields.define(
                name=input.name,
                field_type=input.type,
                label=input.label,
                required=input.required,
                allowed_values=input.allowed_values,
            )
            change.object_id = row.id
            change.after = snapshot(row, "name", "field_type", "required", "allowed_values")
        return DefineCustomFieldSuccess(definition=CustomFieldDefinition.from_model(row))
