"""Importing interactions: contacts with customers, optionally about one of their loans."""

from collections.abc import Sequence

from domain.clock.service import local_date
from domain.importer import records, refs, values
from domain.importer.rows import Env, Row, Tally
from domain.interaction.models import (
    Direction,
    Interaction,
    InteractionChannel,
    InteractionType,
    Outcome,
)

COLUMNS = frozenset(
    {"source", "external_id", "customer_external_id", "customer_source", "loan_external_id",
     "loan_source", "agent", "channel", "direction", "type", "text", "outcome",
     "promise_amount", "promise_date", "occurred_at"}
)  # fmt: skip
FIELDS = (
    "customer_id", "loan_id", "agent_id", "channel", "direction", "type", "text", "outcome",
    "promise_amount", "promise_date", "occurred_at",
)  # fmt: skip
_PROMISE_ONLY = "only a PROMISE_TO_PAY outcome carries a promised amount and date"


def _parse(row: Row) -> None:
    out = row.values
    out["channel"] = values.choice(row, "channel", InteractionChannel, required=True)
    out["direction"] = values.choice(row, "direction", Direction, required=True)
    out["type"] = values.choice(row, "type", InteractionType, required=True)
    out["text"] = values.text(row, "text", max_len=10_000) or ""
    out["outcome"] = outcome = values.choice(row, "outcome", Outcome)
    out["occurred_at"] = occurred_at = values.moment(row, "occurred_at", required=True)
    out["promise_amount"] = values.money(row, "promise_amount", positive=True)
    out["promise_date"] = promised = values.day(row, "promise_date")
    if outcome == Outcome.PROMISE_TO_PAY:
        if not row.given("promise_amount"):
            row.add("promise_amount", "a promise to pay needs an amount")
        if not row.given("promise_date"):
            row.add("promise_date", "a promise to pay needs a date")
        elif promised and occurred_at and promised < local_date(occurred_at):
            row.add("promise_date", "must not be before the day of the interaction")
    elif outcome is not None or not row.given("outcome"):  # not when the outcome was bad
        for column in ("promise_amount", "promise_date"):
            if row.given(column):
                row.add(column, _PROMISE_ONLY)


async def run(rows: Sequence[Row], env: Env, tally: Tally) -> None:
    """Upsert one batch of interaction rows."""
    for row in rows:
        _parse(row)
    await refs.resolve_customers(rows)
    loans = await refs.resolve_loans(rows, required=False)
    await refs.resolve_users(rows, "agent", "agent_id")
    for row in rows:
        row.values.setdefault("agent_id", None)
        loan = loans.get(row.line)
        row.values["loan_id"] = loan.id if loan else None
        customer_id = row.values.get("customer_id")
        if loan and customer_id is not None and loan.customer_id != customer_id:
            row.add("loan_external_id", "is not a loan of this customer")
    good = [row for row in rows if row.ok]
    existing = await records.load_existing(Interaction, good, FIELDS)
    await records.write(Interaction, FIELDS, rows, existing, tally)
