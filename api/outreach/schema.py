"""The outbox over GraphQL (scoped to the caller's customers) and the daily run."""

from datetime import date, datetime
from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON

from api.access import Audited, read_filter, require, require_row, snapshot, subject_of
from api.context import Info
from api.customer.types import Customer
from api.errors import UserErrors, returns_user_errors
from api.loan.types import Installment
from api.relay import (
    Connection,
    Node,
    expect_id,
    paged,
    to_global_id,
)
from api.system.daily import DailyRun, daily_run_of
from bpmn import daily
from domain.clock import service as clock
from domain.enums import Channel
from domain.errors import ValidationError
from domain.loan.models import Installment as InstallmentModel
from domain.outreach import claims
from domain.outreach.models import MessagePurpose, MessageStatus
from domain.outreach.models import OutboxMessage as MessageModel


@strawberry.type(description="One outbox row: what was (or will be) said to whom, and why not.")
class Message(Node):
    id: strawberry.ID
    channel: Channel
    purpose: MessagePurpose
    status: MessageStatus
    scheduled_at: datetime | None
    sent_at: datetime | None
    reason: str | None = strawberry.field(description="Why it waits or was dropped.")
    dedupe_key: str
    body: str
    customer_pk: strawberry.Private[int]
    installment_pk: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: MessageModel) -> "Message":
        """The GraphQL view of an outbox row."""
        return cls(
            id=to_global_id("Message", row.id), channel=row.channel, purpose=row.purpose,
            status=row.status, scheduled_at=row.scheduled_at, sent_at=row.sent_at,
            reason=row.reason, dedupe_key=row.dedupe_key, body=row.body,
            customer_pk=row.customer_id,  # type: ignore[attr-defined]
            installment_pk=row.installment_id,  # type: ignore[attr-defined]
        )  # fmt: skip

    @strawberry.field(description="Who it is for.")
    async def customer(self, info: Info) -> Customer | None:
        row = await info.context.loaders.customer.load(self.customer_pk)
        return Customer.from_model(row) if row else None

    @strawberry.field(description="The installment a reminder is about.")
    async def installment(self, info: Info) -> Installment | None:
        if self.installment_pk is None:
            return None
        row = await InstallmentModel.get_or_none(id=self.installment_pk)
        return Installment.from_model(row, await info.context.today()) if row else None


@strawberry.input(description="Conditions on outbox messages.")
class MessageFilter:
    status: MessageStatus | None = None
    purpose: MessagePurpose | None = None
    customer_id: strawberry.ID | None = None


strawberry.enum(
    claims.Resolution, name="MessageResolution",
    description="What became of an UNCERTAIN message, as a person found out.",
)  # fmt: skip


@strawberry.input(description="A person's decision on a message whose sending was interrupted.")
class ResolveMessageInput:
    id: strawberry.ID
    outcome: claims.Resolution = strawberry.field(
        description="SENT: the gateway's log shows it; RESEND: queue it again; DROP: never send."
    )
    note: str | None = strawberry.field(default=None, description="What was checked.")


@strawberry.type(description="The message after the decision.")
class ResolveMessageSuccess:
    outbox_message: Message = strawberry.field(description="The message as it stands now.")


ResolveMessageResult = Annotated[
    ResolveMessageSuccess | UserErrors, strawberry.union("ResolveMessageResult")
]


@strawberry.type(description="One step of a business date's daily run.")
class DailyStep:
    step: str
    detail: JSON


@strawberry.type(description="The daily run of the business date: done once, in order.")
class RunDailyJobsSuccess:
    business_date: date
    done: bool = strawberry.field(description="Every step is done for this date.")
    busy: bool = strawberry.field(description="Another worker is running a step right now.")
    failed: str | None = strawberry.field(description="The step that failed, and why.")
    steps: list[DailyStep]
    progress: DailyRun = strawberry.field(
        description="Every step's chunks done and failed, and an estimate (as `dailyRun`)."
    )


RunDailyJobsResult = Annotated[
    RunDailyJobsSuccess | UserErrors, strawberry.union("RunDailyJobsResult")
]


@strawberry.type
class OutreachQueries:
    @strawberry.field(description="The outbox: messages to customers I may see, oldest first.")
    async def messages(
        self, info: Info, filter: MessageFilter | None = None, first: int | None = 50,
        after: str | None = None,
    ) -> Connection[Message]:  # fmt: skip
        require(info, "message", "read")
        scope = read_filter(info.context.authorizer, subject_of(info), "message")
        query = MessageModel.filter(scope)
        if filter is not None:
            if filter.status is not None:
                query = query.filter(status=filter.status)
            if filter.purpose is not None:
                query = query.filter(purpose=filter.purpose)
            if filter.customer_id is not None:
                pk = expect_id(filter.customer_id, "Customer", "customerId")
                query = query.filter(customer_id=pk)
        return await paged(query, first, after, Message.from_model)


@strawberry.type
class OutreachMutations:
    @strawberry.mutation(
        description="Run the business date's daily work now (DPD, collections, reminders); "
        "running it again changes nothing."
    )
    @returns_user_errors
    async def run_daily_jobs(self, info: Info) -> RunDailyJobsResult:
        require(info, "daily_jobs", "run")
        async with Audited(info, "daily_jobs.run", "daily_jobs") as change:
            report = await daily.run()
            change.after = {"date": report.business_date, "steps": report.steps,
                            "failed": report.failed}  # fmt: skip
        return RunDailyJobsSuccess(
            business_date=report.business_date, done=report.done, busy=report.busy,
            failed=report.failed,
            steps=[DailyStep(step=k, detail=cast(JSON, v)) for k, v in report.steps.items()],
            progress=await daily_run_of(report.business_date),
        )  # fmt: skip

    @strawberry.mutation(
        description="Resolve an UNCERTAIN message (its sender stopped mid-call): it was SENT, "
        "RESEND it, or DROP it. Audited."
    )
    @returns_user_errors
    async def resolve_message(self, info: Info, input: ResolveMessageInput) -> ResolveMessageResult:
        pk = expect_id(input.id, "Message", "id")
        await require_row(info, MessageModel, pk, "message", "send", "Message")
        if input.note is not None and len(input.note) > 500:
            raise ValidationError.single("note", "must be at most 500 characters")
        moment = await clock.now()
        before = await MessageModel.get(id=pk)
        async with Audited(info, "message.resolve", "message",
                           before=snapshot(before, "status", "reason")) as change:  # fmt: skip
            change.object_id = pk
            row = await claims.resolve(pk, input.outcome, input.note, moment)
            change.after = {"status": row.status, "reason": row.reason,
                            "outcome": input.outcome.value}  # fmt: skip
        return ResolveMessageSuccess(outbox_message=Message.from_model(row))
