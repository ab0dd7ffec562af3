"""Pre-due reminders: T-7, T-3 and T-1 before each due date, more for habitually late payers.

One reminder per installment and offset, ever (the dedupe key ``reminder:{installment}:T-{n}``),
none for installments already paid; the contact policy decides when each goes out.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from domain import faults
from domain.batching import gather_in
from domain.clock import service as clock
from domain.customer.models import CustomerTag
from domain.daily.chunks import EVERYONE, Span
from domain.loan.models import Installment, LoanStatus
from domain.outreach import templates
from domain.outreach.batch import Message, enqueue_many, used
from domain.outreach.models import MessagePurpose

OFFSETS = (7, 3, 1)
EXTRA_FOR_LATE = (5, 2)  # HABITUAL_LATE customers hear from us more often
LATE_TAG = "HABITUAL_LATE"


def key(installment_id: int, offset: int) -> str:
    """The dedupe key of one reminder."""
    return f"reminder:{installment_id}:T-{offset}"


async def produce(today: date, *, customers: Span = EVERYONE) -> dict[str, int]:
    """Queue the reminders due on ``today`` (to these customers); returns how many were new
    and how many existed."""
    by_due = {today + timedelta(days=n): n for n in (*OFFSETS, *EXTRA_FOR_LATE)}
    rows = await Installment.filter(
        customers.q("loan__customer_id"), paid_on__isnull=True, due_date__in=list(by_due),
        loan__status=LoanStatus.ACTIVE,
    ).order_by("loan__customer_id", "due_date", "id").values(  # queued in the same order anywhere
        "id", "loan_id", "due_date", "principal_due", "interest_due", "fee_due",
        "principal_paid", "interest_paid", "fee_paid", "loan__customer_id", "loan__customer__name",
        "loan__customer__rfm_segment", "loan__customer__risk_rating",
    )  # fmt: skip
    owners = {int(r["loan__customer_id"]) for r in rows}
    late = set(await gather_in(owners, lambda batch: CustomerTag.filter(
        customer_id__in=batch, tag__name=LATE_TAG
    ).values_list("customer_id", flat=True)))  # fmt: skip
    wanted = {}
    for row in rows:
        offset = by_due[row["due_date"]]
        if offset in EXTRA_FOR_LATE and row["loan__customer_id"] not in late:
            continue
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
