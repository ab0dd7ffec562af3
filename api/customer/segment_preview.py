"""A segment's rules weighed before they are saved, and saved again: who enters, who leaves.

``segmentPreview`` counts, over every customer, whom a draft of a segment's rules would let in
and leave out against the segment's members now (a new segment has none), by RFM segment and
risk rating: figures that span every customer, so they need report read with scope all, as a
simulation's do. Who those customers are is listed only to a caller who may read customers,
within their row scope. ``redefineSegment`` saves new rules (audited, before and after); the
next daily run moves the members and records the joins and leaves.
"""

from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON
from tortoise.queryset import QuerySet

from api.access import Audited, require, subject_of
from api.context import Info
from api.customer.segments import Segment, view
from api.customer.types import Customer
from api.errors import UserErrors, returns_user_errors
from api.relay import Connection, paged
from authz.actions import Scope
from domain.customer.models import Customer as CustomerModel
from domain.errors import ForbiddenError
from domain.profile import segment_drafts


@strawberry.type(description="Customers of one RFM segment and risk rating (both as stored today) "
                 "a draft of a segment's rules lets in, leaves out or keeps.")  # fmt: skip
class SegmentPreviewGroup:
    rfm_segment: str | None
    risk_rating: str | None
    entered: int
    left: int
    stayed: int


@strawberry.type(description="What a draft of a segment's rules would change against the "
                 "segment's members now (as of the last daily run); nothing is saved.")  # fmt: skip
class SegmentPreview:
    segment: str | None = strawberry.field(description="The segment compared with; null: new.")
    rules: JSON = strawberry.field(description="The draft's rules, as they would be saved.")
    members: int = strawberry.field(description="Members under the draft.")
    current: int = strawberry.field(description="Members the segment has now.")
    entered: int
    left: int
    stayed: int
    groups: list[SegmentPreviewGroup] = strawberry.field(
        description="By the customer's RFM segment and risk rating, as stored today."
    )
    found: strawberry.Private[segment_drafts.Preview]

    @strawberry.field(description="The customers the draft lets in that you may read; null when "
                      "you may not read customers.")  # fmt: skip
    async def entering(
        self, info: Info, first: int | None = 50, after: str | None = None
    ) -> Connection[Customer] | None:
        return await _listed(info, segment_drafts.entering(self.found), first, after)

    @strawberry.field(description="The members the draft leaves out that you may read; null "
                      "when you may not read customers.")  # fmt: skip
    async def leaving(
        self, info: Info, first: int | None = 50, after: str | None = None
    ) -> Connection[Customer] | None:
        return await _listed(info, segment_drafts.leaving(self.found), first, after)


async def _listed(
    info: Info, query: QuerySet[CustomerModel], first: int | None, after: str | None
) -> Connection[Customer] | None:
    scope = info.context.authorizer.row_filter(subject_of(info), "customer")
    if scope is None:
        return None
    return await paged(query.filter(scope), first, after, Customer.from_model)


@strawberry.input(description="A draft of a segment's rules: of a saved segment, or a new one.")
class SegmentDraftInput:
    name: str | None = strawberry.field(default=None, description="A saved segment; null: new.")
    rules: JSON = strawberry.field(
        description='e.g. {"rfm_segment": ["CHAMPIONS", "LOYAL"], "risk_rating": ["LOW"]}'
    )


@strawberry.input(description="New rules (and description) for a saved segment.")
class RedefineSegmentInput:
    name: str
    rules: JSON
    description: str | None = None


@strawberry.type(description="The segment has its new rules; members follow at the next daily run.")
class RedefineSegmentSuccess:
    segment: Segment
    before: JSON = strawberry.field(description="The rules and description it had.")


RedefineSegmentResult = Annotated[
    RedefineSegmentSuccess | UserErrors, strawberry.union("RedefineSegmentResult")
]


@strawberry.type
class SegmentPreviewQueries:
    @strawberry.field(
        description="Who a draft of a segment's rules would let in and leave out, by RFM "
        "segment and risk rating; needs report read over every customer."
    )
    async def segment_preview(self, info: Info, input: SegmentDraftInput) -> SegmentPreview:
        if Scope.ALL not in require(info, "report", "read"):
            raise ForbiddenError(
                "a segment preview's figures span every customer: it needs report read"
            )
        found = await segment_drafts.preview(input.rules, input.name)
        groups = [
            SegmentPreviewGroup(rfm_segment=g.rfm_segment, risk_rating=g.risk_rating,
                                entered=g.entered, left=g.left, stayed=g.stayed)
            for g in found.groups
        ]  # fmt: skip
        return SegmentPreview(
            segment=found.segment, rules=cast(JSON, found.rules), members=found.members,
            current=found.current, entered=found.entered, left=found.left, stayed=found.stayed,
            groups=groups, found=found,
        )  # fmt: skip


@strawberry.type
class SegmentPreviewMutations:
    @strawberry.mutation(
        description="Give a segment new rules; members follow at the next daily run."
    )
    @returns_user_errors
    async def redefine_segment(
        self, info: Info, input: RedefineSegmentInput
    ) -> RedefineSegmentResult:
        require(info, "segment", "define")
        async with Audited(info, "segment.redefine", "segment") as change:
            row, before = await segment_drafts.redefine(input.name, input.rules, input.description)
            change.object_id, change.before = row.id, before
            change.after = {"rules": row.rules, "description": row.description}
        return RedefineSegmentSuccess(segment=view(row), before=cast(JSON, before))
