"""Loan queries: one loan, and filtered, paginated lists."""

from datetime import date

import strawberry

from api.access import require_read
from api.compiled import root
from api.context import Info
from api.enums import LoanStatus
from api.loan.types import Loan
from api.relay import Connection, expect_id, id_after, keyset_page
from domain.loan.models import Loan as LoanModel
from domain.pagination import check_first


@strawberry.input(description="Conditions on loans; all given ones must hold.")
class LoanFilter:
    status: LoanStatus | None = None
    bucket: str | None = None
    buckets: list[str] | None = None
    customer_id: strawberry.ID | None = None
    product_code: str | None = None
    min_days_past_due: int | None = None
    collector_id: strawberry.ID | None = None
    branch: str | None = strawberry.field(default=None, description="The customer's branch.")
    risk_rating: str | None = strawberry.field(default=None, description="The customer's.")
    rfm_segment: str | None = strawberry.field(default=None, description="The customer's.")
    disbursed_from: date | None = None
    disbursed_to: date | None = None


@strawberry.type
class LoanQueries:
    @strawberry.field(description="One loan by global id.")
    async def loan(self, info: Info, id: strawberry.ID) -> Loan | None:
        pk = expect_id(id, "Loan", "id")

        async def loaded() -> Loan | None:
            row = await info.context.loaders.loan.load(pk)
            return Loan.from_model(row, await info.context.today()) if row else None

        return await root.answer(info.context, lambda: root.loan(info.context, pk), loaded)

    @strawberry.field(description="Loans matching a filter, in a stable order.")
    async def loans(
        self,
        info: Info,
        filter: LoanFilter | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> Connection[Loan]:
        query = LoanModel.filter(require_read(info, "loan"))
        if filter is not None:
            if filter.status:
                query = query.filter(status=filter.status)
            if filter.bucket:
                query = query.filter(bucket=filter.bucket)
            if filter.buckets:
                query = query.filter(bucket__in=filter.buckets)
            if filter.customer_id is not None:
                query = query.filter(
                    customer_id=expect_id(filter.customer_id, "Customer", "filter.customerId")
                )
            if filter.product_code:
                query = query.filter(product__code=filter.product_code)
            if filter.min_days_past_due is not None:
                query = query.filter(days_past_due__gte=filter.min_days_past_due)
            if filter.collector_id is not None:
                query = query.filter(
                    collector_id=expect_id(filter.collector_id, "User", "filter.collectorId")
                )
            if filter.branch:
                query = query.filter(customer__branch=filter.branch)
            if filter.risk_rating:
                query = query.filter(customer__risk_rating=filter.risk_rating)
            if filter.rfm_segment:
                query = query.filter(customer__rfm_segment=filter.rfm_segment)
            if filter.disbursed_from:
                query = query.filter(disbursed_on__gte=filter.disbursed_from)
            if filter.disbursed_to:
                query = query.filter(disbursed_on__lte=filter.disbursed_to)
        after_id = id_after(after, LoanModel)
        size = check_first(50 if first is None else first)

        async def loaded() -> Connection[Loan]:
            today = await info.context.today()
            return await keyset_page(query, size, after_id, lambda r: Loan.from_model(r, today),
                                     info.context.loaders.loan)  # fmt: skip

        return await root.answer(
            info.context, lambda: root.loans(info.context, query, size, after_id, repr(filter)),
            loaded,
        )  # fmt: skip
