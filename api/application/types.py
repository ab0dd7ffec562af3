"""Credit applications as GraphQL objects."""

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.context import Info
from api.enums import ApplicationChannel, ApplicationStatus
from api.relay import Node, to_global_id
from domain.application.models import Application as ApplicationModel

if TYPE_CHECKING:
    from api.customer.types import Customer
    from api.process.tasks import ProcessInstance


@strawberry.type(description="A request for a loan and its decision.")
class Application(Node):
    id: strawberry.ID
    status: ApplicationStatus
    channel: ApplicationChannel
    amount: Decimal
    term_months: int
    purpose: str
    risk_lane: str | None
    decision: str | None
    decision_reason: str | None
    submitted_at: datetime
    decided_at: datetime | None
    pk: strawberry.Private[int]
    customer_pk: strawberry.Private[int]
    product_pk: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: ApplicationModel) -> "Application":
        """The GraphQL view of an application row."""
        return cls(
            id=to_global_id("Application", row.id),
            status=row.status,
            channel=row.channel,
            amount=row.amount,
            term_months=row.term_months,
            purpose=row.purpose,
            risk_lane=row.risk_lane,
            decision=row.decision,
            decision_reason=row.decision_reason,
            submitted_at=row.submitted_at,
            decided_at=row.decided_at,
            pk=row.id,
            customer_pk=row.customer_id,  # type: ignore[attr-defined]
            product_pk=row.product_id,  # type: ignore[attr-defined]
        )

    @strawberry.field(description="The applicant.")
    async def customer(
        self, info: Info
    ) -> Annotated["Customer", strawberry.lazy("api.customer.types")]:
        from api.customer.types import Customer

        row = await info.context.loaders.customer.load(self.customer_pk)
        assert row is not None
        return Customer.from_model(row)

    @strawberry.field(description="The approval process working on this application.")
    async def process_instance(
        self, info: Info
    ) -> Annotated["ProcessInstance", strawberry.lazy("api.process.tasks")] | None:
        from api.process.tasks import ProcessInstance

        row = await info.context.loaders.instance_by_business_key.load(f"application:{self.pk}")
        return ProcessInstance.from_model(row) if row else None

    @strawberry.field(description="The product applied for.")
    async def product_code(self, info: Info) -> str:
        row = await info.context.loaders.product.load(self.product_pk)
        return row.code if row else ""
