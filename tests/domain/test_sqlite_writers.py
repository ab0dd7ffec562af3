"""SQLite with two writing processes (the API and the worker): writers queue, none fails.

A transaction that read first and writes later must not meet "database is locked" because
another process committed in between; when the lock is held past the busy timeout, the error
is the typed outage the API answers 503 to, not a fault.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import AsyncIterator

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from domain import pgclient
from domain.db import is_postgres

pytestmark = pytest.mark.skipif(
    is_postgres(os.environ.get("DATABASE_URL") or "sqlite://x"),
    reason="SQLite's single writer",
)


@pytest.fixture
async def probe(db: str) -> AsyncIterator[str]:
    """A table of its own in the session's SQLite file, and the file's path."""
    conn = connections.get("default")
    await conn.execute_script("CREATE TABLE writers_probe (who TEXT NOT NULL)")
    yield db.removeprefix("sqlite://")
    await conn.execute_script("DROP TABLE writers_probe")


def _write_from_another_process(path: str, who: str, failures: list[BaseException]) -> None:
    try:  # another connection stands for another process: SQLite's locks are the file's
        other = sqlite3.connect(path, timeout=5)
        try:
            other.execute("INSERT INTO writers_probe (who) VALUES (?)", (who,))
            other.commit()
        finally:
            other.close()
    except BaseException as exc:
        failures.append(exc)


async def test_a_transaction_that_reads_then_writes_waits_for_another_writer(probe: str) -> None:
    failures: list[BaseException] = []
    other = threading.Thread(target=_write_from_another_process, args=(probe, "worker", failures))
    async with in_transaction() as tx:
        await tx.execute_query("SELECT COUNT(*) FROM writers_probe")  # a read comes first
        other.start()
        await asyncio.sleep(0.3)  # the other process writes now, if it may
        await tx.execute_query("INSERT INTO writers_probe (who) VALUES ('api')")
    await asyncio.to_thread(other.join)
    rows = await connections.get("default").execute_query_dict(
        "SELECT who FROM writers_probe ORDER BY rowid"
    )
    # the other writer waited for the transaction, then wrote: both rows, in that order
    assert failures == []
    assert [row["who"] for row in rows] == ["api", "worker"]


async def test_a_lock_held_past_the_busy_timeout_is_an_outage_not_a_fault(probe: str) -> None:
    conn = connections.get("default")
    holder = sqlite3.connect(probe, timeout=5, isolation_level=None)
    await conn.execute_script("PRAGMA busy_timeout = 200")
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process keeps the write lock
        with pytest.raises(Exception) as raised:
            async with in_transaction() as tx:
                await tx.execute_query("INSERT INTO writers_probe (who) VALUES ('api')")
        outage = pgclient.unavailable(raised.value)
        assert outage is not None and outage.code == "DATABASE_UNAVAILABLE"
        assert "busy timeout" in outage.reason
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        await conn.execute_script("PRAGMA busy_timeout = 5000")
    rows = await conn.execute_query_dict("SELECT who FROM writers_probe")
    assert rows == []  # nothing half-written
