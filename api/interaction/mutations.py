"""Interaction mutations: recording a contact."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from api.access import Audited, require_customer, require_loan, snapshot, subject_of
from api.context import Info
from api.enums import Direction, InteractionChannel, InteractionType, Outcome
from api.errors import UserErrors, returns_user_errors
from api.interaction.types import Interaction
from api.relay import expect_id, optional_id
from domain.interaction import service


@strawberry.input(description="A contact with a customer to record.")
class RecordInteractionInput:
    customer_id: strawberry.ID
    channel: InteractionChannel
    direction: Direction
    type: InteractionType
    text: str = ""
    loan_id: strawberry.ID | None = None
    agent_id: strawberry.ID | None = None
    outcome: Outcome | None = None
    promise_amount: Decimal | None = None
    promise_date: date | None = None
    occurred_at: datetime | None = None


@strawberry.type(description="The interaction is recorded.")
class RecordInteractionSuccess:
    interaction: Interaction


RecordInteractionResult = Annotated[
    RecordInteractionSuccess | UserErrors, strawberry.union("RecordInteractionResult")
]


@strawberry.type
class InteractionMutations:
    @strawberry.mutation(description="Record a contact; a promise to pay needs amount and date.")
    @returns_user_errors
    async def record_interaction(
        self, info: Info, input: RecordInteractionInput
    ) -> RecordInteractionResult:
        customer_id = expect_id(input.customer_id, "Customer", "customerId")
        loan_id = optional_id(input.loan_id, "Loan", "loanId")
        scopes = await require_customer(info, "interaction", "create", customer_id)
        if loan_id is not None:
            await require_loan(info, scopes, loan_id)
        agent_id = optional_id(input.agent_id, "User", "agentId") or subject_of(info).user_id
        async with Audited(info, "interaction.create", "interaction") as change:
            row = await service.record(
                customer_id=customer_id,
                channel=input.channel,
                direction=input.direction,
                type_=input.type,
                text=input.text,
                loan_id=loan_id,
                agent_id=agent_id,
                outcome=input.outcome,
                promise_amount=input.promise_amount,
                promise_date=input.promise_date,
                occurred_at=input.occurred_at,
            )
            change.object_id = row.id
            change.after = snapshot(row, "customer_id", "loan_id", "channel", "type", "outcome")
        return RecordInteractionSuccess(interaction=Interaction.from_model(row))
