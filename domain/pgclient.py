"""Tortoise's asyncpg client with typed outage errors and one retry of a read on a lost connection.

A connection PostgreSQL terminated (restart, failover, ``pg_terminate_backend``) or could not
open, and a statement cancelled by ``statement_timeout``, raise :class:`DatabaseUnavailableError`
(or its :class:`StatementTimeoutError`) instead of asyncpg's own exceptions, so the API answers
503 with Retry-After instead of a fault of ours. A ``SELECT`` outside a transaction whose
connection was lost is sent once more on a fresh connection, as is any statement whose
connection could not be opened (nothing was sent); the pool's other connections are replaced
as they are next used, since one lost connection rarely goes alone. Inside a transaction
nothing is retried: what it wrote is gone with the connection, and the caller retries it whole.

Per request the API keeps a :class:`RequestRecord`: the outages met (a resolver's error is
masked by GraphQL, so the API looks there to answer 503 instead of a masked 200) and the
transactions committed (a document whose first mutation committed before the outage is not
answered "retry": its other fields say what failed).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import socket
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from asyncpg import exceptions as pg  # type: ignore[import-untyped]
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import (
    NestedTransactionContext,
    TransactionContext,
    TransactionContextPooled,
)
from tortoise.connection import get_connections

RETRY_AFTER_SECONDS = 1


class DatabaseUnavailableError(Exception):
    """The database cannot be reached, or dropped the connection; retrying later may work."""

    code = "DATABASE_UNAVAILABLE"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StatementTimeoutError(DatabaseUnavailableError):
    """A statement ran longer than the process's statement timeout and was cancelled."""

    code = "STATEMENT_TIMEOUT"


@dataclass
class RequestRecord:
    """What the database did for one request: the outages met, the transactions committed."""

    failures: list[DatabaseUnavailableError] = field(default_factory=list)
    commits: int = 0


# set per request by the API (`api.limits`); None outside a request (workers, the CLI)
record: contextvars.ContextVar[RequestRecord | None] = contextvars.ContextVar(
    "lendgraph_db_request", default=None
)
# statements sent while a counter is set (a chunk of the daily run counts its own)
statements: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "lendgraph_db_statements", default=None
)


def _counted() -> None:
    counter = statements.get()
    if counter is not None:
        counter[0] += 1


# refused at connect: nothing was sent, so anything may be sent again
_NOT_SENT = (ConnectionRefusedError, socket.gaierror, pg.CannotConnectNowError,
             pg.TooManyConnectionsError)  # fmt: skip
_LOST = (pg.PostgresConnectionError, pg.AdminShutdownError, pg.CrashShutdownError)


def unavailable(exc: BaseException) -> DatabaseUnavailableError | None:
    """The outage an exception (or one it was raised from) stands for, else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found = _classify(current)
        if found is not None:
            return found
        current = current.__cause__ or current.__context__
    return None


def _classify(exc: BaseException) -> DatabaseUnavailableError | None:
    name = type(exc).__name__
    if isinstance(exc, DatabaseUnavailableError):
        return exc
    if isinstance(exc, pg.QueryCanceledError):
        return StatementTimeoutError(
            "the statement ran longer than the statement timeout and was cancelled"
        )
    if isinstance(exc, pg.TooManyConnectionsError):
        return DatabaseUnavailableError("the database has no free connections")
    if isinstance(exc, pg.CannotConnectNowError):
        return DatabaseUnavailableError("the database is starting up or shutting down")
    if isinstance(exc, TimeoutError):  # a connect or command timeout of the driver
        return DatabaseUnavailableError("the database did not answer in time")
    if isinstance(exc, OSError):  # never the address: /healthz shows the reason to anyone
        return DatabaseUnavailableError(f"cannot connect to the database ({name})")
    if isinstance(exc, _LOST) or (isinstance(exc, pg.InterfaceError) and "closed" in str(exc)):
        return DatabaseUnavailableError(f"the connection to the database was lost ({name})")
    if isinstance(exc, sqlite3.OperationalError) and "is locked" in str(exc):
        return DatabaseUnavailableError("another writer held the database past the busy timeout")
    if isinstance(exc, pg.InternalClientError):  # a termination read while the connection idled
        return DatabaseUnavailableError(f"the connection to the database broke ({name})")
    return None


def _record(error: DatabaseUnavailableError) -> DatabaseUnavailableError:
    current = record.get()
    if current is not None:
        current.failures.append(error)
    return error


# the mark of a statement that may be sent again on a lost connection, as reads are, though it
# does not start with SELECT: one that only reads (a WITH), or whose only write cannot happen
# twice (a compiled page's audit: ON CONFLICT DO NOTHING against migration 0029's index). The
# code that builds the statement puts it there (api.compiled)
READ = "/* read */ "


def _is_read(args: tuple[Any, ...]) -> bool:
    query = args[0] if args and isinstance(args[0], str) else ""
    return query.startswith(READ) or query.lstrip()[:6].upper() == "SELECT"


async def _typed(call: Awaitable[Any]) -> Any:
    """Await a statement; an outage becomes a recorded DatabaseUnavailableError."""
    try:
        return await call
    except Exception as exc:
        error = unavailable(exc)
        if error is None:
            raise
        raise _record(error) from exc


class ResilientClient(AsyncpgDBClient):
    """The pooled client: outages become typed errors; a read retries once on a new connection."""

    async def _translate_exceptions(self, func: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        _counted()
        try:
            return await super()._translate_exceptions(func, *args, **kw)
        except Exception as exc:
            error = unavailable(exc)
            if error is None:
                raise
            slow = isinstance(error, StatementTimeoutError) or isinstance(exc, TimeoutError)
            if slow or not (_is_read(args) or isinstance(exc, _NOT_SENT)):  # slow: not again
                raise _record(error) from exc
            # one connection lost, all likely lost (a restart, a failover): the pool opens
            # new ones as each is next acquired
            await self._expire_connections()
        return await _typed(super()._translate_exceptions(func, *args, **kw))

    def _in_transaction(self) -> TransactionContext:
        return PooledTransaction(ResilientTransaction(self), self._pool_init_lock)

    def transaction(self, *, acquire_timeout: float | None = None) -> TransactionContext:
        """A transaction on a connection of its own, waiting at most `acquire_timeout` seconds
        for one (TimeoutError then: nothing is held)."""
        return PooledTransaction(ResilientTransaction(self), self._pool_init_lock, acquire_timeout)


class PooledTransaction(TransactionContextPooled):
    """Tortoise's pooled transaction, except that a BEGIN that fails gives the connection back.

    Tortoise sets the connection's context variable before BEGIN and releases nothing when BEGIN
    raises (a lost connection, a cancellation): the pool loses a connection and the task keeps
    seeing a dead transaction. Only the acquire is bounded by `acquire_timeout`.
    """

    __slots__ = ("acquire_timeout",)

    def __init__(
        self, client: Any, pool_init_lock: asyncio.Lock, acquire_timeout: float | None = None
    ) -> None:
        super().__init__(client, pool_init_lock)
        self.acquire_timeout = acquire_timeout

    async def __aenter__(self) -> Any:
        await self.ensure_connection()
        pool = self.client._parent._pool
        self.client._connection = await pool.acquire(timeout=self.acquire_timeout)
        self.token = get_connections().set(self.connection_name, self.client)
        try:
            await self.client.begin()
        except BaseException:
            get_connections().reset(self.token)
            with contextlib.suppress(Exception):  # a dead connection: the pool replaces it
                await pool.release(self.client._connection)
            raise
        return self.client


class ResilientTransaction(TransactionWrapper):
    """A transaction whose lost connection is a typed error (never retried)."""

    async def _translate_exceptions(self, func: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        _counted()
        return await _typed(super()._translate_exceptions(func, *args, **kw))

    def _in_transaction(self) -> TransactionContext:
        return NestedTransactionContext(ResilientTransaction(self))

    async def commit(self) -> None:
        await _typed(super().commit())
        current = record.get()
        if current is not None and not isinstance(self._parent, TransactionWrapper):
            current.commits += 1  # a transaction, not a savepoint, is now durable

    async def rollback(self) -> None:
        try:
            await super().rollback()
        except Exception as exc:  # the connection is gone, and the transaction with it
            error = unavailable(exc)
            if error is None:
                raise
            self._finalized = True
            raise _record(error) from exc


client_class = ResilientClient  # the engine module's client, as Tortoise looks it up
