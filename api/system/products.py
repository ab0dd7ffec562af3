"""Administrators define the loan products applications are made for."""

from decimal import Decimal
from typing import Annotated

import strawberry

from api.access import Audited, require, snapshot
from api.context import Info
from api.enums import AmortizationMethod
from api.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ValidationError,
    returns_user_errors,
)
from api.system.schema import Product
from domain.product import service as products

AUDITED = ("code", "name", "method", "min_rate", "max_rate", "min_term", "max_term",
           "min_amount", "max_amount", "active")  # fmt: skip


@strawberry.input(description="A loan product, created or changed by its code.")
class SaveProductInput:
    code: str = strawberry.field(description="Stable code, e.g. CONSUMER (capitals, digits, _).")
    name: str
    method: AmortizationMethod
    min_rate: Decimal = strawberry.field(description="Lowest yearly rate, a share (0.0600).")
    max_rate: Decimal = strawberry.field(description="Highest yearly rate, a share (0.2400).")
    min_term: int = strawberry.field(description="Shortest term in months.")
    max_term: int = strawberry.field(description="Longest term in months.")
    min_amount: Decimal
    max_amount: Decimal
    active: bool = strawberry.field(
        default=True, description="Inactive products take no new applications."
    )


@strawberry.type(description="The product is stored; new applications are checked against it.")
class SaveProductSuccess:
    product: Product
    created: bool = strawberry.field(description="False when an existing product was changed.")


SaveProductResult = Annotated[
    SaveProductSuccess | ValidationError | NotFoundError | ForbiddenError | ConflictError,
    strawberry.union("SaveProductResult"),
]


@strawberry.type
class ProductMutations:
    @strawberry.mutation(description="Create or change a loan product (administrators).")
    @returns_user_errors
    async def save_product(self, info: Info, input: SaveProductInput) -> SaveProductResult:
        require(info, "product", "update")
        terms = products.ProductTerms(
            code=input.code.strip(),
            name=input.name,
            method=input.method,
            min_rate=input.min_rate,
            max_rate=input.max_rate,
            min_term=input.min_term,
            max_term=input.max_term,
            min_amount=input.min_amount,
            max_amount=input.max_amount,
            active=input.active,
        )
        async with Audited(info, "product.save", "product") as change:
            row, before = await products.save(terms)
            change.object_id, change.before = row.id, before
            change.after = snapshot(row, *AUDITED)
        return SaveProductSuccess(product=Product.from_model(row), created=before is None)
