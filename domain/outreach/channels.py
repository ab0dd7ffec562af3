"""Channel adapters: how an allowed message leaves lendgraph.

- EMAIL over SMTP when ``LENDGRAPH_SMTP_HOST`` is set (``_PORT``, ``_USER``, ``_PASSWORD``,
  ``_FROM``, ``_STARTTLS=1``),
- SMS and APP_PUSH to an HTTP gateway when ``LENDGRAPH_SMS_WEBHOOK_URL`` /
  ``LENDGRAPH_PUSH_WEBHOOK_URL`` is set (JSON POST, ``Idempotency-Key`` = the dedupe key,
  optional bearer ``LENDGRAPH_WEBHOOK_KEY``); a gateway may also answer, at
  ``LENDGRAPH_SMS_STATUS_URL`` / ``LENDGRAPH_PUSH_STATUS_URL``, what became of a key
  (``GET {url}?idempotency_key=…``, see :func:`lookup`),
- otherwise the demo log file (``LENDGRAPH_OUTBOX_LOG``).

Every attempt at one message carries the same identity: the dedupe key as the gateway's
idempotency key, and the same ``Message-ID`` for email (:func:`message_id`).

A channel answers with a provider reference, or raises :class:`UnavailableError` (try again
later: connection refused, timeout, 4xx SMTP replies, HTTP 429 and 5xx) or
:class:`DeliveryRefused` (never: the address or the message was rejected).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

import httpx

from domain.enums import Channel
from domain.errors import UnavailableError
from domain.outreach.models import OutboxMessage

TIMEOUT_SECONDS = 10.0
SUBJECTS = {
    "REMINDER": "还款提醒 Payment reminder",
    "COLLECTION": "逾期提醒 Overdue payment",
    "CARE": "来自我们的问候 Greetings",
    "OFFER": "专属额度提升 Your limit offer",
    "CAMPAIGN": "邀请 Invitation",
}


class DeliveryRefused(Exception):
    """The channel refused the message for good (bad address, rejected content)."""


def _line(message: OutboxMessage) -> str:
    return json.dumps({
        "id": message.id, "dedupe_key": message.dedupe_key, "channel": message.channel.value,
        "to": message.contact_point, "purpose": message.purpose.value, "body": message.body,
        "sent_at": message.sent_at.isoformat() if message.sent_at else None,
    }, ensure_ascii=False)  # fmt: skip


async def log_file(message: OutboxMessage) -> str:
    """The demo channel: one JSON line per message."""
    path = Path(os.environ.get("LENDGRAPH_OUTBOX_LOG", "lendgraph-outbox.log"))
    line = _line(message)

    def append() -> None:
        with path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")

    await asyncio.to_thread(append)
    return f"log:{message.id}"


def message_id(message: OutboxMessage) -> str:
    """The email's Message-ID: the same on every attempt, so a resend is recognisable."""
    sender = parseaddr(os.environ.get("LENDGRAPH_SMTP_FROM", ""))[1]
    domain = sender.rpartition("@")[2] or "lendgraph"
    digest = hashlib.sha256(message.dedupe_key.encode()).hexdigest()[:16]
    return f"<outbox-{message.id}.{digest}@{domain}>"


async def smtp(message: OutboxMessage) -> str:
    """Send an email; the Message-ID is stable and the dedupe key travels in a header."""
    host = os.environ["LENDGRAPH_SMTP_HOST"]
    port = int(os.environ.get("LENDGRAPH_SMTP_PORT", "25"))
    email = EmailMessage()
    email["From"] = os.environ.get("LENDGRAPH_SMTP_FROM", "lendgraph@localhost")
    email["To"] = message.contact_point
    email["Subject"] = SUBJECTS.get(message.purpose.value, "lendgraph")
    email["Message-ID"] = message_id(message)
    email["X-Lendgraph-Dedupe-Key"] = message.dedupe_key
    email.set_content(message.body)

    def send() -> str:
        with smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS) as client:
            if os.environ.get("LENDGRAPH_SMTP_STARTTLS") == "1":
                client.starttls()
            if os.environ.get("LENDGRAPH_SMTP_USER"):
                client.login(os.environ["LENDGRAPH_SMTP_USER"],
                             os.environ.get("LENDGRAPH_SMTP_PASSWORD", ""))  # fmt: skip
            client.send_message(email)
        return str(email["Message-ID"])

    try:
        return await asyncio.to_thread(send)
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryRefused(f"recipient refused: {exc.recipients}") from exc
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise UnavailableError("SMTP", f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        raise DeliveryRefused(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise UnavailableError("SMTP", f"{type(exc).__name__}: {exc}") from exc


def _headers(message: OutboxMessage) -> dict[str, str]:
    headers = {"Idempotency-Key": message.dedupe_key}
    if os.environ.get("LENDGRAPH_WEBHOOK_KEY"):
        headers["Authorization"] = f"Bearer {os.environ['LENDGRAPH_WEBHOOK_KEY']}"
    return headers


async def webhook(message: OutboxMessage, url: str) -> str:
    """POST the message to a gateway; its JSON ``id`` (if any) is the provider reference."""
    headers = _headers(message)
    payload = {
        "channel": message.channel.value, "to": message.contact_point, "body": message.body,
        "purpose": message.purpose.value, "dedupe_key": message.dedupe_key,
    }  # fmt: skip
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
            answer = await client.post(url, json=payload, headers=headers)
    except httpx.HTTPError as exc:
        raise UnavailableError("gateway", f"{type(exc).__name__}: {exc}") from exc
    if answer.status_code == 429 or answer.status_code >= 500:
        raise UnavailableError("gateway", f"HTTP {answer.status_code}")
    if answer.status_code >= 400:
        raise DeliveryRefused(f"gateway refused: HTTP {answer.status_code} {answer.text[:200]}")
    try:
        reference = answer.json().get("id")
    except (ValueError, AttributeError):
        reference = None
    return str(reference or f"http:{message.id}")


def _gateway(message: OutboxMessage, variable: str) -> str | None:
    names = {Channel.SMS: "SMS", Channel.APP_PUSH: "PUSH"}
    name = names.get(message.channel)
    if name is None:
        return None
    return os.environ.get(f"LENDGRAPH_{name}_{variable}") or None


async def deliver(message: OutboxMessage) -> str:
    """Send through the channel configured for the message's channel."""
    if message.channel == Channel.EMAIL and os.environ.get("LENDGRAPH_SMTP_HOST"):
        return await smtp(message)
    url = _gateway(message, "WEBHOOK_URL")
    if url:
        return await webhook(message, url)
    return await log_file(message)


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a gateway says of a key: ``sent`` (with its reference), ``unknown`` or ``failed``."""

    state: str
    reference: str | None = None
    reason: str | None = None


SENT_STATES = frozenset({"accepted", "queued", "sent", "delivered"})
FAILED_STATES = frozenset({"failed", "rejected", "refused", "undeliverable"})


def can_look_up(message: OutboxMessage) -> bool:
    """Whether the message's channel is a gateway with a status endpoint."""
    if message.channel == Channel.EMAIL and os.environ.get("LENDGRAPH_SMTP_HOST"):
        return False
    return bool(_gateway(message, "WEBHOOK_URL") and _gateway(message, "STATUS_URL"))


async def lookup(message: OutboxMessage) -> Lookup:
    """Ask the gateway what became of the message's idempotency key.

    ``GET {status url}?idempotency_key={dedupe key}`` (same bearer key as sending). A 404, or
    ``{"status": "unknown"}``, means the gateway never took it; ``{"status": "accepted" |
    "queued" | "sent" | "delivered", "id": …}`` that it did; ``"failed" | "rejected" | …``
    that it refused it. Anything else raises :class:`UnavailableError` (ask again later).
    """
    url = _gateway(message, "STATUS_URL")
    if url is None:
        raise UnavailableError("gateway", "no status endpoint")
    headers = _headers(message)
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
            answer = await client.get(url, params={"idempotency_key": message.dedupe_key},
                                      headers=headers)  # fmt: skip
    except httpx.HTTPError as exc:
        raise UnavailableError("gateway status", f"{type(exc).__name__}: {exc}") from exc
    if answer.status_code == 404:
        return Lookup("unknown")
    if answer.status_code != 200:
        raise UnavailableError("gateway status", f"HTTP {answer.status_code}")
    try:
        found = answer.json()
        state = str(found.get("status", "")).lower()
    except (ValueError, AttributeError) as exc:
        raise UnavailableError("gateway status", "an answer that is not a JSON object") from exc
    if state in SENT_STATES:
        return Lookup("sent", reference=str(found.get("id") or f"http:{message.id}"))
    if state in FAILED_STATES:
        return Lookup("failed", reason=f"gateway says {state}: {found.get('reason') or ''}")
    if state == "unknown":
        return Lookup("unknown")
    raise UnavailableError("gateway status", f"unexpected status {state!r}")
