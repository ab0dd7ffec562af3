"""Pre-due reminders: on the days before each due date that the cadence names.

Who is reminded how many days before a due date is the institution's cadence (the
``reminder_cadence`` table of the ``pre_due_reminders`` process, run by
:mod:`bpmn.reminders`); by default T-7, T-3 and T-1 for everyone and T-5 and T-2 as well for
habitually late payers. The cadence is asked for days 1 to :data:`HORIZON` before a due date,
with the customer's habit, risk rating and RFM segment; only the installments falling due on
the days it may remind of are read.

One reminder per installment and offset, ever (the dedupe key ``reminder:{installment}:T-{n}``),
none for installments already paid; the contact policy decides when each goes out.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

from tortoise.queryset import QuerySet

from domain import faults
from domain.batching import gather_in
from domain.clock import service as clock
from domain.customer.models import CustomerTag
from domain.daily.chunks import EVERYONE, Span
from domain.loan.models import Installment, LoanStatus
from domain.outreach import templates
from domain.outreach.batch import Message, enqueue_many, used
from domain.outreach.models import MessagePurpose

HORIZON = 31  # the most days before a due date a cadence may remind
LATE_TAG = "HABITUAL_LATE"


class Cadence(Protocol):
    """Whether a reminder goes out so many days before a due date, to a customer of this kind."""

    async def days(self) -> frozenset[int]:
        """The days before a due date (1 to HORIZON) on which some customer is reminded."""
        ...

    def reminds(
        self, days_before_due: int, habitual_late: bool, risk_rating: str | None,
        rfm_segment: str | None,
    ) -> bool: ...  # fmt: skip


def key(installment_id: int, offset: int) -> str:
    """The dedupe key of one reminder."""
    return f"reminder:{installment_id}:T-{offset}"


def _unpaid(customers: Span, due: list[date]) -> QuerySet[Installment]:
    """Unpaid installments of active loans falling due on these dates, of these customers."""
    return Installment.filter(
        customers.q("loan__customer_id"), paid_on__isnull=True, due_date__in=due,
        loan__status=LoanStatus.ACTIVE,
    )  # fmt: skip


async def produce(today: date, cadence: Cadence, *, customers: Span = EVERYONE) -> dict[str, int]:
    """Queue the reminders the cadence asks for on ``today`` (to these customers); returns how
    many were new and how many existed."""
    days = [today + timedelta(days=n) for n in sorted(await cadence.days())]
    rows = await _unpaid(customers, days).order_by(
        "loan__customer_id", "due_date", "id"  # queued in the same order anywhere
    ).values(
        "id", "loan_id", "due_date", "principal_due", "interest_due", "fee_due",
        "principal_paid", "interest_paid", "fee_paid", "loan__customer_id", "loan__customer__name",
        "loan__customer__rfm_segment", "loan__customer__risk_rating",
    ) if days else []  # fmt: skip
    owners = {int(r["loan__customer_id"]) for r in rows}
    late = set(await gather_in(owners, lambda batch: CustomerTag.filter(
        customer_id__in=batch, tag__name=LATE_TAG
    ).values_list("customer_id", flat=True)))  # fmt: skip
    wanted = {}
    for row in rows:
        offset = (row["due_date"] - today).days
        habitual = row["loan__customer_id"] in late
        rating, segment = (
            _text(row["loan__customer__risk_rating"]),
            row["loan__customer__rfm_segment"],
        )
        if cadence.reminds(offset, habitual, rating, _text(segment)):
            wanted[key(int(row["id"]), offset)] = (row, offset)
    existing = await used(wanted)
    moment = await clock.now()
    library = await templates.load()
    messages: list[Message] = []
    for dedupe, (row, offset) in wanted.items():
        if dedupe in existing:
            continue
        due = (
            row["principal_due"] + row["interest_due"] + row["fee_due"]
            - row["principal_paid"] - row["interest_paid"] - row["fee_paid"]
        )  # fmt: skip
        segment = row["loan__customer__rfm_segment"]
        body = library.render("reminder.pre_due", {
            "name": row["loan__customer__name"], "due_date": row["due_date"],
            "amount_due": Decimal(due), "days_before": offset,
        }, segment, templates.tone_for(segment, row["loan__customer__risk_rating"]))  # fmt: skip
        messages.append(Message(
            customer_id=int(row["loan__customer_id"]), purpose=MessagePurpose.REMINDER,
            body=body, dedupe_key=dedupe, loan_id=int(row["loan_id"]),
            installment_id=int(row["id"]),
        ))  # fmt: skip
    for _ in await enqueue_many(messages, now=moment, unused=True):
        faults.reach("daily.reminders.queued")  # a fault point: some queued, not committed
    return {"queued": len(messages), "already_queued": len(existing)}


def _text(value: object) -> str | None:
    """A stored label as the table reads it (an enum's value, or None)."""
    if value is None:
        return None
    return str(getattr(value, "value", value))
