"""Tortoise's SQLite client, with transactions that take the write lock when they begin.

SQLite allows one writer. A transaction begun with a plain ``BEGIN`` reads from a snapshot and
asks for the write lock at its first write; if another process committed since the snapshot
was taken, SQLite cannot wait its way out (the snapshot is stale) and answers "database is
locked" at once, so a request fails whenever the API and the worker, or two API processes,
write at the same moment. ``BEGIN IMMEDIATE`` takes the lock first, waiting for it up to the
connection's busy timeout (5 s), so writers queue instead of failing.

A ``BEGIN IMMEDIATE`` can fail (the lock held past the timeout): Tortoise's transaction context
would then keep the client's lock, and every later statement of the process would wait on it
for ever. Here the lock is given back and the error goes to the caller (an outage: see
``domain.pgclient.unavailable``).
"""

from __future__ import annotations

import sqlite3

from tortoise.backends.base.client import TransactionalDBClient, TransactionContext
from tortoise.backends.sqlite.client import SqliteClient as _SqliteClient
from tortoise.backends.sqlite.client import (
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError


class ImmediateTransaction(SqliteTransactionWrapper):
    """A transaction that holds SQLite's write lock from its first statement."""

    async def begin(self) -> None:
        try:
            await self._connection.commit()  # (aiosqlite: ends nothing in autocommit mode)
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class _Transaction(SqliteTransactionContext):
    """Tortoise's SQLite transaction context, which gives its lock back when BEGIN fails."""

    async def __aenter__(self) -> TransactionalDBClient:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(token)
                raise
        except BaseException:
            self._trxlock.release()
            raise
        self.token = token
        return self.connection  # type: ignore[no-any-return]


class SqliteClient(_SqliteClient):
    """Tortoise's SQLite client whose transactions begin with ``BEGIN IMMEDIATE``."""

    def _in_transaction(self) -> TransactionContext:
        return _Transaction(ImmediateTransaction(self), self._lock)


client_class = SqliteClient  # the engine module's client, as Tortoise looks it up
