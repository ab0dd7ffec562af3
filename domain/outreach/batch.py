"""Many messages into the outbox at once: the rows ``service.enqueue`` writes one by one.

A batch reads what the contact policy needs of all its messages in a few statements (the
dedupe keys already used, the customers, their recent contacts), decides each message in
order in memory by the same rules, and writes the new rows with one bulk insert. The caps
count contacts made (sent, being sent or perhaps sent), never queued ones, so a message of
the batch never changes another's verdict: only the dedupe key ties them (the first message
of a key writes the row, a later one answers that row, as ``enqueue`` twice does).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, TypeVar

from tortoise import connections
from tortoise.expressions import Q

from domain.batching import gather_in
from domain.clock import service as clock
from domain.customer.models import Customer
from domain.enums import Channel
from domain.errors import NotFoundError, ValidationError
from domain.interaction.models import Direction, Interaction, InteractionType
from domain.outreach.models import MessagePurpose, MessageStatus, OutboxMessage
from domain.outreach.policy import Decision, History, Rules, Verdict, decide
from domain.outreach.service import CONTACTED, choose_channel, person_of, utc
from domain.process import rows as process_rows

R = TypeVar("R")
# what the policy reads of a customer (``service.person_of``, ``service.choose_channel``)
POLICY = ("phone", "email", "preferred_channel", "time_zone", "consent_sms",
          "consent_app_push", "consent_email", "consent_phone")  # fmt: skip
# the keys are bound as parameters: only their placeholders are written into the text
BY_KEY = "SELECT dedupe_key, id, status, reason FROM outbox_message WHERE dedupe_key IN ({})"
STATUS = {Verdict.SEND: MessageStatus.QUEUED, Verdict.DEFER: MessageStatus.DEFERRED,
          Verdict.DROP: MessageStatus.DROPPED}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Message:
    """One message to queue: the arguments of ``service.enqueue``."""

    customer_id: int
    purpose: MessagePurpose
    body: str
    dedupe_key: str
    loan_id: int | None = None
    channel: Channel | None = None
    process_instance_id: int | None = None
    installment_id: int | None = None


@dataclass(frozen=True, slots=True)
class Queued:
    """A message's row in the outbox; ``new`` when this batch queued it."""

    id: int
    status: MessageStatus
    reason: str | None
    new: bool


async def people(ids: Iterable[int], *columns: str) -> dict[int, Any]:
    """Customers by id as plain rows (the policy's columns and ``columns``), each with the
    ``person`` the policy knows of them worked out once."""
    wanted, among = tuple(dict.fromkeys((*POLICY, *columns))), set(ids)
    rows = await _among(among, "id", lambda q: Customer.filter(q).values("id", *wanted))
    found: dict[int, Any] = {}
    for row in rows:
        if row["id"] not in among:
            continue
        customer: Any = SimpleNamespace(**row)
        customer.preferred_channel = Channel(row["preferred_channel"]) if (
            row["preferred_channel"]) else None  # fmt: skip
        customer.person = person_of(customer)
        found[int(row["id"])] = customer
    return found


async def _among(
    ids: set[int], field: str, fetch: Callable[[Q], Awaitable[Iterable[R]]]
) -> list[R]:
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
        among: dict[str, Any] = {f"{field}__in": batch}
        return fetch(Q(**among))

    return await gather_in(sorted(ids), listed)


@dataclass
class Contacts:
    """Earlier contacts of a set of customers (what ``service.history`` reads), read once."""

    outbound: dict[int, list[tuple[int | None, str, datetime]]]
    sent: dict[int, list[tuple[int | None, str, datetime]]]

    @classmethod
    async def of(cls, customers: Iterable[int], now: datetime, rules: Rules) -> Contacts:
        """The customers' outbound calls, messages and visits and their messages sent in the
        span ``service.history`` looks at: two statements (per 10,000 scattered customers)."""
        ids = set(customers)
        since = now - timedelta(days=max(rules.debt_cap_days, 2))
        kinds = (InteractionType.CALL, InteractionType.MESSAGE, InteractionType.VISIT)
        found = cls(defaultdict(list), defaultdict(list))
        outbound = await _among(ids, "customer_id", lambda q: Interaction.filter(
            q, direction=Direction.OUTBOUND, occurred_at__gt=since, type__in=kinds,
        ).values_list("customer_id", "loan_id", "type", "occurred_at"))  # fmt: skip
        for cid, loan, kind, at in outbound:
            if at is not None:
                found.outbound[cid].append((loan, str(kind), utc(at)))
        sent = await _among(ids, "customer_id", lambda q: OutboxMessage.filter(
            q, status__in=CONTACTED, sent_at__gt=since,
        ).values_list("customer_id", "loan_id", "contact_point", "sent_at"))  # fmt: skip
        for cid, loan, point, at in sent:
            if at is not None:
                found.sent[cid].append((loan, str(point), utc(at)))
        return found

    def history(self, customer: Any, loan_id: int | None, point: str) -> History:
        """As ``service.history`` counts them."""
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
        """As ``service.judge`` decides."""
        person = customer.person
        past = self.history(customer, loan_id, person.contact_points.get(channel, ""))
        debt_related = purpose == MessagePurpose.COLLECTION and loan_id is not None
        return decide(purpose=purpose, channel=channel, person=person, now=now, history=past,
                      debt_related=debt_related, rules=rules)  # fmt: skip


async def enqueue_many(messages: Sequence[Message], *, now: datetime | None = None) -> list[Queued]:
    """Put the messages in the outbox as ``service.enqueue`` would one after the other (the
    same rows, statuses, reasons and times); their rows in order.

    What ``enqueue`` would raise for a message (a bad dedupe key, an unknown customer) is
    raised before anything is written. A key another transaction writes meanwhile answers
    that row, as in ``enqueue``."""
    keys = [m.dedupe_key for m in messages if 0 < len(m.dedupe_key) <= 200]
    existing = await _rows_of(set(keys))
    fresh = [m for m in messages if m.dedupe_key not in existing]
    customers = await people(m.customer_id for m in fresh)
    moment = now or await clock.now()
    rules = Rules.from_env()
    contacts = await Contacts.of(customers, moment, rules) if customers else None
    rows: dict[str, dict[str, Any]] = {}  # by key: the first message of a key writes it
    for message in messages:
        key = message.dedupe_key
        if not key or len(key) > 200:
            raise ValidationError.single("dedupe_key", "must be 1..200 characters")
        if key in existing or key in rows:
            continue
        customer = customers.get(message.customer_id)
        if customer is None or contacts is None:
            raise NotFoundError("customer", message.customer_id)
        rows[key] = _row(message, customer, contacts, moment, rules)
    await process_rows.insert(OutboxMessage, list(rows.values()), skip_conflicts=True)
    made = await _rows_of(rows)
    out: list[Queued] = []
    for message in messages:
        key = message.dedupe_key
        if key in existing:
            out.append(Queued(*existing[key], new=False))
        else:
            out.append(Queued(*made[key], new=key in rows))
            rows.pop(key, None)  # a later message of the key answers the same row, not new
    return out


async def used(keys: Iterable[str]) -> set[str]:
    """Which of these dedupe keys the outbox holds already."""
    return set(await _rows_of(keys))


async def _rows_of(keys: Iterable[str]) -> dict[str, tuple[int, MessageStatus, str | None]]:
    """The outbox rows of these dedupe keys: id, status and reason by key (plain SQL: the
    ORM spends longer building a statement of 10,000 keys than the database answering it)."""
    connection = connections.get("default")

    async def fetch(batch: list[str]) -> list[Any]:
        marks = ", ".join(process_rows.placeholders(connection, len(batch)))
        return list((await connection.execute_query(BY_KEY.format(marks), batch))[1])

    found = await gather_in(keys, fetch)
    return {str(k): (int(i), MessageStatus(s), r) for k, i, s, r in found}


def _row(
    message: Message, customer: Any, contacts: Contacts, moment: datetime, rules: Rules
) -> dict[str, Any]:
    """The outbox row ``enqueue`` writes for a message of a key not yet used."""
    chosen = choose_channel(customer, message.channel, customer.person)
    verdict = contacts.judge(customer, message.purpose, chosen, message.loan_id, moment, rules)
    return {
        "customer_id": message.customer_id, "loan_id": message.loan_id,
        "installment_id": message.installment_id, "channel": chosen,
        "contact_point": customer.person.contact_points.get(chosen, ""),
        "purpose": message.purpose, "status": STATUS[verdict.verdict],
        "dedupe_key": message.dedupe_key, "body": message.body,
        "scheduled_at": verdict.at or moment, "sent_at": None, "reason": verdict.reason,
        "attempts": 0, "provider_ref": None, "process_instance_id": message.process_instance_id,
        "claimed_by": None, "lease_until": None, "created_at": datetime.now(UTC),
    }  # fmt: skip
