"""Customer queries: one customer, and filtered, paginated lists."""

from dataclasses import replace

import strawberry

from api.access import may_read_sensitive, require_read, subject_of
from api.compiled import root
from api.context import Info
from api.customer.inputs import CustomerFilter
from api.customer.types import Customer
from api.relay import Connection, expect_id, id_after, keyset_page, optional_id
from domain.customer import service
from domain.customer.models import Customer as CustomerModel
from domain.errors import ValidationError
from domain.pagination import check_first


def to_domain_filter(flt: CustomerFilter | None) -> service.CustomerFilter | None:
    """The domain filter for a GraphQL filter input."""
    if flt is None:
        return None
    return service.CustomerFilter(
        search=flt.search,
        kind=flt.kind,
        risk_ratings=list(flt.risk_ratings or []),
        lifecycle_stages=list(flt.lifecycle_stages or []),
        tag=flt.tag,
        bucket=flt.bucket,
        account_manager_id=optional_id(flt.account_manager_id, "User", "filter.accountManagerId"),
        branch=flt.branch,
        rfm_segment=flt.rfm_segment,
        custom_fields=[
            service.CustomFieldCondition(name=c.name, values=c.values)
            for c in flt.custom_fields or []
        ],
    )


@strawberry.type
class CustomerQueries:
    @strawberry.field(description="One customer by global id.")
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        pk = expect_id(id, "Customer", "id")

        async def loaded() -> Customer | None:
            row = await info.context.loaders.customer.load(pk)
            return Customer.from_model(row) if row else None

        return await root.answer(info.context, lambda: root.customer(info.context, pk), loaded)

    @strawberry.field(description="Customers matching a filter, in a stable order.")
    async def customers(
        self,
        info: Info,
        filter: CustomerFilter | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> Connection[Customer]:
        visible = require_read(info, "customer")
        flt = to_domain_filter(filter)
        if flt is not None and flt.search and not may_read_sensitive(info.context):
            text = flt.search
            flt = replace(flt, full_phone_search=False)
            if not info.context.authorizer.sensitive_search_allowed(subject_of(info), text):
                raise ValidationError.single(
                    "filter.search", "searching by ID number or phone needs read_sensitive"
                )
        query = service.filtered(CustomerModel.filter(visible), flt)
        after_id = id_after(after, CustomerModel)
        size = check_first(50 if first is None else first)

        async def loaded() -> Connection[Customer]:
            return await keyset_page(query, size, after_id, Customer.from_model,
                                     info.context.loaders.customer)  # fmt: skip

        return await root.answer(
            info.context, lambda: root.customers(info.context, query, size, after_id, repr(flt)),
            loaded,
        )  # fmt: skip
