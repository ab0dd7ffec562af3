"""Channel adapters against real local servers: SMTP, an SMS gateway, and their failures."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from domain.enums import Channel
from domain.outreach import service as outbox
from domain.outreach.models import MessagePurpose, MessageStatus, OutboxMessage
from tests import factories
from tests.httpfake import Answer, serve

NOON = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


class Inbox:
    def __init__(self) -> None:
        self.mails: list[Any] = []
        self.refuse: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
        if self.refuse and address == self.refuse:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.mails.append(message_from_bytes(envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("LENDGRAPH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LENDGRAPH_SMTP_PORT", str(port))
    monkeypatch.setenv("LENDGRAPH_SMTP_FROM", "service@lender.example")
    yield inbox
    controller.stop()


async def _queued(channel: Channel, key: str, **contact: Any) -> OutboxMessage:
    customer = await factories.customer(preferred_channel=channel, **contact)
    return await outbox.enqueue(customer_id=customer.id, purpose=MessagePurpose.REMINDER,
                                body="您的借款将于6月22日到期", dedupe_key=key, now=NOON)  # fmt: skip


async def test_an_email_goes_out_over_smtp_once(db: str, smtp_server: Inbox) -> None:
    message = await _queued(Channel.EMAIL, "reminder:1:T-7", email="wang@example.cn")
    assert await outbox.dispatch_due(now=NOON) == 1
    assert await outbox.dispatch_due(now=NOON + timedelta(hours=1)) == 0
    [mail] = smtp_server.mails
    assert (mail["To"], mail["From"]) == ("wang@example.cn", "service@lender.example")
    assert mail["X-Lendgraph-Dedupe-Key"] == "reminder:1:T-7"
    assert "6月22日" in mail.get_payload(decode=True).decode()
    await message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.provider_ref == mail["Message-ID"]


async def test_a_refused_address_fails_visibly(db: str, smtp_server: Inbox) -> None:
    smtp_server.refuse = "nobody@example.cn"
    message = await _queued(Channel.EMAIL, "reminder:2:T-7", email="nobody@example.cn")
    assert await outbox.dispatch_due(now=NOON) == 0
    await message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and "recipient refused" in (message.reason or "")


async def test_a_gateway_outage_is_retried_with_back_off_then_delivered(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve() as gateway:
        monkeypatch.setenv("LENDGRAPH_SMS_WEBHOOK_URL", f"{gateway.url}/sms")
        message = await _queued(Channel.SMS, "reminder:3:T-3", phone="13800005555")
        gateway.script = [Answer(status=503)]
        assert await outbox.dispatch_due(now=NOON) == 0
        await message.refresh_from_db()
        assert message.status == MessageStatus.QUEUED and message.attempts == 1
        assert message.scheduled_at == NOON + timedelta(seconds=60)
        assert "HTTP 503" in (message.reason or "")
        assert await outbox.dispatch_due(now=NOON + timedelta(seconds=30)) == 0  # not yet
        gateway.script = [Answer(body={"id": "sms-778"})]
        assert await outbox.dispatch_due(now=NOON + timedelta(seconds=61)) == 1
    await message.refresh_from_db()
    assert (message.status, message.provider_ref) == (MessageStatus.SENT, "sms-778")
    first, second = gateway.requests
    assert second.headers["idempotency-key"] == "reminder:3:T-3"
    assert second.body == {"channel": "SMS", "to": "13800005555", "body": "您的借款将于6月22日到期",
                           "purpose": "REMINDER", "dedupe_key": "reminder:3:T-3"}  # fmt: skip
    assert first.body == second.body


async def test_a_gateway_that_refuses_the_message_fails_it(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve() as gateway:
        monkeypatch.setenv("LENDGRAPH_SMS_WEBHOOK_URL", f"{gateway.url}/sms")
        message = await _queued(Channel.SMS, "reminder:4:T-3", phone="13800006666")
        gateway.script = [Answer(status=422, body={"error": "invalid number"})]
        assert await outbox.dispatch_due(now=NOON) == 0
    await message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and "HTTP 422" in (message.reason or "")
