"""The pooled PostgreSQL client: a transaction whose BEGIN fails gives its connection back."""

from __future__ import annotations

import os

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from domain import pgclient
from domain.credit import calls
from domain.db import is_postgres

pytestmark = pytest.mark.skipif(
    not is_postgres(os.environ.get("DATABASE_URL") or "sqlite://x"),
    reason="the pooled client is PostgreSQL's",
)


async def test_a_begin_that_fails_leaks_neither_the_connection_nor_the_transaction(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = connections.get("default")
    assert isinstance(root, pgclient.ResilientClient)
    pool = root._pool
    free = pool._queue.qsize()  # connections the pool holds ready

    async def lost(self: pgclient.ResilientTransaction) -> None:
        raise ConnectionResetError("the connection was reset during BEGIN")

    # when BEGIN fails twenty times, more than the pool has connections
    with monkeypatch.context() as patched:
        patched.setattr(pgclient.ResilientTransaction, "begin", lost)
        for _ in range(20):
            with pytest.raises(ConnectionResetError):
                async with in_transaction():
                    pass
    # then every connection is back, and this task sees no dead transaction
    assert pool._queue.qsize() == free
    assert connections.get("default") is root
    async with in_transaction() as transaction:
        assert await transaction.execute_query_dict("SELECT 1 AS one") == [{"one": 1}]


async def test_an_outside_call_waits_for_a_connection_only_as_long_as_it_says(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calls, "ACQUIRE_SECONDS", 0.2)
    root = connections.get("default")
    pool = root._pool
    held = [await pool.acquire() for _ in range(pool.get_max_size())]  # every connection busy
    try:
        with pytest.raises(calls.UnavailableError, match="no connection free"):
            async with calls.independent():
                pass
    finally:
        for connection in held:
            await pool.release(connection)
    assert connections.get("default") is root
    async with calls.independent() as own:
        assert own is True
