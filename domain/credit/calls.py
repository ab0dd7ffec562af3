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

The independent transaction never waits on the caller: the rows an answer makes (a credit
report) may point at a row the caller's transaction has locked or has just created, so they
wait at most ``KEEP_LOCK_WAIT``; past it the answer is stored alone and the caller's
transaction writes its rows, as a replay does after a crash.

On SQLite one connection writes at a time, so the record commits with the instance (a crash
loses both, and the replay calls again under the same key); on PostgreSQL it is independent.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from tortoise import connections
from tortoise.backends.asyncpg.client import TransactionWrapper
from tortoise.exceptions import IntegrityError

from domain import faults, pgclient
from domain.credit.models import CallStatus, OutsideCall
from domain.errors import UnavailableError
from domain.transactions import savepoint

WORKER = f"{socket.gethostname()[:48]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
ACQUIRE_SECONDS = 10.0  # waiting longer for a connection of its own: the service counts as down
LOCK_WAIT = "5s"  # the claim waits this long for another caller's claim
KEEP_LOCK_WAIT = "100ms"  # the answer's rows wait this long for a lock, then the caller keeps them
UNKEPT = "unkept"  # a stored answer whose rows the caller's transaction keeps
A = TypeVar("A")


def lease_seconds() -> float:
    """How long a claim holds (``LENDGRAPH_OUTSIDE_LEASE_SECONDS``): above a call's retries."""
    return float(os.environ.get("LENDGRAPH_OUTSIDE_LEASE_SECONDS", "120"))


def key_for(instance_id: int, element_id: str | None, task_id: str | None) -> str | None:
    """The stable key of a process's call: instance, element and engine task (None without)."""
    if task_id is None:
        return None
    return f"lendgraph:{instance_id}:{element_id or '-'}:{task_id}"


def _root(client: Any) -> Any:
    """The pooled client under a transaction and its savepoints."""
    while isinstance(client, TransactionWrapper):
        client = client._parent
    return client


@contextlib.asynccontextmanager
async def independent() -> AsyncIterator[bool]:
    """A transaction of its own (True), committed whatever the caller's does; on SQLite the
    caller's (False), since a second writer would wait for the caller's commit forever."""
    root = _root(connections.get("default"))
    if not isinstance(root, pgclient.ResilientClient):
        yield False
        return
    try:  # only the wait for a connection is bounded: a BEGIN cut short would leak one
        transaction = root.transaction(acquire_timeout=ACQUIRE_SECONDS)
        await transaction.__aenter__()
    except TimeoutError:
        raise UnavailableError("database", "no connection free for an outside call") from None
    try:
        # the caller's transaction holds its locks until the call returns: never wait on them
        await transaction.client.execute_script(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
        yield True
    except BaseException:
        await transaction.__aexit__(*sys.exc_info())
        raise
    await transaction.__aexit__(None, None, None)


def _waited_for_a_lock(exc: BaseException) -> bool:
    current: BaseException | None = exc
    while current is not None:
        if getattr(current, "sqlstate", None) == "55P03":  # lock_not_available
            return True
        current = current.__cause__ or current.__context__
    return False


async def _keep_without_waiting(
    raw: dict[str, Any], keep: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
) -> dict[str, Any] | None:
    """``keep(raw)`` in the independent transaction, unless it would wait for a lock: the rows
    it writes may point at rows the caller's own transaction holds (a customer it locked or
    has just created), and the caller waits for this transaction. None then: nothing written."""
    client = connections.get("default")
    await client.execute_script(f"SET LOCAL lock_timeout = '{KEEP_LOCK_WAIT}'")
    try:
        async with savepoint():
            return await keep(raw)
    except Exception as exc:
        if not _waited_for_a_lock(exc):
            raise
        return None
    finally:
        await client.execute_script(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")


async def _kept(
    answer: dict[str, Any] | None, keep: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """What a stored answer keeps; an answer stored without its rows is kept now, in the
    caller's transaction (which commits them, or loses them for its replay to keep again)."""
    stored = dict(answer or {})
    if set(stored) == {UNKEPT}:
        return await keep(dict(stored[UNKEPT]))
    return stored


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
    encode: Callable[[A], dict[str, Any]],
    keep: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """Make ``call(key)`` at most once per stored answer. ``encode`` turns the answer into
    JSON; ``keep`` turns that JSON into rows and returns the JSON that is stored and returned.
    The answer and its rows commit in one transaction with the record, as soon as they come;
    when the rows would wait for a lock, the answer alone is stored and the caller's
    transaction keeps the rows."""
    row = await _claim(key, operation, instance_id)
    if row.status == CallStatus.DONE:
        return await _kept(row.answer, keep)
    try:
        answer = await call(key)
    except Exception as exc:
        async with independent():
            await _finish(row, status=CallStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    faults.reach("outside.before_store")
    raw = encode(answer)
    async with independent() as own:
        stored = await OutsideCall.filter(id=row.id).select_for_update().get()
        if stored.status == CallStatus.DONE:  # a caller that took the lapsed claim stored first
            kept = stored.answer
        else:  # the first answer stored wins, whoever holds the claim now
            kept = await _keep_without_waiting(raw, keep) if own else await keep(raw)
            if kept is None:
                kept = {UNKEPT: raw}
            await OutsideCall.filter(id=row.id).update(
                status=CallStatus.DONE, answer=kept, error=None, lease_until=None,
                answered_at=datetime.now(UTC),
            )  # fmt: skip
    faults.reach("outside.after_store")
    return await _kept(kept, keep)
