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
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from tortoise.functions import Count

from bpmn import registry
from bpmn.operations import CallContext, current_call
from domain.batching import chunks, gather_in
from domain.clock import service as clock
from domain.customer.models import Customer
from domain.enums import Channel
from domain.errors import NotFoundError, ValidationError
from domain.interaction.models import Direction, Interaction, InteractionType
from domain.loan.models import Installment, Loan, LoanStatus
from domain.outreach import templates
from domain.outreach.models import MessagePurpose, MessageStatus, OutboxMessage
from domain.outreach.policy import Decision, History, Rules, Verdict, decide
from domain.outreach.service import CONTACTED, choose_channel, person_of, utc
from domain.process import rows as process_rows
from domain.user.models import User


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
CUSTOMER = (
    "name", "phone", "email", "preferred_channel", "time_zone", "consent_sms",
    "consent_app_push", "consent_email", "consent_phone", "rfm_segment", "risk_rating",
)  # fmt: skip


async def _customers(ids: set[int]) -> dict[int, Any]:
    """Customers as the policy reads them (plain rows, their ``person`` worked out once)."""
    found = await _by_id(Customer, ids, *CUSTOMER)
    for row in found.values():
        row.preferred_channel = Channel(row.preferred_channel) if row.preferred_channel else None
        row.person = person_of(row)  # what the policy knows of them, once per customer
    return found


async def assign_collectors(calls: list[BulkCall], moment: datetime) -> Answers:
    """``collection.assign_collector`` for many loans: the loads counted once, kept in memory."""
    loans = await _by_id(Loan, {int(c.arguments["loan_id"]) for c in calls}, *LOAN)
    owners = {loan.customer_id for loan in loans.values()}
    branches = dict(await gather_in(owners, lambda b: Customer.filter(id__in=b).values_list(
        "id", "branch")))  # fmt: skip
    collectors = [u for u in await User.filter(is_active=True) if "collector" in (u.roles or [])]
    loads: dict[int, int] = defaultdict(int)
    if collectors:
        loads.update(
            await Loan.filter(status=LoanStatus.ACTIVE, days_past_due__gt=0,
                              collector_id__in=[u.id for u in collectors])
            .annotate(n=Count("id")).group_by("collector_id").values_list("collector_id", "n")
        )  # fmt: skip
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
            pool = ([u for u in collectors if u.team == team] or collectors) if team else collectors
            if not pool:
                out.append({"collector_id": None, "handled_by": "nobody"})
                continue
            branch = branches.get(loan.customer_id)
            chosen = min(pool, key=lambda u: (u.branch != branch, loads[u.id], u.id))
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


@dataclass
class _Contacts:
    """Earlier contacts of a set of customers (what ``outbox.history`` reads), read once."""

    outbound: dict[int, list[tuple[int | None, str, datetime]]]
    sent: dict[int, list[tuple[int | None, str, datetime]]]

    @classmethod
    async def of(cls, customers: set[int], now: datetime, rules: Rules) -> _Contacts:
        since = now - timedelta(days=max(rules.debt_cap_days, 2))
        kinds = (InteractionType.CALL, InteractionType.MESSAGE, InteractionType.VISIT)
        found = cls(defaultdict(list), defaultdict(list))
        columns = ("customer_id", "loan_id", "type", "occurred_at")
        outbound = await gather_in(customers, lambda b: Interaction.filter(
            customer_id__in=b, direction=Direction.OUTBOUND, occurred_at__gt=since,
            type__in=kinds).values_list(*columns))  # fmt: skip
        for cid, loan, kind, at in outbound:
            if at is not None:
                found.outbound[cid].append((loan, str(kind), utc(at)))
        for cid, loan, point, at in await gather_in(customers, lambda b: OutboxMessage.filter(
                customer_id__in=b, status__in=CONTACTED, sent_at__gt=since).values_list(
                "customer_id", "loan_id", "contact_point", "sent_at")):  # fmt: skip
            if at is not None:
                found.sent[cid].append((loan, str(point), utc(at)))
        return found

    def history(self, customer: Any, loan_id: int | None, point: str) -> History:
        """As ``domain.outreach.service.history`` counts them."""
        found = History()
        outbound, sent = self.outbound.get(customer.id, []), self.sent.get(customer.id, [])
        if loan_id is not None:
            found.debt += [at for loan, _, at in outbound if loan == loan_id]
            found.debt += [at for loan, _, at in sent if loan == loan_id]
        found.point += [at for _, p, at in sent if p == point]
        if point == customer.phone:
            found.point += [at for _, k, at in outbound if k == InteractionType.CALL.value]
        return found

    def judge(
        self, customer: Any, purpose: MessagePurpose, channel: Channel, loan_id: int | None,
        now: datetime, rules: Rules,
    ) -> Decision:  # fmt: skip
        """As ``domain.outreach.service.judge`` decides."""
        person = customer.person
        past = self.history(customer, loan_id, person.contact_points.get(channel, ""))
        debt_related = purpose == MessagePurpose.COLLECTION and loan_id is not None
        return decide(purpose=purpose, channel=channel, person=person, now=now, history=past,
                      debt_related=debt_related, rules=rules)  # fmt: skip


async def check_contacts(calls: list[BulkCall], moment: datetime) -> Answers:
    """``contact.check`` for many loans."""
    loans = await _by_id(Loan, {int(c.arguments["loan_id"]) for c in calls}, *LOAN)
    customers = await _customers({loan.customer_id for loan in loans.values()})
    rules = Rules.from_env()
    contacts = await _Contacts.of(set(customers), moment, rules)
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


STATUS = {Verdict.SEND: MessageStatus.QUEUED, Verdict.DEFER: MessageStatus.DEFERRED,
          Verdict.DROP: MessageStatus.DROPPED}  # fmt: skip


async def send_messages(calls: list[BulkCall], moment: datetime) -> Answers:
    """``message.send`` for many instances: rendered, judged and queued in bulk."""
    customers = await _customers({int(c.arguments["customer_id"]) for c in calls})
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
    library, rules = await templates.load(), Rules.from_env()
    contacts = await _Contacts.of(set(customers), moment, rules)
    out: Answers = []
    rows: list[dict[str, Any]] = []
    for call in calls:
        try:
            out.append(_message(call, customers, loans, overdue, existing, library, contacts,
                                moment, rules, rows))  # fmt: skip
        except (NotFoundError, ValidationError, ValueError) as exc:
            out.append(exc)
    await process_rows.insert(OutboxMessage, rows)
    made = dict(await gather_in([row["dedupe_key"] for row in rows], lambda b: (
        OutboxMessage.filter(dedupe_key__in=b).values_list("dedupe_key", "id"))))  # fmt: skip
    for at, answer in enumerate(out):
        if isinstance(answer, _Queued):
            row = answer.row
            out[at] = {"message_id": made[row["dedupe_key"]], "status": row["status"].value,
                       "reason": row["reason"]}  # fmt: skip
    return out


def _message(
    call: BulkCall, customers: dict[int, Any], loans: dict[int, Any],
    overdue: dict[int, list[Any]], existing: dict[str, OutboxMessage],
    library: templates.Library, contacts: _Contacts, moment: datetime, rules: Rules,
    rows: list[dict[str, Any]],
) -> Any:  # fmt: skip
    """One message as ``collection_ops.send_message`` and ``outbox.enqueue`` make it."""
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
    purpose = MessagePurpose(args.get("purpose", "COLLECTION"))
    channel = args.get("channel") or ""
    chosen = Channel(choose_channel(customer, Channel(channel) if channel else None))
    verdict = contacts.judge(customer, purpose, chosen, loan_id, moment, rules)
    row = {
        "customer_id": customer.id, "loan_id": loan_id, "installment_id": None,
        "channel": chosen, "contact_point": customer.person.contact_points.get(chosen, ""),
        "purpose": purpose, "status": STATUS[verdict.verdict], "dedupe_key": key, "body": body,
        "scheduled_at": verdict.at or moment, "sent_at": None, "reason": verdict.reason,
        "attempts": 0, "provider_ref": None, "process_instance_id": context.instance_id,
        "claimed_by": None, "lease_until": None, "created_at": datetime.now(UTC),
    }  # fmt: skip
    rows.append(row)
    return _Queued(row)


@dataclass(frozen=True, slots=True)
class _Queued:
    """A message written with the batch; its id is known once the rows are in."""

    row: dict[str, Any]


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
