"""Applications as a scoped, filtered connection (the list behind the approval measures)."""

from datetime import UTC, date, datetime, time

import strawberry

from api.access import require_read
from api.application.types import Application
from api.context import Info
from api.relay import Connection, paged
from domain.application.models import Application as ApplicationModel
from domain.application.models import ApplicationChannel, ApplicationStatus


@strawberry.input(description="Conditions on applications.")
class ApplicationFilter:
    statuses: list[ApplicationStatus] | None = None
    risk_lane: str | None = None
    channel: ApplicationChannel | None = None
    product_code: str | None = None
    branch: str | None = strawberry.field(default=None, description="The applicant's branch.")
    submitted_from: date | None = None
    submitted_to: date | None = None
    decided: bool | None = strawberry.field(default=None, description="Has a decision.")


@strawberry.type
class ApplicationQueries:
    @strawberry.field(description="Applications you may see, oldest first.")
    async def applications(
        self, info: Info, filter: ApplicationFilter | None = None, first: int | None = 50,
        after: str | None = None,
    ) -> Connection[Application]:  # fmt: skip
        query = ApplicationModel.filter(require_read(info, "application"))
        f = filter
        if f is not None:
            if f.statuses:
                query = query.filter(status__in=f.statuses)
            if f.risk_lane:
                query = query.filter(risk_lane=f.risk_lane)
            if f.channel:
                query = query.filter(channel=f.channel)
            if f.product_code:
                query = query.filter(product__code=f.product_code)
            if f.branch:
                query = query.filter(customer__branch=f.branch)
            if f.submitted_from:
                query = query.filter(submitted_at__gte=datetime.combine(f.submitted_from,
                                                                        time.min, UTC))  # fmt: skip
            if f.submitted_to:
                query = query.filter(submitted_at__lte=datetime.combine(f.submitted_to,
                                                                        time.max, UTC))  # fmt: skip
            if f.decided is not None:
                query = query.filter(decided_at__isnull=not f.decided)
        return await paged(query, first, after, Application.from_model)
