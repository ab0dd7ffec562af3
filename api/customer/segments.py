"""Segments over GraphQL: defined by administrators, members and counts under row scope."""

from datetime import date
from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from api.access import Audited, require, require_read, subject_of
from api.context import Info
from api.customer.types import Customer
from api.errors import UserErrors, returns_user_errors
from api.relay import Connection, paged
from authz.actions import Scope
from domain.customer.models import Customer as CustomerModel
from domain.errors import ForbiddenError
from domain.profile import segments
from domain.profile.models import Segment as SegmentModel
from domain.profile.models import SegmentMember, SegmentMovement


@strawberry.type(description="How a segment moved on a business date.")
class SegmentMovementView:
    business_date: date
    count: int
    joined: int
    left: int


@strawberry.type(description="A group of customers defined by rules over profile fields.")
class Segment:
    name: str
    description: str
    rules: JSON = strawberry.field(description="field → allowed values; all fields must match.")
    pk: strawberry.Private[int]

    def _members(self, visible: Q) -> QuerySet[CustomerModel]:
        ids = SegmentMember.filter(segment_id=self.pk).values("customer_id")
        return CustomerModel.filter(visible, id__in=Subquery(ids))

    @strawberry.field(
        description="Members you may see (as of the last daily run); every member for a caller "
        "who reads aggregates only (report read over all rows, no customer read)."
    )
    async def count(self, info: Info) -> int:
        return await self._members(_counted(info)).count()

    @strawberry.field(description="The members you may see, in a stable order.")
    async def members(
        self, info: Info, first: int | None = 50, after: str | None = None
    ) -> Connection[Customer]:
        query = self._members(require_read(info, "customer"))
        return await paged(query, first, after, Customer.from_model)

    @strawberry.field(description="Size, joiners and leavers per business date, newest first.")
    async def movements(self, last: int = 30) -> list[SegmentMovementView]:
        rows = (
            await SegmentMovement.filter(segment_id=self.pk)
            .order_by("-business_date")
            .limit(max(1, min(last, 366)))
        )
        return [SegmentMovementView(business_date=r.business_date, count=r.count,
                                    joined=r.joined, left=r.left) for r in rows]  # fmt: skip


@strawberry.input(description="A new segment.")
class DefineSegmentInput:
    name: str
    description: str = ""
    rules: JSON = strawberry.field(
        description='e.g. {"rfm_segment": ["CHAMPIONS", "LOYAL"], "risk_rating": ["LOW"]}'
    )


@strawberry.type(description="The segment exists; members come with the next daily run.")
class DefineSegmentSuccess:
    segment: Segment


DefineSegmentResult = Annotated[
    DefineSegmentSuccess | UserErrors, strawberry.union("DefineSegmentResult")
]


def view(row: SegmentModel) -> Segment:
    return Segment(name=row.name, description=row.description, rules=cast(JSON, row.rules),
                   pk=row.id)  # fmt: skip


def _counted(info: Info) -> Q:
    """The customers a caller's counts cover: those they may read, or every one for a caller
    who reads aggregates over all rows (analysts); ForbiddenError for anyone else."""
    subject = subject_of(info)
    visible = info.context.authorizer.row_filter(subject, "customer")
    if visible is not None:
        return visible
    if Scope.ALL in info.context.authorizer.scopes(subject, "report", "read"):
        return Q()
    raise ForbiddenError("segments need customer read, or report read over all rows")


@strawberry.type
class SegmentQueries:
    @strawberry.field(
        description="Segments with their members and movements (their rules, counts and "
        "movements also to those who read aggregates over all rows; members need customer read)."
    )
    async def segments(self, info: Info) -> list[Segment]:
        _counted(info)
        return [view(r) for r in await SegmentModel.all().order_by("name")]


@strawberry.type
class SegmentMutations:
    @strawberry.mutation(description="Define a segment as rules over profile fields.")
    @returns_user_errors
    async def define_segment(self, info: Info, input: DefineSegmentInput) -> DefineSegmentResult:
        require(info, "segment", "define")
        async with Audited(info, "segment.define", "segment") as change:
            row = await segments.define(input.name, input.description, input.rules,
                                        by=subject_of(info).username)  # fmt: skip
            change.object_id, change.after = row.id, {"name": row.name, "rules": row.rules}
        return DefineSegmentSuccess(segment=view(row))
