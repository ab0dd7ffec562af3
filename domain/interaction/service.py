"""Recording contacts with customers."""

from datetime import UTC, date, datetime
from decimal import Decimal

from domain.clock import service as clock
from domain.errors import Problems
from domain.interaction.models import (
    Direction,
    Interaction,
    InteractionChannel,
    InteractionType,
    Outcome,
)
from domain.loan.models import Loan
from domain.user.models import User


async def record(
    *,
    customer_id: int,
    channel: InteractionChannel,
    direction: Direction,
    type_: InteractionType,
    text: str = "",
    loan_id: int | None = None,
    agent_id: int | None = None,
    outcome: Outcome | None = None,
    promise_amount: Decimal | None = None,
    promise_date: date | None = None,
    occurred_at: datetime | None = None,
) -> Interaction:
    """Record one interaction; a promise to pay needs an amount and a date from today on."""
    problems = Problems()
    if len(text) > 10_000:
        problems.add("text", "must be at most 10000 characters")
    if loan_id is not None and not await Loan.exists(id=loan_id, customer_id=customer_id):
        problems.add("loan_id", "is not a loan of this customer")
    if agent_id is not None and not await User.exists(id=agent_id):
        problems.add("agent_id", f"no user {agent_id}")
    if outcome == Outcome.PROMISE_TO_PAY:
        if promise_amount is None or promise_amount <= 0:
            problems.add("promise_amount", "a promise to pay needs an amount above zero")
        elif promise_amount != promise_amount.quantize(Decimal("0.01")):
            problems.add("promise_amount", "must be in whole cents")
        if promise_date is None:
            problems.add("promise_date", "a promise to pay needs a date")
        elif promise_date < await clock.get():
            problems.add("promise_date", "must not be before the business date")
    elif promise_amount is not None or promise_date is not None:
        problems.add("outcome", "only PROMISE_TO_PAY carries a promised amount and date")
    problems.raise_if_any()
    return await Interaction.create(
        customer_id=customer_id,
        loan_id=loan_id,
        agent_id=agent_id,
        channel=channel,
        direction=direction,
        type=type_,
        text=text,
        outcome=outcome,
        promise_amount=promise_amount,
        promise_date=promise_date,
        occurred_at=occurred_at or datetime.now(UTC),
    )
