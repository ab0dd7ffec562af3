"""Producing and dispatching outgoing messages through the contact policy.

``enqueue`` writes an outbox row in the caller's transaction (so a process step and its
message commit together) with the policy's first verdict (``batch.enqueue_many`` writes the
same rows for many messages at once); ``dispatch_due`` asks the policy again at sending time,
because the window or the caps may have changed, and hands allowed messages to their channel.
The dedupe key makes every producer idempotent; a row is claimed by one dispatcher (row locks,
SKIP LOCKED on PostgreSQL) and committed as SENDING before the channel call; the outcome is
recorded after it (see :mod:`domain.outreach.claims`).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from domain import faults
from domain.batching import gather_in
from domain.clock import service as clock
from domain.customer.models import Customer
from domain.enums import Channel
from domain.errors import NotFoundError, UnavailableError, ValidationError
from domain.interaction.models import Direction, Interaction, InteractionType
from domain.loan.models import Installment
from domain.outreach import channels, claims
from domain.outreach.models import MessagePurpose, MessageStatus, OutboxMessage
from domain.outreach.policy import Decision, History, Person, Rules, Verdict, decide

R = TypeVar("R")
FALLBACK_ORDER = (Channel.SMS, Channel.APP_PUSH, Channel.EMAIL)
Sender = Callable[[OutboxMessage], Awaitable[str]]
# what counts against the caps: sent, being sent, or perhaps sent (a person will tell)
CONTACTED = (MessageStatus.SENT, MessageStatus.SENDING, MessageStatus.UNCERTAIN)
CONTACT_LOCK = 7301  # the advisory lock class of "contacting this customer" (PostgreSQL)


def person_of(customer: Customer) -> Person:
    """The policy's view of a customer: time zone, consents, contact points."""
    consents = {
        Channel.SMS: customer.consent_sms,
        Channel.APP_PUSH: customer.consent_app_push,
        Channel.EMAIL: customer.consent_email,
        Channel.PHONE: customer.consent_phone,
    }
    points: dict[Channel, str] = {}
    if customer.phone:
        points[Channel.SMS] = points[Channel.PHONE] = customer.phone
        points[Channel.APP_PUSH] = f"customer:{customer.id}"  # the app knows the device
    if customer.email:
        points[Channel.EMAIL] = customer.email
    return Person(
        time_zone=customer.time_zone,
        consents=frozenset(c for c, given in consents.items() if given),
        contact_points=points,
    )


def choose_channel(
    customer: Customer, asked: Channel | None, person: Person | None = None
) -> Channel:
    """The asked channel, else the preferred one, else the first with a contact point
    (``person``: the customer's, when worked out already)."""
    if asked is not None:
        return asked
    points = (person or person_of(customer)).contact_points
    preferred = customer.preferred_channel
    if preferred is not None and preferred in points and preferred != Channel.PHONE:
        return preferred
    return next((c for c in FALLBACK_ORDER if c in points), preferred or Channel.SMS)


async def among(ids: set[int], field: str, fetch: Callable[[Q], Awaitable[Iterable[R]]]) -> list[R]:
    """``fetch`` with a filter on ``field`` that takes these customers' rows: by their id range
    when they fill most of it (a chunk's customers, in two parameters instead of thousands;
    rows of others in the range come too), else by lists of their ids."""
    if not ids:
        return []
    low, high = min(ids), max(ids)
    if 2 * len(ids) > high - low + 1:
        span: dict[str, Any] = {f"{field}__gte": low, f"{field}__lte": high}
        return list(await fetch(Q(**span)))

    def listed(batch: list[int]) -> Awaitable[Iterable[R]]:
        within: dict[str, Any] = {f"{field}__in": batch}
        return fetch(Q(**within))

    return await gather_in(sorted(ids), listed)


@dataclass
class Contacts:
    """Earlier contacts of a set of customers that count against the caps, read once: their
    outbound calls, messages and visits, and their messages sent (or being, or perhaps)."""

    outbound: dict[int, list[tuple[int | None, str, datetime]]]
    sent: dict[int, list[tuple[int | None, str, datetime]]]

    @classmethod
    async def of(
        cls, customers: Iterable[int], now: datetime, rules: Rules, *, outbound: bool = True
    ) -> Contacts:
        """The customers' contacts in the span the caps look at: two statements (per 10,000
        scattered customers), one without ``outbound`` (when no verdict will count them)."""
        ids = set(customers)
        since = now - timedelta(days=max(rules.debt_cap_days, 2))
        kinds = (InteractionType.CALL, InteractionType.MESSAGE, InteractionType.VISIT)
        found = cls(defaultdict(list), defaultdict(list))
        counted = ids if outbound else set()
        made = await among(counted, "customer_id", lambda q: Interaction.filter(
            q, direction=Direction.OUTBOUND, occurred_at__gt=since, type__in=kinds,
        ).values_list("customer_id", "loan_id", "type", "occurred_at"))  # fmt: skip
        for cid, loan, kind, at in made:
            if at is not None:
                found.outbound[cid].append((loan, str(kind), utc(at)))
        sent = await among(ids, "customer_id", lambda q: OutboxMessage.filter(
            q, status__in=CONTACTED, sent_at__gt=since,
        ).values_list("customer_id", "loan_id", "contact_point", "sent_at"))  # fmt: skip
        for cid, loan, point, at in sent:
            if at is not None:
                found.sent[cid].append((loan, str(point), utc(at)))
        return found

    def history(self, customer: Any, loan_id: int | None, point: str) -> History:
        """The contacts about the loan (if any) and at the contact point."""
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
        now: datetime, rules: Rules, person: Person | None = None,
    ) -> Decision:  # fmt: skip
        """The policy's verdict for one contact of a customer now (``person``: theirs, when
        ``customer`` does not carry it as ``batch.people`` rows do)."""
        person = person or customer.person
        past = self.history(customer, loan_id, person.contact_points.get(channel, ""))
        debt_related = purpose == MessagePurpose.COLLECTION and loan_id is not None
        return decide(purpose=purpose, channel=channel, person=person, now=now, history=past,
                      debt_related=debt_related, rules=rules)  # fmt: skip


async def judge(
    customer: Customer, *, purpose: MessagePurpose, channel: Channel, loan_id: int | None,
    now: datetime, rules: Rules | None = None,
) -> Decision:  # fmt: skip
    """The policy's verdict for one contact of a customer now."""
    rules = rules or Rules.from_env()
    person = person_of(customer)
    point = person.contact_points.get(channel, "")
    counted = loan_id is not None or point == customer.phone  # else no outbound contact counts
    contacts = await Contacts.of([customer.id], now, rules, outbound=counted)
    return contacts.judge(customer, purpose, channel, loan_id, now, rules, person)


async def enqueue(
    *, customer_id: int, purpose: MessagePurpose, body: str, dedupe_key: str,
    loan_id: int | None = None, channel: Channel | None = None,
    process_instance_id: int | None = None, now: datetime | None = None,
    installment_id: int | None = None,
) -> OutboxMessage:  # fmt: skip
    """Put a message in the outbox with the policy's verdict; the same key twice is one row."""
    if not dedupe_key or len(dedupe_key) > 200:
        raise ValidationError.single("dedupe_key", "must be 1..200 characters")
    existing = await OutboxMessage.get_or_none(dedupe_key=dedupe_key)
    if existing is not None:
        return existing
    customer = await Customer.get_or_none(id=customer_id)
    if customer is None:
        raise NotFoundError("customer", customer_id)
    moment = now or await clock.now()
    chosen = choose_channel(customer, channel)
    verdict = await judge(customer, purpose=purpose, channel=chosen, loan_id=loan_id, now=moment)
    status = {
        Verdict.SEND: MessageStatus.QUEUED,
        Verdict.DEFER: MessageStatus.DEFERRED,
        Verdict.DROP: MessageStatus.DROPPED,
    }[verdict.verdict]
    try:
        async with in_transaction():
            return await OutboxMessage.create(
                customer_id=customer_id, loan_id=loan_id, installment_id=installment_id,
                channel=chosen,
                contact_point=person_of(customer).contact_points.get(chosen, ""),
                purpose=purpose, status=status, dedupe_key=dedupe_key, body=body,
                scheduled_at=verdict.at or moment, reason=verdict.reason,
                process_instance_id=process_instance_id,
            )  # fmt: skip
    except IntegrityError:
        return await OutboxMessage.get(dedupe_key=dedupe_key)


async def dispatch_due(
    *, now: datetime | None = None, limit: int = 500, send: Sender | None = None,
    worker: str | None = None, wall: datetime | None = None,
    stop: Callable[[], bool] | None = None,
) -> int:  # fmt: skip
    """Resolve abandoned claims, then claim each due message the policy allows, commit, and
    call its channel; returns how many were sent. ``wall`` is the lease clock (default now).

    A channel that is unavailable (refused, timed out, 5xx) is not tried again in the same
    pass: its other messages stay due for the next one, so a hanging gateway holds a pass up
    for one channel timeout, not one per message.

    ``stop`` is asked before each claim and again before each call: once it answers True
    (the worker is shutting down) nothing more is claimed, and a claim whose call has not
    started is given back, so a stopping worker leaves no message SENDING."""
    moment = now or await clock.now()
    lease_clock = wall or datetime.now(UTC)
    sender = send or channels.deliver
    await claims.recover_expired(moment, lease_clock, limit)
    due = Q(status__in=(MessageStatus.QUEUED, MessageStatus.DEFERRED), scheduled_at__lte=moment)
    found = (
        await OutboxMessage.filter(due)
        .order_by("scheduled_at", "id")
        .limit(limit)
        .values_list("id", "channel")
    )
    sent, down = 0, set[Channel]()
    for message_id, channel in found:
        if stop is not None and stop():
            break
        if channel in down:
            continue
        row = await _claim(due, cast(int, message_id), moment, worker or claims.WORKER, lease_clock)
        if row is not None:
            faults.reach("outbox.after_claim")  # a fault point: claimed, the channel not called
            if stop is not None and stop():
                await claims.release(row)
                break
            outcome = await _send(row, moment, sender)
            if outcome is None:
                down.add(channel)
            else:
                sent += outcome
            faults.reach("outbox.after_outcome")  # a fault point: the outcome committed
    return sent


async def _claim(
    due: Q, message_id: int, moment: datetime, worker: str, wall: datetime
) -> OutboxMessage | None:
    """Ask the policy again and, when it allows, claim the row; committed before any call.

    On PostgreSQL the claim holds the customer's contact lock (a transaction-level advisory
    lock) from the policy's question to the commit: two dispatchers judging two messages of
    one customer at once would each count the other's claim as not yet made, and together
    pass a cap that either alone respects. The second waits for the first's claim instead.
    """
    async with in_transaction() as conn:
        row = await (
            OutboxMessage.filter(due, id=message_id).select_for_update(skip_locked=True).first()
        )  # fmt: skip
        if row is None:
            return None  # another dispatcher has it, or it changed
        if conn.capabilities.dialect == "postgres":
            await conn.execute_query(
                "SELECT pg_advisory_xact_lock($1, $2)",
                [CONTACT_LOCK, row.customer_id],  # type: ignore[attr-defined]
            )
        if await _earlier_due(due, row):
            return None  # the customer's earlier message first: whoever has it comes here next
        customer = await Customer.get(id=row.customer_id)  # type: ignore[attr-defined]
        if await _settled(row):
            row.status = MessageStatus.DROPPED
            row.reason = "the installment was paid before sending"
            await row.save(update_fields=["status", "reason"])
            return None
        verdict = await judge(customer, purpose=row.purpose, channel=row.channel,
                              loan_id=row.loan_id, now=moment)  # type: ignore[attr-defined]  # fmt: skip
        if verdict.verdict == Verdict.SEND:
            claims.claim_fields(row, worker, moment, wall)
            await row.save(
                update_fields=["status", "sent_at", "claimed_by", "lease_until", "attempts"]
            )
            faults.reach("outbox.claiming")  # a fault point: the claim written, not committed
            return row
        row.attempts += 1
        if verdict.verdict == Verdict.DEFER:
            row.status, row.scheduled_at = MessageStatus.DEFERRED, verdict.at
        else:
            row.status = MessageStatus.DROPPED
        row.reason = verdict.reason  # type: ignore[assignment]
        await row.save(update_fields=["status", "reason", "scheduled_at", "attempts"])
        return None


async def _earlier_due(due: Q, row: OutboxMessage) -> bool:
    """Whether the customer has a message due before this one: the policy judges a customer's
    messages in order, so which of them the caps let through never depends on which
    dispatcher was faster."""
    before = Q(scheduled_at__lt=row.scheduled_at) | Q(scheduled_at=row.scheduled_at, id__lt=row.id)
    customer_id: int = row.customer_id  # type: ignore[attr-defined]
    return await OutboxMessage.filter(due, before, customer_id=customer_id).exists()


async def _send(row: OutboxMessage, moment: datetime, sender: Sender) -> int | None:
    """Call the channel for a claimed row, then record the outcome if the claim still holds;
    1 sent, 0 not, None when the channel is unavailable (the message waits for a retry)."""
    try:
        reference = await sender(row)
    except UnavailableError as exc:
        _retry_later(row, moment, str(exc))
        await claims.finish(row, status=row.status, scheduled_at=row.scheduled_at,
                            reason=row.reason, sent_at=None)  # fmt: skip
        return None
    except channels.DeliveryRefused as exc:
        await claims.finish(row, status=MessageStatus.FAILED, reason=str(exc), sent_at=None)
        return 0
    faults.reach("outbox.after_send")  # a fault point: accepted by the channel, not yet recorded
    done = await claims.finish(row, status=MessageStatus.SENT, sent_at=moment,
                               provider_ref=reference, reason=None)  # fmt: skip
    return int(done)


def _retry_later(row: OutboxMessage, moment: datetime, reason: str) -> None:
    """The channel is down: try again with back-off, and give up visibly in the end."""
    first = float(os.environ.get("LENDGRAPH_SEND_RETRY_SECONDS", "60"))
    attempts = int(os.environ.get("LENDGRAPH_SEND_ATTEMPTS", "8"))
    row.sent_at = None
    if row.attempts >= attempts:
        row.status = MessageStatus.FAILED
        row.reason = f"{reason} (gave up after {row.attempts} attempts)"
        return
    row.status = MessageStatus.QUEUED
    row.scheduled_at = moment + timedelta(seconds=first * 2 ** (row.attempts - 1))
    row.reason = f"{reason} (attempt {row.attempts}, retrying)"


async def _settled(row: OutboxMessage) -> bool:
    """A reminder whose installment is paid meanwhile is not sent."""
    installment_id = row.installment_id  # type: ignore[attr-defined]
    if installment_id is None or row.purpose != MessagePurpose.REMINDER:
        return False
    return await Installment.filter(id=installment_id, paid_on__isnull=False).exists()


def utc(moment: datetime) -> datetime:
    """An aware moment in UTC (naive ones are taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
