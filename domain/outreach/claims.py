"""Claims on outbox rows: who is sending a message, until when, and what happens when they stop.

A dispatcher claims a message (SENDING, ``claimed_by``, ``lease_until`` on the wall clock,
``attempts`` + 1) and commits before it calls the channel; afterwards one conditional update
records the outcome, and only while the row is still that claim (status, claimant, attempt).
A claim whose lease ran out belongs to a dispatcher that stopped mid-call: :func:`recover_expired`
asks the gateway when it has a status endpoint, and otherwise marks the message UNCERTAIN for a
person (:func:`resolve`). Nothing is sent again unless the channel dedupes it anyway.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q

from domain.errors import ConflictError, NotFoundError, UnavailableError
from domain.outreach import channels
from domain.outreach.models import MessageStatus, OutboxMessage

WORKER = f"{socket.gethostname()[:48]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
STOPPED = "the worker stopped while sending; check the gateway's log before resending"


class Resolution(StrEnum):
    """What a person decided about an UNCERTAIN message."""

    SENT = "SENT"  # the gateway's log shows it went out
    RESEND = "RESEND"  # it did not: queue it again
    DROP = "DROP"  # never send it


def lease_seconds() -> float:
    """How long a claim holds (``LENDGRAPH_SEND_LEASE_SECONDS``): well above a channel's timeout."""
    return float(os.environ.get("LENDGRAPH_SEND_LEASE_SECONDS", "300"))


def claim_fields(row: OutboxMessage, worker: str, moment: datetime, wall: datetime) -> None:
    """Make a due row this worker's claim (saved by the caller, in its transaction).

    ``sent_at`` is the attempt's moment from the claim on, so the contact policy's caps count
    a message being sent (or UNCERTAIN) as a contact; an outcome other than SENT clears it.
    """
    row.status, row.sent_at = MessageStatus.SENDING, moment
    row.claimed_by = worker
    row.lease_until = wall + timedelta(seconds=lease_seconds())
    row.attempts += 1


def _still(row: OutboxMessage, claimant: str | None, attempts: int) -> Q:
    return Q(id=row.id, status=MessageStatus.SENDING, claimed_by=claimant, attempts=attempts)


async def finish(row: OutboxMessage, **changes: Any) -> bool:
    """Record a claim's outcome, if the row is still this claim; False when someone else has it."""
    done = await OutboxMessage.filter(_still(row, row.claimed_by, row.attempts)).update(
        lease_until=None, **changes
    )
    return bool(done)


async def release(row: OutboxMessage) -> bool:
    """Give back a claim whose channel call never started: the message is due again as it was."""
    released = await OutboxMessage.filter(_still(row, row.claimed_by, row.attempts)).update(
        status=MessageStatus.QUEUED, claimed_by=None, lease_until=None, sent_at=None,
        attempts=row.attempts - 1,
    )  # fmt: skip
    return bool(released)


async def recover_expired(moment: datetime, wall: datetime, limit: int = 500) -> int:
    """Resolve claims whose lease ended; returns how many changed.

    ``moment`` is the business time (sent_at, scheduled_at), ``wall`` the lease clock.
    """
    stale = await (
        OutboxMessage.filter(status=MessageStatus.SENDING, lease_until__lt=wall)
        .order_by("lease_until", "id").limit(limit)
    )  # fmt: skip
    changed = 0
    for row in stale:
        changes = await _verdict(row, moment, wall)
        changed += await OutboxMessage.filter(_still(row, row.claimed_by, row.attempts)).update(
            **changes
        )
    return changed


async def _verdict(row: OutboxMessage, moment: datetime, wall: datetime) -> dict[str, Any]:
    """What an abandoned claim becomes: the gateway's answer, or UNCERTAIN."""
    if not channels.can_look_up(row):
        return {"status": MessageStatus.UNCERTAIN, "reason": STOPPED, "lease_until": None}
    try:
        found = await channels.lookup(row)
    except UnavailableError as exc:
        return {  # the claim stays, and the gateway is asked again after another lease
            "lease_until": wall + timedelta(seconds=lease_seconds()),
            "reason": f"the worker stopped while sending; {exc}; asking the gateway again later",
        }
    if found.state == "sent":
        return {"status": MessageStatus.SENT, "provider_ref": found.reference, "reason": None,
                "lease_until": None}  # fmt: skip
    if found.state == "failed":
        return {"status": MessageStatus.FAILED, "reason": found.reason, "lease_until": None,
                "sent_at": None}  # fmt: skip
    return {  # the gateway never took it, and would dedupe it by key if it had
        "status": MessageStatus.QUEUED, "scheduled_at": moment, "lease_until": None,
        "sent_at": None,
        "reason": "the worker stopped before the gateway took it; sending again",
    }  # fmt: skip


async def resolve(
    message_id: int, outcome: Resolution, note: str | None, moment: datetime
) -> OutboxMessage:
    """A person's decision on an UNCERTAIN message (call inside a transaction)."""
    row = await OutboxMessage.filter(id=message_id).select_for_update().first()
    if row is None:
        raise NotFoundError("Message", message_id)
    if row.status != MessageStatus.UNCERTAIN:
        raise ConflictError(
            f"message {message_id} is {row.status.value}: only UNCERTAIN messages are resolved"
        )
    said = f" ({note.strip()})" if note and note.strip() else ""
    if outcome == Resolution.SENT:
        row.status, row.sent_at = MessageStatus.SENT, moment
        row.reason = f"confirmed sent by hand{said}"
    elif outcome == Resolution.RESEND:
        row.status, row.scheduled_at, row.sent_at = MessageStatus.QUEUED, moment, None
        row.reason = f"to be sent again, decided by hand{said}"
    else:
        row.status, row.sent_at = MessageStatus.DROPPED, None
        row.reason = f"dropped by hand{said}"
    await row.save(update_fields=["status", "sent_at", "scheduled_at", "reason"])
    return row
