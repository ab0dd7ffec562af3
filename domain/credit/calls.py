"""Calls to outside services under a stable key: claimed before the call, answered from the store.

A process's call to an outside service (a credit-bureau inquiry, billed per call) runs inside
the instance's transaction, which a crash rolls back after the service has answered. So the
call keeps its own record (:class:`OutsideCall`), written in transactions of its own: the
claim (CALLING, ``claimed_by``, ``lease_until``, ``attempts`` + 1) commits before the call;
the answer, with the rows it makes (the credit report), commits as soon as it arrives. A run
that comes to the same key again (the instance replayed after a crash, a retry) gets the
stored answer and calls nobody.

A claim whose lease ran out belongs to a caller that stopped mid-call without an answer: it is
called again, with the same key as the Idempotency-Key, because these calls are reads that the
service dedupes by key (a bureau bills one inquiry per key). A claim still within its lease is
someone's call in flight: the caller is told the service is unavailable, and retries later.

On SQLite one connection writes at a time, so the record commits with the instance (a crash
loses both, and the replay calls again under the same key); on PostgreSQL it is independent.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from tortoise import connections
from tortoise.exceptions import IntegrityError

from domain import faults
from domain.credit.models import CallStatus, OutsideCall
from domain.errors import UnavailableError

WORKER = f"{socket.gethostname()[:48]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
ACQUIRE_SECONDS = 10.0  # waiting longer for a connection of its own: the service counts as down
A = TypeVar("A")


def lease_seconds() -> float:
    """How long a claim holds (``LENDGRAPH_OUTSIDE_LEASE_SECONDS``): above a call's retries."""
    return float(os.environ.get("LENDGRAPH_OUTSIDE_LEASE_SECONDS", "120"))


def key_for(instance_id: int, element_id: str | None, task_id: str | None) -> str | None:
    """The stable key of a process's call: instance, element and engine task (None without)."""
    if task_id is None:
        return None
    return f"lendgraph:{instance_id}:{element_id or '-'}:{task_id}"


@contextlib.asynccontextmanager
async def independent() -> AsyncIterator[bool]:
    """A transaction of its own (True), committed whatever the caller's does; on SQLite the
    caller's (False), since a second writer would wait for the caller's commit forever."""
    current = connections.get("default")
    root = getattr(current, "_parent", current)
    if getattr(root, "_pool", None) is None or root.capabilities.dialect != "postgres":
        yield False
        return
    transaction = root._in_transaction()
    try:
        async with asyncio.timeout(ACQUIRE_SECONDS):
            await transaction.__aenter__()
    except TimeoutError:
        raise UnavailableError("database", "no connection free for an outside call") from None
    try:
        # the caller's transaction holds its locks until the call returns: never wait on them
        await transaction.client.execute_script("SET LOCAL lock_timeout = '5s'")
        yield True
    except BaseException:
        await transaction.__aexit__(*sys.exc_info())
        raise
    await transaction.__aexit__(None, None, None)


async def _claim(key: str, operation: str, instance_id: int | None) -> OutsideCall:
    """The key's record: a stored answer, or this worker's fresh claim (committed)."""
    wall = datetime.now(UTC)
    lease = wall + timedelta(seconds=lease_seconds())
    try:
        async with independent():
            row = await OutsideCall.filter(key=key).select_for_update().first()
            if row is None:
                return await OutsideCall.create(
                    key=key, operation=operation, instance_id=instance_id,
                    status=CallStatus.CALLING, claimed_by=WORKER, lease_until=lease, attempts=1,
                )  # fmt: skip
            if row.status == CallStatus.DONE:
                return row
            if row.status == CallStatus.CALLING and row.lease_until and row.lease_until > wall:
                until = f"{row.lease_until:%H:%M:%S} UTC"
                raise UnavailableError(operation, f"a call under key {key} runs until {until}")
            row.status, row.claimed_by, row.lease_until = CallStatus.CALLING, WORKER, lease
            row.attempts += 1
            await row.save(update_fields=["status", "claimed_by", "lease_until", "attempts"])
            return row
    except IntegrityError:  # another caller created the key's record just now
        raise UnavailableError(operation, f"a call under key {key} has just started") from None


async def _finish(row: OutsideCall, **changes: Any) -> int:
    """Record the outcome, if the record is still this claim; 0 when someone else has it."""
    return await OutsideCall.filter(
        id=row.id, status=CallStatus.CALLING, claimed_by=WORKER, attempts=row.attempts
    ).update(lease_until=None, **changes)


async def once(
    key: str,
    *,
    operation: str,
    instance_id: int | None,
    call: Callable[[str], Awaitable[A]],
    keep: Callable[[A], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """Make ``call(key)`` at most once per stored answer; ``keep`` turns the answer into rows
    and the JSON that is stored, committed in one transaction with the record, and returned."""
    row = await _claim(key, operation, instance_id)
    if row.status == CallStatus.DONE:
        return dict(row.answer or {})
    try:
        answer = await call(key)
    except Exception as exc:
        async with independent():
            await _finish(row, status=CallStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    faults.reach("outside.before_store")
    async with independent():
        stored = await OutsideCall.filter(id=row.id).select_for_update().get()
        if stored.status == CallStatus.DONE:  # a caller that took the lapsed claim stored first
            return dict(stored.answer or {})
        kept = await keep(answer)  # the first answer stored wins, whoever holds the claim now
        await OutsideCall.filter(id=row.id).update(
            status=CallStatus.DONE, answer=kept, error=None, lease_until=None,
            answered_at=datetime.now(UTC),
        )  # fmt: skip
    faults.reach("outside.after_store")
    return kept
