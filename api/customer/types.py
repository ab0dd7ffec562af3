"""Customers and what hangs off them, as GraphQL objects."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.scalars import JSON

from api.access import may_read_sensitive
from api.context import Info
from api.enums import Channel, CustomerKind, LifecycleStage, RiskRating
from api.relay import Connection, Node, connection, cursor_numbers, encode_cursor, to_global_id
from api.system.types import User
from authz.masking import mask_id_number, mask_phone
from domain.credit.models import CreditReport as CreditReportModel
from domain.customer.models import Customer as CustomerModel
from domain.interaction.models import Interaction as InteractionModel
from domain.pagination import check_first

Masker = Callable[[str], str | None]

if TYPE_CHECKING:
    from api.application.types import Application
    from api.interaction.types import Interaction
    from api.loan.types import Loan


@strawberry.type(description="RFM scores (1-5, 5 best) and the named segment they give.")
class Rfm:
    recency: int
    frequency: int
    monetary: int
    segment: str | None


@strawberry.type(description="Why each profile label is what it is.")
class ProfileExplanation:
    rfm: JSON | None
    risk_rating: JSON | None
    lifecycle_stage: JSON | None
    computed_on: date | None


@strawberry.type(description="One change of a profile label on a business date.")
class ProfileChange:
    label: str = strawberry.field(description="rfm_segment, risk_rating, lifecycle_stage or tag.")
    old: str | None
    new: str | None
    business_date: date
    explanation: JSON | None


@strawberry.type(description="A label on a customer and why it is there.")
class Tag:
    name: str
    explanation: str


@strawberry.type(description="A reference to the customer in another system.")
class ExternalRef:
    source: str
    external_id: str


@strawberry.type(description="A credit-bureau report.")
class CreditReport:
    bureau: str
    score: int
    pulled_at: datetime
    total_debt: Decimal
    open_accounts: int
    delinquencies: int
    inquiries: int

    @classmethod
    def from_model(cls, row: CreditReportModel) -> "CreditReport":
        """The GraphQL view of a report row."""
        return cls(
            bureau=row.bureau,
            score=row.score,
            pulled_at=row.pulled_at,
            total_debt=row.total_debt,
            open_accounts=row.open_accounts,
            delinquencies=row.delinquencies,
            inquiries=row.inquiries,
        )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _interaction_key(row: InteractionModel) -> tuple[int, int]:
    """Sort key of the newest-first interaction list: (microseconds since epoch, id)."""
    return ((row.occurred_at - _EPOCH) // timedelta(microseconds=1), row.id)


@strawberry.type(description="A person or business that borrows: the 360° view.")
class Customer(Node):
    id: strawberry.ID
    name: str
    kind: CustomerKind
    id_type: str
    email: str | None
    birth_date: date | None
    address: str | None
    time_zone: str
    monthly_income: Decimal | None
    branch: str | None
    preferred_channel: Channel | None
    risk_rating: RiskRating | None
    lifecycle_stage: LifecycleStage | None
    rfm: Rfm | None
    consent: list[Channel] = strawberry.field(description="Channels the customer consented to.")
    created_at: datetime
    pk: strawberry.Private[int]
    manager_id: strawberry.Private[int | None]
    raw_id_number: strawberry.Private[str | None]
    raw_phone: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, row: CustomerModel) -> "Customer":
        """The GraphQL view of a customer row."""
        rfm = None
        if row.rfm_recency is not None:
            rfm = Rfm(
                recency=row.rfm_recency,
                frequency=row.rfm_frequency or 0,
                monetary=row.rfm_monetary or 0,
                segment=row.rfm_segment,
            )
        consent = [
            channel
            for channel, flag in (
                (Channel.SMS, row.consent_sms),
                (Channel.APP_PUSH, row.consent_app_push),
                (Channel.EMAIL, row.consent_email),
                (Channel.PHONE, row.consent_phone),
            )
            if flag
        ]
        return cls(
            id=to_global_id("Customer", row.id),
            name=row.name,
            kind=row.kind,
            id_type=row.id_type,
            raw_id_number=row.id_number,
            raw_phone=row.phone,
            email=row.email,
            birth_date=row.birth_date,
            address=row.address,
            time_zone=row.time_zone,
            monthly_income=row.monthly_income,
            branch=row.branch,
            preferred_channel=row.preferred_channel,
            risk_rating=row.risk_rating,
            lifecycle_stage=row.lifecycle_stage,
            rfm=rfm,
            consent=consent,
            created_at=row.created_at,
            pk=row.id,
            manager_id=row.account_manager_id,  # type: ignore[attr-defined]
        )

    def _sensitive(self, info: Info, name: str, value: str | None, mask: Masker) -> str | None:
        if value is None:
            return None
        if not may_read_sensitive(info.context):
            return mask(value)
        info.context.sensitive_reads[self.pk].add(name)  # audited once per request
        return value

    @strawberry.field(
        description="National ID or registration number; masked without read_sensitive."
    )
    def id_number(self, info: Info) -> str | None:
        return self._sensitive(info, "id_number", self.raw_id_number, mask_id_number)

    @strawberry.field(description="Mobile phone; masked without read_sensitive.")
    def phone(self, info: Info) -> str | None:
        return self._sensitive(info, "phone", self.raw_phone, mask_phone)

    @strawberry.field(description="The account manager looking after this customer.")
    async def account_manager(self, info: Info) -> User | None:
        if self.manager_id is None:
            return None
        row = await info.context.loaders.user.load(self.manager_id)
        return User.from_model(row) if row else None

    @strawberry.field(description="Behaviour and staff tags, each with its explanation.")
    async def tags(self, info: Info) -> list[Tag]:
        rows = await info.context.loaders.tags_by_customer.load(self.pk)
        return [Tag(name=name, explanation=why) for name, why in rows]

    @strawberry.field(
        description="Why the customer has its RFM segment, risk rating and lifecycle stage: "
        "the rule, its inputs and their values (from the last daily profiling)."
    )
    async def profile_explanation(self, info: Info) -> ProfileExplanation | None:
        row = await info.context.loaders.profile_by_customer.load(self.pk)
        if row is None:
            return None
        return ProfileExplanation(
            rfm=cast(JSON, row.rfm), risk_rating=cast(JSON, row.risk),
            lifecycle_stage=cast(JSON, row.lifecycle), computed_on=row.computed_on,
        )  # fmt: skip

    @strawberry.field(description="How the customer's labels changed, newest first.")
    async def profile_history(self, info: Info, first: int = 20) -> list[ProfileChange]:
        rows = await info.context.loaders.profile_changes_by_customer.load(self.pk)
        return [
            ProfileChange(label=r.label, old=r.old, new=r.new, business_date=r.business_date,
                          explanation=cast(JSON, r.explanation))
            for r in rows[: max(0, min(first, 200))]
        ]  # fmt: skip

    @strawberry.field(description="Administrator-defined fields, by name.")
    async def custom_fields(self, info: Info) -> JSON:
        values = await info.context.loaders.custom_fields_by_customer.load(self.pk)
        return cast(JSON, values)

    @strawberry.field(description="References to this customer in the systems it came from.")
    async def external_refs(self, info: Info) -> list[ExternalRef]:
        rows = await info.context.loaders.external_refs_by_customer.load(self.pk)
        return [ExternalRef(source=r.source, external_id=r.external_id) for r in rows]

    @strawberry.field(description="Credit applications, newest first.")
    async def applications(
        self, info: Info
    ) -> list[Annotated["Application", strawberry.lazy("api.application.types")]]:
        from api.application.types import Application

        rows = await info.context.loaders.applications_by_customer.load(self.pk)
        return [Application.from_model(r) for r in rows]

    @strawberry.field(description="Credit-bureau reports, newest first.")
    async def credit_reports(self, info: Info) -> list[CreditReport]:
        rows = await info.context.loaders.credit_reports_by_customer.load(self.pk)
        return [CreditReport.from_model(r) for r in rows]

    @strawberry.field(description="Loans of this customer, oldest first.")
    async def loans(self, info: Info) -> list[Annotated["Loan", strawberry.lazy("api.loan.types")]]:
        from api.loan.types import Loan

        rows = await info.context.loaders.loans_by_customer.load(self.pk)
        today = await info.context.today()
        return [Loan.from_model(r, today) for r in rows]

    @strawberry.field(description="Contacts with this customer, newest first.")
    async def interactions(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[Annotated["Interaction", strawberry.lazy("api.interaction.types")]]:
        from api.interaction.types import Interaction

        first = check_first(20 if first is None else first)
        rows = await info.context.loaders.interactions_by_customer.load(self.pk)
        mark = cursor_numbers(after, 2)
        if mark is not None:
            rows = [r for r in rows if _interaction_key(r) < (mark[0], mark[1])]
        page = rows[:first]
        total = len(await info.context.loaders.interactions_by_customer.load(self.pk))

        async def count() -> int:
            return total

        return connection(
            [Interaction.from_model(r) for r in page],
            [encode_cursor(*_interaction_key(r)) for r in page],
            len(rows) > first,
            count,
        )
