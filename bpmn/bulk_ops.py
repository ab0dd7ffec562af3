"""Service operations for many instances at once: the same answers as one call at a time.

A bulk start (:mod:`bpmn.bulk`) makes each service call of a path node for all the node's
instances together. Operations listed in ``BULK`` read what they need in a few statements per
batch and write their rows with bulk inserts; their answers are those the one-call
implementations (:mod:`bpmn.collection_ops`) would give, taken in instance order. Any other
operation is called once per instance, inside the batch's transaction. ``OPAQUE`` names the
fields of an answer that are an instance's own ids, which the diagram only carries along.

A call that fails answers with its exception: the batch then starts that instance one by one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from bpmn import registry
from bpmn.collectors import active_collectors, least_loaded, loads_of, of_team
from bpmn.operations import CallContext, current_call
from domain.batching import chunks, gather_in
from domain.clock import service as clock
from domain.customer.models import Customer
from domain.enums import Channel
from domain.errors import NotFoundError, ValidationError
from domain.loan.models import Installment, Loan, LoanStatus
from domain.outreach import templates
from domain.outreach.batch import Contacts, Message, enqueue_many, people
from domain.outreach.models import MessagePurpose, OutboxMessage
from domain.outreach.policy import Rules, Verdict


@dataclass(frozen=True, slots=True)
class BulkCall:
    """One instance's call: its arguments and the context the one-call version reads."""

    arguments: dict[str, Any]
    context: CallContext


Answers = list[Any]  # per call: the result, or the exception it raised
BulkImpl = Callable[[list[BulkCall], datetime], Awaitable[Answers]]

OPAQUE: dict[str, tuple[str, ...]] = {
    "collection.assign_collector": ("collector_id", "username"),
    "message.send": ("message_id",),
    "contact.check": ("next_at",),
    "collection.record_contact": ("interaction_id",),
    "interaction.record_offer_call": ("interaction_id",),
    "credit.pull_report": ("report_id",),
    "loan.create_contract": ("loan_id", "contract_id", "number"),
    "loan.disburse": ("disbursement_id", "loan_id"),
}


async def one_by_one(name: str, calls: list[BulkCall]) -> Answers:
    """An operation without a bulk version: its implementation once per call, in order."""
    impl = registry.implementation(name)
    out: Answers = []
    for call in calls:
        token = current_call.set(call.context)
        try:
            if impl is None:
                raise NotFoundError("implementation of operation", name)
            out.append(await impl(**call.arguments))
        except Exception as exc:  # the instance starts alone, where the runner judges it
            out.append(exc)
        finally:
            current_call.reset(token)
    return out


async def _by_id(model: Any, ids: set[int], *columns: str) -> dict[int, Any]:
    """Rows by id with the columns the policy reads (plain values: no model hydration)."""
    rows = await gather_in(ids, lambda batch: model.filter(id__in=batch).values("id", *columns))
    return {row["id"]: SimpleNamespace(**row) for row in rows}


DUE = ("loan_id", "due_date", "principal_due", "interest_due", "fee_due", "principal_paid",
       "interest_paid", "fee_paid")  # fmt: skip
LOAN = ("customer_id", "collector_id", "status", "days_past_due")
CUSTOMER = ("name", "rfm_segment", "risk_rating")  # what messages say, beside the policy's


async def assign_collectors(calls: list[BulkCall], moment: datetime) -> Answers:
    """``collection.assign_collector`` for many loans: the loads counted once, kept in memory."""
    loans = await _by_id(Loan, {int(c.arguments["loan_id"]) for c in calls}, *LOAN)
    owners = {loan.customer_id for loan in loans.values()}
    branches = dict(await gather_in(owners, lambda b: Customer.filter(id__in=b).values_list(
        "id", "branch")))  # fmt: skip
    collectors = await active_collectors()
    loads: dict[int, int] = defaultdict(int, await loads_of([u.id for u in collectors]))
    moved: dict[int, list[int]] = defaultdict(list)
    out: Answers = []
    for call in calls:
        loan = loans.get(int(call.arguments["loan_id"]))
        strategy, team = call.arguments.get("strategy", "STANDARD"), call.arguments.get("team", "")
        if loan is None:
            out.append(NotFoundError("loan", call.arguments["loan_id"]))
        elif strategy == "GENTLE":
            out.append({"collector_id": None, "handled_by": "account_manager"})
        elif loan.collector_id is not None:
            out.append({"collector_id": loan.collector_id, "handled_by": "collector"})
        else:
            chosen = least_loaded(of_team(collectors, team), branches.get(loan.customer_id), loads)
            if chosen is None:
                out.append({"collector_id": None, "handled_by": "nobody"})
                continue
            loan.collector_id = chosen.id
            moved[chosen.id].append(loan.id)
            if loan.status == LoanStatus.ACTIVE and loan.days_past_due > 0:
                loads[chosen.id] += 1
            out.append({"collector_id": chosen.id, "handled_by": "collector",
                        "username": chosen.username})  # fmt: skip
    for collector, ids in moved.items():
        for batch in chunks(ids):
            await Loan.filter(id__in=batch).update(collector_id=collector)
    return out


async def check_contacts(calls: list[BulkCall], moment: datetime) -> Answers:
    """``contact.check`` for many loans."""
    loans = await _by_id(Loan, {int(c.arguments["loan_id"]) for c in calls}, *LOAN)
    customers = await people({loan.customer_id for loan in loans.values()})
    rules = Rules.from_env()
    contacts = await Contacts.of(customers, moment, rules)
    out: Answers = []
    for call in calls:
        loan = loans.get(int(call.arguments["loan_id"]))
        if loan is None:
            out.append(NotFoundError("loan", call.arguments["loan_id"]))
            continue
        channel = Channel(call.arguments.get("channel", "PHONE"))
        customer = customers[loan.customer_id]
        verdict = contacts.judge(customer, MessagePurpose.COLLECTION, channel, loan.id, moment,
                                 rules)  # fmt: skip
        out.append({"allowed": verdict.verdict == Verdict.SEND, "reason": verdict.reason,
                    "next_at": verdict.at.isoformat() if verdict.at else None})  # fmt: skip
    return out


async def send_messages(calls: list[BulkCall], moment: datetime) -> Answers:
    """``message.send`` for many instances: rendered in turn, judged and queued in bulk."""
    customers = await people({int(c.arguments["customer_id"]) for c in calls}, *CUSTOMER)
    loan_ids = {int(c.arguments["loan_id"]) for c in calls if c.arguments.get("loan_id")}
    loans = await _by_id(Loan, loan_ids, *LOAN)
    today = await clock.get()
    overdue: dict[int, list[Any]] = defaultdict(list)
    for row in await gather_in(loan_ids, lambda b: Installment.filter(
            loan_id__in=b, paid_on__isnull=True, due_date__lt=today).values(*DUE)):  # fmt: skip
        overdue[row["loan_id"]].append(SimpleNamespace(**row))
    keys = {f"process:{c.context.instance_id}:{c.context.element_id}:{c.context.task_id}"
            for c in calls}  # fmt: skip
    existing = {m.dedupe_key: m for m in await gather_in(
        keys, lambda b: OutboxMessage.filter(dedupe_key__in=b))}  # fmt: skip
    library = await templates.load()
    out: Answers = []
    messages: list[Message] = []
    for call in calls:
        try:
            out.append(_message(call, customers, loans, overdue, existing, library, messages))
        except (NotFoundError, ValidationError, ValueError) as exc:
            out.append(exc)
    queued = await enqueue_many(messages, now=moment)
    for at, answer in enumerate(out):
        if isinstance(answer, _Queued):
            made = queued[answer.index]
            out[at] = {"message_id": made.id, "status": made.status.value, "reason": made.reason}
    return out


def _message(
    call: BulkCall, customers: dict[int, Any], loans: dict[int, Any],
    overdue: dict[int, list[Any]], existing: dict[str, OutboxMessage],
    library: templates.Library, messages: list[Message],
) -> Any:  # fmt: skip
    """One message as ``collection_ops.send_message`` makes it for ``outbox.enqueue``."""
    args, context = call.arguments, call.context
    customer = customers.get(int(args["customer_id"]))
    if customer is None:
        raise NotFoundError("customer", args["customer_id"])
    values: dict[str, Any] = {"name": customer.name, **(args.get("params") or {})}
    loan_id = args.get("loan_id")
    if loan_id is not None:
        loan = loans.get(int(loan_id))
        if loan is None:
            raise NotFoundError("loan", loan_id)
        due = overdue.get(loan.id, [])
        amount = sum((r.principal_due + r.interest_due + r.fee_due - r.principal_paid
                      - r.interest_paid - r.fee_paid for r in due), Decimal("0.00"))  # fmt: skip
        since = min((r.due_date for r in due), default=None)
        values.update(amount_due=amount, days_past_due=loan.days_past_due, due_date=since or "-")
    tone = templates.tone_for(customer.rfm_segment, customer.risk_rating)
    body = library.render(args["template"], values, customer.rfm_segment, tone)
    key = f"process:{context.instance_id}:{context.element_id}:{context.task_id}"
    if len(key) > 200:
        raise ValidationError.single("dedupe_key", "must be 1..200 characters")
    found = existing.get(key)
    if found is not None:
        return {"message_id": found.id, "status": found.status.value, "reason": found.reason}
    channel = args.get("channel") or ""
    messages.append(Message(
        customer_id=customer.id, purpose=MessagePurpose(args.get("purpose", "COLLECTION")),
        body=body, dedupe_key=key, loan_id=None if loan_id is None else int(loan_id),
        channel=Channel(channel) if channel else None, process_instance_id=context.instance_id,
    ))  # fmt: skip
    return _Queued(len(messages) - 1)


@dataclass(frozen=True, slots=True)
class _Queued:
    """A message queued with the batch: its place among the batch's messages."""

    index: int


BULK: dict[str, BulkImpl] = {
    "collection.assign_collector": assign_collectors,
    "message.send": send_messages,
    "contact.check": check_contacts,
}


async def answer(name: str, calls: list[BulkCall], moment: datetime) -> Answers:
    """The answers of ``calls`` to operation ``name``, in order."""
    bulk = BULK.get(name)
    if bulk is None:
        return await one_by_one(name, calls)
    return await bulk(calls, moment)
