"""Many messages into the outbox at once: the rows ``service.enqueue`` writes one by one.

A batch reads what the contact policy needs of all its messages in a few statements (the
dedupe keys already used, the customers, their recent contacts), decides each message in
order in memory by the same rules, and writes the new rows with one bulk insert. The caps
count contacts made (sent, being sent or perhaps sent), never queued ones, so a message of
the batch never changes another's verdict: only the dedupe key ties them (the first message
of a key writes the row, a later one answers that row, as ``enqueue`` twice does).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from tortoise import connections

from domain.batching import gather_in
from domain.clock import service as clock
from domain.customer.models import Customer
from domain.enums import Channel
from domain.errors import NotFoundError, ValidationError
from domain.outreach.models import MessagePurpose, MessageStatus, OutboxMessage
from domain.outreach.policy import Rules, Verdict
from domain.outreach.service import Contacts as Contacts  # bulk_ops judges by it from here
from domain.outreach.service import among, choose_channel, person_of
from domain.process import rows as process_rows

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
    wanted, chosen = tuple(dict.fromkeys((*POLICY, *columns))), set(ids)
    rows = await among(chosen, "id", lambda q: Customer.filter(q).values("id", *wanted))
    found: dict[int, Any] = {}
    for row in rows:
        if row["id"] not in chosen:
            continue
        customer: Any = SimpleNamespace(**row)
        customer.preferred_channel = Channel(row["preferred_channel"]) if (
            row["preferred_channel"]) else None  # fmt: skip
        customer.person = person_of(customer)
        found[int(row["id"])] = customer
    return found


async def enqueue_many(
    messages: Sequence[Message], *, now: datetime | None = None, unused: bool = False
) -> list[Queued]:
    """Put the messages in the outbox as ``service.enqueue`` would one after the other (the
    same rows, statuses, reasons and times); their rows in order.

    What ``enqueue`` would raise for a message (a bad dedupe key, an unknown customer) is
    raised before anything is written. A key another transaction writes meanwhile answers
    that row, as in ``enqueue``. ``unused``: the caller has just found the keys unused
    (:func:`used`), so they are not read again before the rows are written."""
    keys = [m.dedupe_key for m in messages if 0 < len(m.dedupe_key) <= 200]
    existing = {} if unused else await _rows_of(set(keys))
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
