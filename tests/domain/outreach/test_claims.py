"""Claim, commit, then call: a message interrupted mid-send is resolved, never silently resent."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest

from domain import faults
from domain.enums import Channel
from domain.errors import UnavailableError
from domain.outreach import channels, claims
from domain.outreach import service as outbox
from domain.outreach.models import MessagePurpose, MessageStatus, OutboxMessage
from tests import factories
from tests.domain.outreach.gateway import Gateway, gateway
from tests.domain.outreach.test_channels import Inbox, smtp_server  # noqa: F401  (a fixture)

NOON = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai: inside the window
WALL = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)  # the lease clock
LATER = WALL + timedelta(seconds=claims.lease_seconds() + 1)  # every lease taken then is over


@pytest.fixture
def gw() -> Iterator[Gateway]:
    with gateway() as served:
        yield served


@pytest.fixture
def crash_after_send(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(faults.FAULT_ENV, "outbox.after_send")
    monkeypatch.setenv(faults.FAULT_ACTION_ENV, "raise")


async def _queued(channel: Channel, key: str, **contact: Any) -> OutboxMessage:
    customer = await factories.customer(preferred_channel=channel, **contact)
    return await outbox.enqueue(customer_id=customer.id, purpose=MessagePurpose.COLLECTION,
                                body="您的借款已逾期", dedupe_key=key, now=NOON)  # fmt: skip


async def _crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A dispatcher dies after the channel accepted, before the outcome is committed."""
    with pytest.raises(faults.FaultInjected):
        await outbox.dispatch_due(now=NOON, wall=WALL)
    monkeypatch.delenv(faults.FAULT_ENV)


async def test_a_claim_is_committed_before_the_call(db: str, gw: Gateway, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    gw.use(monkeypatch, status=True)
    message = await _queued(Channel.SMS, "collection:1:D3", phone="13800001001")
    seen: dict[str, Any] = {}

    async def send(row: OutboxMessage) -> str:
        stored = await OutboxMessage.get(id=row.id)  # another connection's view: committed
        seen.update(status=stored.status, by=stored.claimed_by, until=stored.lease_until,
                    attempts=stored.attempts)  # fmt: skip
        return "ref-1"

    assert await outbox.dispatch_due(now=NOON, wall=WALL, worker="w1", send=send) == 1
    assert seen == {"status": MessageStatus.SENDING, "by": "w1", "attempts": 1,
                    "until": WALL + timedelta(seconds=claims.lease_seconds())}  # fmt: skip
    await message.refresh_from_db()
    assert (message.status, message.provider_ref, message.lease_until) == (
        MessageStatus.SENT, "ref-1", None)  # fmt: skip


async def test_a_crash_after_accept_is_resolved_by_the_gateways_status(
    db: str, gw: Gateway, monkeypatch: pytest.MonkeyPatch, crash_after_send: None
) -> None:
    gw.use(monkeypatch, status=True)
    message = await _queued(Channel.SMS, "collection:2:D3", phone="13800001002")
    await _crash(monkeypatch)
    await message.refresh_from_db()
    assert message.status == MessageStatus.SENDING and message.claimed_by == claims.WORKER
    assert await outbox.dispatch_due(now=NOON, wall=WALL + timedelta(seconds=10)) == 0
    await message.refresh_from_db()
    assert message.status == MessageStatus.SENDING and gw.lookups == []  # the lease holds
    await outbox.dispatch_due(now=NOON, wall=LATER)
    await message.refresh_from_db()
    assert (message.status, message.provider_ref) == (MessageStatus.SENT, "gw-1")
    assert gw.posts == {"collection:2:D3": 1} and gw.lookups == ["collection:2:D3"]


async def test_a_crash_without_a_status_endpoint_leaves_it_uncertain(
    db: str, gw: Gateway, monkeypatch: pytest.MonkeyPatch, crash_after_send: None
) -> None:
    gw.use(monkeypatch, status=False)
    message = await _queued(Channel.SMS, "collection:3:D3", phone="13800001003")
    await _crash(monkeypatch)
    await outbox.dispatch_due(now=NOON, wall=LATER)
    await outbox.dispatch_due(now=NOON + timedelta(hours=1), wall=LATER + timedelta(hours=1))
    await message.refresh_from_db()
    assert (message.status, message.reason) == (MessageStatus.UNCERTAIN, claims.STOPPED)
    assert gw.posts == {"collection:3:D3": 1}


async def test_a_claim_the_gateway_never_saw_is_sent_again_once(
    db: str, gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw.use(monkeypatch, status=True)
    message = await _queued(Channel.SMS, "collection:4:D3", phone="13800001004")

    async def dies_before_the_call(row: OutboxMessage) -> str:
        raise faults.FaultInjected("before the call")

    with pytest.raises(faults.FaultInjected):
        await outbox.dispatch_due(now=NOON, wall=WALL, send=dies_before_the_call)
    assert await outbox.dispatch_due(now=NOON, wall=LATER) == 1
    await message.refresh_from_db()
    assert (message.status, message.provider_ref, message.attempts) == (
        MessageStatus.SENT, "gw-1", 2)  # fmt: skip
    assert gw.posts == {"collection:4:D3": 1}


async def test_an_unreachable_status_endpoint_keeps_the_claim_and_asks_later(
    db: str, gw: Gateway, monkeypatch: pytest.MonkeyPatch, crash_after_send: None
) -> None:
    gw.use(monkeypatch, status=True)
    message = await _queued(Channel.SMS, "collection:5:D3", phone="13800001005")
    await _crash(monkeypatch)
    gw.status_code = 503
    await outbox.dispatch_due(now=NOON, wall=LATER)
    await message.refresh_from_db()
    assert message.status == MessageStatus.SENDING and "asking the gateway again" in (
        message.reason or "")  # fmt: skip
    gw.status_code = 200
    await outbox.dispatch_due(now=NOON, wall=LATER + timedelta(seconds=2 * claims.lease_seconds()))
    await message.refresh_from_db()
    assert message.status == MessageStatus.SENT and gw.posts == {"collection:5:D3": 1}


async def test_a_late_finisher_changes_nothing(
    db: str, gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw.use(monkeypatch, status=True)
    message = await _queued(Channel.SMS, "collection:6:D3", phone="13800001006")

    async def slow(row: OutboxMessage) -> str:
        # while this worker hangs, its lease ends; another worker finds the gateway never
        # took the key, and sends it itself
        assert await outbox.dispatch_due(now=NOON, wall=LATER, worker="w2") == 1
        return "ref-of-the-late-one"

    assert await outbox.dispatch_due(now=NOON, wall=WALL, worker="w1", send=slow) == 0
    await message.refresh_from_db()
    assert (message.status, message.provider_ref, message.claimed_by) == (
        MessageStatus.SENT, "gw-1", "w2")  # fmt: skip

    other = await _queued(Channel.SMS, "collection:7:D3", phone="13800001007")

    async def slow_outage(row: OutboxMessage) -> str:
        await outbox.dispatch_due(now=NOON, wall=LATER, worker="w2")
        raise UnavailableError("gateway", "HTTP 503")

    monkeypatch.delenv("LENDGRAPH_SMS_STATUS_URL")  # w2 can only mark it UNCERTAIN
    await outbox.dispatch_due(now=NOON, wall=WALL, worker="w1", send=slow_outage)
    await other.refresh_from_db()
    assert (other.status, other.reason) == (MessageStatus.UNCERTAIN, claims.STOPPED)


async def test_an_email_keeps_its_message_id_across_attempts(
    db: str,
    smtp_server: Inbox,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = await _queued(Channel.EMAIL, "collection:8:D3", email="li@example.cn")
    tried: list[Message] = []
    accept = smtp_server.handle_DATA

    async def busy_once(server, session, envelope):  # type: ignore[no-untyped-def]
        if not tried:
            tried.append(message_from_bytes(envelope.content))
            return "451 try again later"
        return await accept(server, session, envelope)

    monkeypatch.setattr(smtp_server, "handle_DATA", busy_once)
    assert await outbox.dispatch_due(now=NOON, wall=WALL) == 0
    await message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and "451" in (message.reason or "")
    assert await outbox.dispatch_due(now=NOON + timedelta(minutes=2), wall=WALL) == 1
    [mail] = smtp_server.mails
    digest = hashlib.sha256(b"collection:8:D3").hexdigest()[:16]
    expected = f"<outbox-{message.id}.{digest}@lender.example>"
    assert tried[0]["Message-ID"] == mail["Message-ID"] == expected
    await message.refresh_from_db()
    assert message.provider_ref == expected


async def test_an_email_interrupted_after_accept_is_uncertain(
    db: str,
    smtp_server: Inbox,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    crash_after_send: None,
) -> None:
    message = await _queued(Channel.EMAIL, "collection:9:D3", email="zhao@example.cn")
    await _crash(monkeypatch)
    await outbox.dispatch_due(now=NOON, wall=LATER)
    await message.refresh_from_db()
    assert message.status == MessageStatus.UNCERTAIN and len(smtp_server.mails) == 1
    assert not channels.can_look_up(message)


async def test_two_dispatchers_send_each_message_once(
    db: str, gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw.use(monkeypatch, status=True)
    for n in range(12):
        await _queued(Channel.SMS, f"collection:c{n}:D3", phone=f"1390000{n:04d}")

    async def slowly(row: OutboxMessage) -> str:
        await asyncio.sleep(0.01)  # let the other dispatcher interleave
        return await channels.deliver(row)

    counts = await asyncio.gather(*(
        outbox.dispatch_due(now=NOON, wall=WALL, worker=f"w{i}", send=slowly) for i in range(2)
    ))  # fmt: skip
    assert sum(counts) == 12
    assert set(gw.posts.values()) == {1} and len(gw.posts) == 12
    statuses = await OutboxMessage.all().values_list("status", flat=True)
    assert set(statuses) == {MessageStatus.SENT}


async def test_a_message_perhaps_sent_counts_against_the_caps(
    db: str, gw: Gateway, monkeypatch: pytest.MonkeyPatch, crash_after_send: None
) -> None:
    gw.use(monkeypatch, status=False)
    monkeypatch.setenv("LENDGRAPH_CONTACT_POINT_CAP", "1")
    customer = await factories.customer(preferred_channel=Channel.SMS, phone="13800001099")
    for n in (1, 2):
        await outbox.enqueue(customer_id=customer.id, purpose=MessagePurpose.REMINDER, body="提醒",
                             dedupe_key=f"reminder:cap{n}", now=NOON)  # fmt: skip
    await _crash(monkeypatch)  # the first one, perhaps sent
    await outbox.dispatch_due(now=NOON, wall=LATER)
    first, second = await OutboxMessage.filter(customer_id=customer.id).order_by("id")
    assert (first.status, second.status) == (MessageStatus.UNCERTAIN, MessageStatus.DEFERRED)
    assert gw.posts == {"reminder:cap1": 1}
