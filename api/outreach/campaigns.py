"""Campaigns over GraphQL: launched to a segment by administrators, responses under scope.

Figures count only the responses of customers the caller may see: an account manager sees
how their own customers answered, an administrator everyone.
"""

from datetime import date, datetime
from typing import Annotated, Literal, cast

import strawberry
from strawberry.scalars import JSON
from tortoise.expressions import Q, Subquery
from tortoise.queryset import ValuesQuery

from api.access import Audited, require, require_read, subject_of
from api.context import Info
from api.customer.types import Customer
from api.errors import UserErrors, returns_user_errors
from api.relay import Connection, paged, to_global_id
from domain.campaign import service
from domain.campaign.models import Campaign as CampaignModel
from domain.campaign.models import CampaignResponse as ResponseModel
from domain.customer.models import Customer as CustomerModel
from domain.enums import Channel


@strawberry.type(description="How one customer answered a campaign.")
class CampaignResponse:
    sent_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None
    converted_at: datetime | None
    customer_pk: strawberry.Private[int]

    @strawberry.field(description="Who was invited.")
    async def customer(self, info: Info) -> Customer | None:
        row = await info.context.loaders.customer.load(self.customer_pk)
        return Customer.from_model(row) if row else None


@strawberry.type(description="Counts of a campaign's invitations, among customers you may see.")
class CampaignFigures:
    invited: int
    sent: int
    blocked: int = strawberry.field(description="Dropped by the contact policy.")
    waiting: int = strawberry.field(description="Queued or deferred in the outbox.")
    failed: int
    opened: int
    clicked: int
    converted: int = strawberry.field(description="Applied for the product in time.")
    open_rate: float | None = strawberry.field(description="opened / sent.")
    conversion_rate: float | None = strawberry.field(description="converted / sent.")


@strawberry.type(description="An invitation to customers for a product.")
class Campaign:
    id: strawberry.ID
    code: str
    name: str
    channel: Channel
    starts_on: date
    ends_on: date | None
    launched_at: datetime | None
    conversion_days: int
    template_key: str
    product_code: str | None
    segment: str | None
    pk: strawberry.Private[int]

    def _responses(self, info: Info) -> Q:
        return Q(customer_id__in=Subquery(_visible(info)), campaign_id=self.pk)

    @strawberry.field(description="Invited, sent, blocked, opened, converted.")
    async def figures(self, info: Info) -> CampaignFigures:
        found = await service.counts(self.pk, Q(customer_id__in=Subquery(_visible(info))))
        sent = found["sent"]
        return CampaignFigures(
            **found, open_rate=found["opened"] / sent if sent else None,
            conversion_rate=found["converted"] / sent if sent else None,
        )  # fmt: skip

    @strawberry.field(description="Why invitations were blocked, with how many each.")
    async def blocked_reasons(self, info: Info) -> JSON:
        return cast(
            JSON,
            await service.blocked_reasons(self.pk, Q(customer_id__in=Subquery(_visible(info)))),
        )

    @strawberry.field(description="Each invited customer you may see, and how they answered.")
    async def responses(
        self, info: Info, first: int | None = 50, after: str | None = None
    ) -> Connection[CampaignResponse]:
        customers = CustomerModel.filter(require_read(info, "customer")).values("id")
        query = ResponseModel.filter(self._responses(info), customer_id__in=Subquery(customers))
        return await paged(query, first, after, _response)


def _visible(info: Info) -> ValuesQuery[Literal[False]]:
    return CustomerModel.filter(require_read(info, "campaign")).values("id")


def _response(row: ResponseModel) -> CampaignResponse:
    return CampaignResponse(sent_at=row.sent_at, opened_at=row.opened_at,
                            clicked_at=row.clicked_at, converted_at=row.converted_at,
                            customer_pk=row.customer_id)  # type: ignore[attr-defined]  # fmt: skip


async def _view(row: CampaignModel) -> Campaign:
    await row.fetch_related("product", "segment")
    return Campaign(
        id=to_global_id("Campaign", row.id), code=row.code, name=row.name, channel=row.channel,
        starts_on=row.starts_on, ends_on=row.ends_on, launched_at=row.launched_at,
        conversion_days=row.conversion_days, template_key=row.template_key,
        product_code=row.product.code if row.product else None,
        segment=row.segment.name if row.segment else None, pk=row.id,
    )  # fmt: skip


@strawberry.input(description="A campaign to launch now to a segment's members.")
class LaunchCampaignInput:
    code: str
    name: str
    product_code: str
    segment: str
    channel: Channel | None = strawberry.field(
        default=None, description="null: each customer's preferred channel"
    )
    template_key: str = "campaign.invitation"
    conversion_days: int = 30
    ends_on: date | None = None


@strawberry.type(description="The invitations are in the outbox, judged by the contact policy.")
class LaunchCampaignSuccess:
    campaign: Campaign


LaunchCampaignResult = Annotated[
    LaunchCampaignSuccess | UserErrors, strawberry.union("LaunchCampaignResult")
]


@strawberry.type
class CampaignQueries:
    @strawberry.field(description="Campaigns, newest first, with figures among your customers.")
    async def campaigns(self, info: Info) -> list[Campaign]:
        require_read(info, "campaign")
        return [await _view(r) for r in await CampaignModel.all().order_by("-starts_on", "-id")]


@strawberry.type
class CampaignMutations:
    @strawberry.mutation(description="Invite a segment's members to a product, with consent only.")
    @returns_user_errors
    async def launch_campaign(self, info: Info, input: LaunchCampaignInput) -> LaunchCampaignResult:
        require(info, "campaign", "launch")
        ask = service.Launch(
            code=input.code, name=input.name, product_code=input.product_code,
            segment=input.segment, channel=input.channel, template_key=input.template_key,
            conversion_days=input.conversion_days, ends_on=input.ends_on,
        )  # fmt: skip
        async with Audited(info, "campaign.launch", "campaign") as change:
            row, figures = await service.launch(ask, by=subject_of(info).username)
            change.object_id, change.after = row.id, service.summary(row, figures)
        return LaunchCampaignSuccess(campaign=await _view(row))
