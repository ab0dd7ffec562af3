"""Task events: written with the change, announced to every API process, read in order.

``record`` adds a TaskEvent row in the caller's transaction and announces it: on PostgreSQL
with ``pg_notify`` (delivered at commit, to every process that LISTENs, never for a rolled
back change), elsewhere with an in-process signal; ``created`` and ``saved`` write a task row's
insert or update with its event (on PostgreSQL, the row, the event and the announcement are
one statement). ``wakeups`` is what a subscriber waits on:
the announcements, and a short poll as a safety net (a SQLite transaction may still be open
when the signal fires; the poll reads the row once it has committed).

A background simulation's changes (claim, progress points, end) are announced on a channel of
their own (``announce_simulation``, ``wakeups(SIMULATION_CHANNEL)``): a task subscriber does not
wake for them, nor a simulation's follower for task events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncGenerator, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from tortoise import connections

from domain import byhand, sqltext
from domain.process.models import TaskEvent, TaskEventKind, WorkTask
from domain.process.rows import insert

CHANNEL = "lendgraph_task_events"
SIMULATION_CHANNEL = "lendgraph_simulation_events"
CHANNELS = (CHANNEL, SIMULATION_CHANNEL)


def poll_seconds() -> float:
    """The safety-net poll (LENDGRAPH_EVENTS_POLL_SECONDS, default 1)."""
    return float(os.environ.get("LENDGRAPH_EVENTS_POLL_SECONDS", "1"))


log = logging.getLogger("lendgraph.events")


class _Hub:
    """This process's subscribers by channel and, on PostgreSQL, its one LISTEN connection
    (listening on every channel)."""

    def __init__(self) -> None:
        self.waiters: dict[str, set[asyncio.Event]] = {channel: set() for channel in CHANNELS}
        self.listener: asyncpg.Connection | None = None
        self.lock = asyncio.Lock()

    def wake(self, channel: str) -> None:
        for waiter in list(self.waiters[channel]):
            waiter.set()

    def _heard(self, _connection: object, _pid: int, channel: str, _payload: str) -> None:
        if channel in self.waiters:
            self.wake(channel)

    async def ensure_listening(self) -> None:
        # the process's own database (by DATABASE_URL or --database-url alike), not the
        # environment's: a process given its database as an option would neither LISTEN nor
        # NOTIFY
        if not sqltext.postgres() or (self.listener is not None and not self.listener.is_closed()):
            return
        async with self.lock:
            if self.listener is not None and not self.listener.is_closed():
                return
            client: Any = connections.get("default")
            try:  # the pool's own server and credentials
                self.listener = await asyncpg.connect(
                    host=client.host, port=client.port, user=client.user,
                    password=client.password, database=client.database,
                )  # fmt: skip
                for channel in CHANNELS:
                    await self.listener.add_listener(channel, self._heard)
            except (OSError, asyncpg.PostgresError) as exc:  # the poll still delivers
                log.warning("task events: LISTEN unavailable (%s); polling only", exc)
                self.listener = None


_hub = _Hub()


_RECORD_AND_NOTIFY = (
    "WITH e AS (INSERT INTO task_event (task_id, instance_id, kind, at) VALUES ($1, $2, $3, $4)"
    " RETURNING id) SELECT pg_notify($5, e.id::text) FROM e"
)


async def record(task_id: int, instance_id: int, kind: TaskEventKind) -> None:
    """Write the event in the current transaction and announce it (one statement)."""
    if sqltext.postgres():
        await connections.get("default").execute_query(
            _RECORD_AND_NOTIFY,
            [int(task_id), int(instance_id), str(kind), datetime.now(UTC), CHANNEL],
        )
    else:
        await TaskEvent.create(task_id=task_id, instance_id=instance_id, kind=kind)
        _hub.wake(CHANNEL)


# a task row's change and its event, then the announcement, in one statement (PostgreSQL):
# `{change}` is an INSERT or UPDATE of work_task (`byhand.inserting`, `byhand.saving`), `{before}`
# statements sent with it (`byhand.preceded`)
_CHANGE_AND_RECORD = (
    'WITH {before}w AS ({change} RETURNING "id"), e AS (INSERT INTO task_event (task_id, '
    "instance_id, kind, at) SELECT w.id, CAST(:lg_instance AS INTEGER), CAST(:lg_kind AS TEXT), "
    "CAST(:lg_at AS TIMESTAMPTZ) FROM w RETURNING id) "
    "SELECT w.id, pg_notify(:lg_channel, e.id::text) AS lg_notified FROM w, e"
)


@cache
def _change_and_record(change: str, before: str = "") -> str:
    return _CHANGE_AND_RECORD.format(change=change, before=before)


async def _with_event(
    change: byhand.Statement,
    instance_id: int,
    kind: TaskEventKind,
    also: tuple[byhand.Statement, ...] = (),
) -> int:
    """Run `change` and record its task's event, in one statement with the statements `also`
    (which must not touch the task); the task's id."""
    sql, values = change
    before, more = byhand.preceded(also)
    _, rows = await sqltext.execute(_change_and_record(sql, before), {
        **values, **more, "lg_instance": int(instance_id), "lg_kind": str(kind),
        "lg_at": datetime.now(UTC), "lg_channel": CHANNEL,
    })  # fmt: skip
    return int(rows[0]["id"])


async def created(row: WorkTask, *also: byhand.Statement) -> WorkTask:
    """Insert a new task row (made, not saved) and record its CREATED event, then the
    statements `also` (a step's state, say): on PostgreSQL in one statement, the row's values
    converted by their fields as Tortoise's insert does."""
    instance_id = row.instance_id  # type: ignore[attr-defined]
    if not sqltext.postgres():
        await byhand.send(*also)
        await row.save(force_create=True)
        await record(row.id, instance_id, TaskEventKind.CREATED)
        return row
    row.pk = await _with_event(byhand.inserting(row), instance_id, TaskEventKind.CREATED, also)
    row._saved_in_db = True
    return row


async def saved(row: WorkTask, fields: Sequence[str], kind: TaskEventKind) -> None:
    """Save `fields` of a task row and record its event `kind`: on PostgreSQL in one
    statement, each value checked by its field as Tortoise's `save(update_fields=…)` does."""
    instance_id = row.instance_id  # type: ignore[attr-defined]
    if not sqltext.postgres():
        await row.save(update_fields=list(fields))
        await record(row.id, instance_id, kind)
        return
    await _with_event(byhand.saving(row, *fields), instance_id, kind)


async def record_many(rows: list[tuple[int, int, TaskEventKind]]) -> None:
    """Write many events (task id, instance id, kind) in one statement, announced once."""
    if not rows:
        return
    at = datetime.now(UTC)
    await insert(
        TaskEvent, [{"task_id": t, "instance_id": i, "kind": k, "at": at} for t, i, k in rows]
    )
    await _announce(CHANNEL, "many")


async def announce_simulation(simulation_id: int) -> None:
    """Wake the followers of background simulations (not the task subscribers) for a change
    of one: they read what they follow again."""
    await _announce(SIMULATION_CHANNEL, str(simulation_id))


async def _announce(channel: str, what: str) -> None:
    """Wake a channel's subscribers in every process. Sent outside a transaction, it is
    delivered at once; inside one, at its commit."""
    if sqltext.postgres():
        await connections.get("default").execute_query("SELECT pg_notify($1, $2)", [channel, what])
    else:
        _hub.wake(channel)


async def latest_id() -> int:
    """The newest event id now (a subscriber starts after it)."""
    row = await TaskEvent.all().order_by("-id").first()
    return row.id if row else 0


async def wakeups(channel: str = CHANNEL) -> AsyncGenerator[None, None]:
    """Yield whenever a change may have been committed: announced on ``channel`` (task events
    by default), or every poll."""
    await _hub.ensure_listening()
    waiter = asyncio.Event()
    _hub.waiters[channel].add(waiter)
    try:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.wait(), timeout=poll_seconds())
            waiter.clear()
            yield
    finally:
        _hub.waiters[channel].discard(waiter)


async def since(after_id: int, limit: int = 500) -> list[TaskEvent]:
    """Committed events after an id, oldest first."""
    return list(await TaskEvent.filter(id__gt=after_id).order_by("id").limit(limit))


async def prune(older_than: timedelta = timedelta(days=7), now: datetime | None = None) -> int:
    """Delete events older than a week (subscribers only read recent ones)."""
    cutoff = (now or datetime.now(UTC)) - older_than
    deleted: Any = await TaskEvent.filter(at__lt=cutoff).delete()
    return int(deleted)
