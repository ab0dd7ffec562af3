"""Interactions as GraphQL objects."""

from datetime import date, datetime
from decimal import Decimal

import strawberry

from api.context import Info
from api.enums import Direction, InteractionChannel, InteractionType, Outcome
from api.relay import Node, to_global_id
from api.system.types import User
from domain.interaction.models import Interaction as InteractionModel


@strawberry.type(description="One contact with a customer.")
class Interaction(Node):
    id: strawberry.ID
    channel: InteractionChannel
    direction: Direction
    type: InteractionType
    text: str
    outcome: Outcome | None
    promise_amount: Decimal | None
    promise_date: date | None
    occurred_at: datetime
    loan_id: strawberry.ID | None
    agent_pk: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: InteractionModel) -> "Interaction":
        """The GraphQL view of an interaction row."""
        loan_pk = row.loan_id  # type: ignore[attr-defined]
        return cls(
            id=to_global_id("Interaction", row.id),
            channel=row.channel,
            direction=row.direction,
            type=row.type,
            text=row.text,
            outcome=row.outcome,
            promise_amount=row.promise_amount,
            promise_date=row.promise_date,
            occurred_at=row.occurred_at,
            loan_id=to_global_id("Loan", loan_pk) if loan_pk else None,
            agent_pk=row.agent_id,  # type: ignore[attr-defined]
        )

    @strawberry.field(description="The member of staff who handled it.")
    async def agent(self, info: Info) -> User | None:
        if self.agent_pk is None:
            return None
        row = await info.context.loaders.user.load(self.agent_pk)
        return User.from_model(row) if row else None
