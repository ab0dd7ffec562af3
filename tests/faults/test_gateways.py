"""Gateways that refuse connections, hang, or fail: no message is lost, none goes twice.

SMS and push go to a real local HTTP gateway (it dedupes by idempotency key), email to a real
SMTP server. While the channel is down a message stays QUEUED with its retry time and the
reason, which the `messages` query shows; once the channel is back it is sent exactly once.
A hanging channel costs a dispatch pass one channel timeout, not one per message.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from domain.enums import Channel
from domain.outreach import channels
from domain.outreach import service as outbox
from domain.outreach.models import MessagePurpose, MessageStatus, OutboxMessage
from tests import factories
from tests.api.conftest import GraphQLClient, anonymous, gql  # noqa: F401  (fixtures)
from tests.domain.outreach.gateway import Gateway
from tests.httpfake import Answer, Recorded, serve

NOON = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai, inside the window
TIMEOUT = 1.0  # the channels' timeout while a channel hangs (10 s in production)
UP_TIMEOUT = 10.0  # and once it is back: a loaded machine must not turn a slow answer into a retry
MESSAGES = 3
QUEUED = (
    """{ messages(filter: {status: QUEUED}) { edges { node { dedupeKey scheduledAt reason } } } }"""
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Switch:
    """What the channel does now: "up", "refuse" (nothing listens), "hang" or "error"."""

    mode: str = "up"


@dataclass
class Inbox:
    """A real SMTP server's mailbox; ``temporary`` answers 451 to every message."""

    mails: list[Any] = field(default_factory=list)
    temporary: bool = False

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        if self.temporary:
            return "451 4.3.0 try again later"
        self.mails.append(message_from_bytes(envelope.content))
        return "250 Message accepted"


@contextmanager
def _silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never says a word (a hung SMTP server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()
        for conn in held:
            conn.close()


class Channels:
    """Both kinds of channel, switchable between up and each way of being down."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, gw: Gateway, gw_url: str,
                 inbox: Inbox, smtp_port: int, silent_port: int) -> None:  # fmt: skip
        self.monkeypatch, self.gw, self.gw_url = monkeypatch, gw, gw_url
        self.inbox, self.smtp_port, self.silent_port = inbox, smtp_port, silent_port
        self.switch = Switch()
        self.hung = 0  # requests the hanging gateway held

    def answer(self, request: Recorded) -> Answer:
        if self.switch.mode == "hang":
            self.hung += 1
            return Answer(503, {"error": "late"}, delay=TIMEOUT * 3)  # the client gave up
        if self.switch.mode == "error":
            return Answer(500, {"error": "internal"})
        return self.gw.answer(request)

    def set(self, mode: str) -> None:
        """Make the gateway and the mail server behave so."""
        self.switch.mode = mode
        self.monkeypatch.setattr(
            channels, "TIMEOUT_SECONDS", TIMEOUT if mode == "hang" else UP_TIMEOUT
        )
        env = self.monkeypatch.setenv
        url = f"http://127.0.0.1:{_free_port()}" if mode == "refuse" else self.gw_url
        env("LENDGRAPH_SMS_WEBHOOK_URL", f"{url}/send")
        env("LENDGRAPH_PUSH_WEBHOOK_URL", f"{url}/send")
        port = {"refuse": _free_port(), "hang": self.silent_port}.get(mode, self.smtp_port)
        env("LENDGRAPH_SMTP_PORT", str(port))
        self.inbox.temporary = mode == "error"

    def received(self) -> dict[str, int]:
        """Per dedupe key, how often it reached a customer (the gateway dedupes by key)."""
        got = {key: 1 for key in self.gw.accepted}
        for mail in self.inbox.mails:
            key = mail["X-Lendgraph-Dedupe-Key"]
            got[key] = got.get(key, 0) + 1
        return got


@pytest.fixture
def down(monkeypatch: pytest.MonkeyPatch) -> Iterator[Channels]:
    monkeypatch.setattr(channels, "TIMEOUT_SECONDS", TIMEOUT)
    inbox, smtp_port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    monkeypatch.setenv("LENDGRAPH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LENDGRAPH_SMTP_FROM", "service@lender.example")
    try:
        with serve() as server, _silent_server() as silent:
            gw = Gateway(url=server.url)
            found = Channels(monkeypatch, gw, server.url, inbox, smtp_port, silent)
            server.responder = found.answer
            yield found
    finally:
        controller.stop()


async def _queue(channel: Channel) -> list[OutboxMessage]:
    made = []
    for n in range(MESSAGES):
        customer = await factories.customer(
            f"客户{n}", preferred_channel=channel, phone=f"1380000{n:04d}", email=f"c{n}@example.cn"
        )  # fmt: skip
        made.append(await outbox.enqueue(
            customer_id=customer.id, purpose=MessagePurpose.REMINDER, body="您的借款将于6月22日到期",
            dedupe_key=f"reminder:{channel.value}:{n}:T-7", now=NOON,
        ))  # fmt: skip
    return made


REASONS = {
    ("refuse", "http"): "ConnectError", ("hang", "http"): "ReadTimeout",
    ("error", "http"): "HTTP 500", ("refuse", "smtp"): "ConnectionRefusedError",
    ("hang", "smtp"): "timed out", ("error", "smtp"): "451",
}  # fmt: skip


@pytest.mark.parametrize("mode", ["refuse", "hang", "error"])
@pytest.mark.parametrize("channel", [Channel.SMS, Channel.APP_PUSH, Channel.EMAIL])
async def test_a_channel_that_is_down_loses_nothing_and_sends_once_when_back(
    gql: GraphQLClient,  # noqa: F811
    down: Channels,
    channel: Channel,
    mode: str,
) -> None:
    # given
    messages = await _queue(channel)
    down.set(mode)
    # when: a pass while the channel is down
    assert await outbox.dispatch_due(now=NOON) == 0
    # then: one message tried, given a retry time and the reason; the others wait their turn,
    # not tried (so a channel that hangs holds the pass for one timeout, not one a message)
    first, *rest = messages
    await first.refresh_from_db()
    assert (first.status, first.attempts) == (MessageStatus.QUEUED, 1)
    assert first.scheduled_at == NOON + timedelta(seconds=60)
    kind = "smtp" if channel == Channel.EMAIL else "http"
    listed = {
        e["node"]["dedupeKey"]: e["node"] for e in (await gql.data(QUEUED))["messages"]["edges"]
    }
    assert set(listed) == {m.dedupe_key for m in messages}  # none lost
    shown = listed[first.dedupe_key]
    assert REASONS[mode, kind] in shown["reason"] and "attempt 1, retrying" in shown["reason"]
    assert shown["scheduledAt"].startswith("2026-06-15T04:01:00")
    for other in rest:
        await other.refresh_from_db()
        assert (other.status, other.attempts, other.scheduled_at) == (MessageStatus.QUEUED, 0, NOON)
    assert down.received() == {}
    # when: the channel is back, after the retry time
    down.set("up")
    sent = await outbox.dispatch_due(now=NOON + timedelta(seconds=61))
    rows = await OutboxMessage.filter(id__in=[m.id for m in messages]).values_list(
        "dedupe_key", "status", "attempts", "reason"
    )
    assert sent == MESSAGES, rows
    assert await outbox.dispatch_due(now=NOON + timedelta(hours=1)) == 0
    # then: each message reached its customer once, and the rows say so
    assert down.received() == {m.dedupe_key: 1 for m in messages}
    for message in messages:
        await message.refresh_from_db()
        assert message.status == MessageStatus.SENT and message.reason is None
    if kind == "http" and mode == "hang":  # the held request carried the same key as the retry
        assert down.hung == 1 and down.gw.posts[first.dedupe_key] == 1
