"""The service operations collections.bpmn calls: collectors, contacts, promises, messages.

Each runs inside the process step's transaction (see :mod:`bpmn.runner`); messages go to the
outbox through the contact policy, with the step as their dedupe key.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from bpmn.collectors import active_collectors, least_loaded, loads_of, of_team
from bpmn.operations import current_call
from bpmn.registry import implements
from domain.clock import service as clock
from domain.customer.models import Customer, CustomerTag, Tag
from domain.enums import Channel
from domain.errors import NotFoundError
from domain.interaction.models import (
    Direction,
    Interaction,
    InteractionChannel,
    InteractionType,
    Outcome,
)
from domain.loan.models import Installment, Loan, LoanStatus, Payment
from domain.outreach import service as outbox
from domain.outreach import templates
from domain.outreach.models import MessagePurpose
from domain.outreach.policy import Verdict
from domain.settings import settings

CALL_OUTCOMES = {
    "REACHED": Outcome.INFORMATION_GIVEN,
    "PROMISED": Outcome.PROMISE_TO_PAY,
    "NO_ANSWER": Outcome.NO_ANSWER,
    "REFUSED": Outcome.REFUSED_TO_PAY,
}


async def _loan(loan_id: int) -> Loan:
    loan = await Loan.get_or_none(id=loan_id)
    if loan is None:
        raise NotFoundError("loan", loan_id)
    return loan


def _call_key() -> str:
    call = current_call.get()
    if call is None:
        raise RuntimeError("collections operations run inside a process step")
    return f"process:{call.instance_id}:{call.element_id}:{call.task_id}"


async def amount_due(loan_id: int, today: Any) -> tuple[Decimal, Any]:
    """What is overdue on a loan today, and the oldest unpaid due date."""
    rows = await Installment.filter(loan_id=loan_id, paid_on__isnull=True, due_date__lt=today)
    due = sum(
        (r.principal_due + r.interest_due + r.fee_due - r.principal_paid - r.interest_paid
         - r.fee_paid for r in rows),
        Decimal("0.00"),
    )  # fmt: skip
    return due, min((r.due_date for r in rows), default=None)


@implements("collection.assign_collector")
async def assign_collector(loan_id: int, strategy: str = "STANDARD", team: str = "") -> Any:
    """Keep or give the loan a collector: the least loaded active one, same branch first.

    GENTLE cases stay with the account manager and get no collector.
    """
    loan = await _loan(loan_id)
    if strategy == "GENTLE":
        return {"collector_id": None, "handled_by": "account_manager"}
    if loan.collector_id is not None:  # type: ignore[attr-defined]
        return {"collector_id": loan.collector_id, "handled_by": "collector"}  # type: ignore[attr-defined]
    customer = await Customer.get(id=loan.customer_id)  # type: ignore[attr-defined]
    collectors = of_team(await active_collectors(), team)
    chosen = least_loaded(collectors, customer.branch, await loads_of([u.id for u in collectors]))
    if chosen is None:
        return {"collector_id": None, "handled_by": "nobody"}
    loan.collector_id = chosen.id
    await loan.save(update_fields=["collector_id"])
    return {"collector_id": chosen.id, "handled_by": "collector", "username": chosen.username}


@implements("message.send")
async def send_message(
    customer_id: int, template: str, loan_id: int | None = None, purpose: str = "COLLECTION",
    channel: str = "", params: dict[str, Any] | None = None,
) -> Any:  # fmt: skip
    """Queue a templated message through the contact policy (sent, deferred or dropped)."""
    customer = await Customer.get_or_none(id=customer_id)
    if customer is None:
        raise NotFoundError("customer", customer_id)
    today = await clock.get()
    values: dict[str, Any] = {"name": customer.name, **(params or {})}
    if loan_id is not None:
        loan = await _loan(loan_id)
        due, since = await amount_due(loan_id, today)
        values.update(amount_due=due, days_past_due=loan.days_past_due, due_date=since or "-")
    call = current_call.get()
    library = await templates.load()
    tone = templates.tone_for(customer.rfm_segment, customer.risk_rating)
    message = await outbox.enqueue(
        customer_id=customer_id, purpose=MessagePurpose(purpose),
        body=library.render(template, values, customer.rfm_segment, tone),
        dedupe_key=_call_key(), loan_id=loan_id,
        channel=Channel(channel) if channel else None,
        process_instance_id=call.instance_id if call else None,
    )  # fmt: skip
    return {"message_id": message.id, "status": message.status.value, "reason": message.reason}


@implements("contact.check")
async def check_contact(loan_id: int, channel: str = "PHONE") -> Any:
    """May the customer be contacted about this loan now (window, caps, consent)?"""
    loan = await _loan(loan_id)
    customer = await Customer.get(id=loan.customer_id)  # type: ignore[attr-defined]
    verdict = await outbox.judge(
        customer, purpose=MessagePurpose.COLLECTION, channel=Channel(channel), loan_id=loan_id,
        now=await clock.now(),
    )  # fmt: skip
    return {
        "allowed": verdict.verdict == Verdict.SEND,
        "reason": verdict.reason,
        "next_at": verdict.at.isoformat() if verdict.at else None,
    }


def _promise(date_text: str, amount_text: str) -> tuple[Any, Decimal | None]:
    try:
        promised_on = datetime.fromisoformat(date_text.strip()).date() if date_text else None
        amount = Decimal(amount_text.strip()) if amount_text else None
    except (ValueError, InvalidOperation):
        return None, None
    if amount is not None and (not amount.is_finite() or amount <= 0):
        amount = None
    return promised_on, amount


@implements("collection.record_contact")
async def record_contact(
    loan_id: int, outcome: str, kind: str = "CALL", promise_date: str = "",
    promise_amount: str = "", note: str = "",
) -> Any:  # fmt: skip
    """Record a call or visit with its outcome; a promise needs a date and an amount.

    A promise without a usable date (from today to 60 days ahead) or amount is recorded as
    a plain contact. ``promise_check_at`` is 09:00 local the day after the promised date.
    """
    loan = await _loan(loan_id)
    call = current_call.get()
    today = await clock.get()
    promised_on, amount = _promise(promise_date, promise_amount)
    promised = (
        outcome == "PROMISED" and promised_on is not None and amount is not None
        and today <= promised_on <= today + timedelta(days=60)
    )  # fmt: skip
    row = await Interaction.create(
        customer_id=loan.customer_id, loan_id=loan.id,  # type: ignore[attr-defined]
        agent_id=call.user_id if call else None,
        channel=InteractionChannel.PHONE if kind == "CALL" else InteractionChannel.BRANCH,
        direction=Direction.OUTBOUND,
        type=InteractionType.CALL if kind == "CALL" else InteractionType.VISIT,
        outcome=CALL_OUTCOMES.get(outcome, Outcome.INFORMATION_GIVEN) if promised or
        outcome != "PROMISED" else Outcome.INFORMATION_GIVEN,
        promise_date=promised_on if promised else None,
        promise_amount=amount if promised else None,
        text=note[:2000], occurred_at=await clock.now(), source="collections",
    )  # fmt: skip
    check_at = None
    if promised and promised_on is not None:
        local = datetime.combine(promised_on + timedelta(days=1), time(9), settings().time_zone)
        check_at = local.astimezone(UTC).isoformat()
    return {"interaction_id": row.id, "promised": promised, "promise_check_at": check_at}


@implements("collection.check_promise")
async def check_promise(interaction_id: int) -> Any:
    """Was the promise kept: paid at least the amount between the promise and its date?"""
    promise = await Interaction.get_or_none(id=interaction_id)
    if promise is None or promise.promise_date is None or promise.promise_amount is None:
        raise NotFoundError("promise", interaction_id)
    payments = await Payment.filter(loan_id=promise.loan_id, paid_at__gte=promise.occurred_at)  # type: ignore[attr-defined]
    paid = sum(
        (p.amount for p in payments if clock.local_date(p.paid_at) <= promise.promise_date),
        Decimal("0.00"),
    )
    return {"kept": paid >= promise.promise_amount, "paid": str(paid)}


@implements("collection.loan_status")
async def loan_status(loan_id: int) -> Any:
    """Where the loan stands now: cured (nothing past due), written off, or still past due."""
    loan = await _loan(loan_id)
    return {
        "status": loan.status.value,
        "days_past_due": loan.days_past_due,
        "bucket": loan.bucket,
        "cured": loan.status == LoanStatus.CLOSED
        or (loan.status == LoanStatus.ACTIVE and loan.days_past_due == 0),
        "written_off": loan.status == LoanStatus.CHARGED_OFF,
    }


@implements("loan.write_off")
async def write_off(loan_id: int, reason: str = "") -> Any:
    """Charge the loan off (status CHARGED_OFF): it leaves collections and active balances."""
    loan = await Loan.filter(id=loan_id).select_for_update().first()
    if loan is None:
        raise NotFoundError("loan", loan_id)
    if loan.status == LoanStatus.ACTIVE:
        loan.status, loan.closed_on = LoanStatus.CHARGED_OFF, await clock.get()
        await loan.save(update_fields=["status", "closed_on"])
    return {"status": loan.status.value, "outstanding_principal": str(loan.outstanding_principal),
            "reason": reason}  # fmt: skip


@implements("customer.add_tag")
async def add_tag(customer_id: int, tag: str, explanation: str = "") -> Any:
    """Give the customer a tag (kept once) with why."""
    if not await Customer.exists(id=customer_id):
        raise NotFoundError("customer", customer_id)
    row, _ = await Tag.get_or_create(name=tag[:64])
    _, created = await CustomerTag.get_or_create(
        customer_id=customer_id, tag_id=row.id, defaults={"explanation": explanation[:1000]}
    )
    return {"tag": row.name, "created": created}


OFFER_OUTCOMES = {
    "ACCEPTED": Outcome.RESOLVED,
    "DECLINED": Outcome.INFORMATION_GIVEN,
    "DECLINED_RATE": Outcome.OFFER_DECLINED_RATE,
    "NO_ANSWER": Outcome.NO_ANSWER,
}


@implements("interaction.record_offer_call")
async def record_offer_call(customer_id: int, outcome: str) -> Any:
    """The account manager's call about an offer: profiling reads declines over the rate."""
    if not await Customer.exists(id=customer_id):
        raise NotFoundError("customer", customer_id)
    call = current_call.get()
    row = await Interaction.create(
        customer_id=customer_id, agent_id=call.user_id if call else None,
        channel=InteractionChannel.PHONE, direction=Direction.OUTBOUND,
        type=InteractionType.CALL, outcome=OFFER_OUTCOMES.get(outcome, Outcome.INFORMATION_GIVEN),
        text=f"limit increase offer: {outcome}", occurred_at=await clock.now(), source="offers",
    )  # fmt: skip
    return {"interaction_id": row.id}
