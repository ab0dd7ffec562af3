"""Savepoints at any depth inside the current transaction, and joining the caller's one.

Tortoise's nested ``in_transaction()`` keeps one savepoint per connection, so a second level
overwrites the first. These are named and stack freely: the process runner keeps a failed
step's writes out while it records the failure in the same transaction.
"""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from itertools import count

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.transactions import in_transaction

from domain import sqltext

_names = count(1)


async def _say(connection: BaseDBAsyncClient, *statements: str) -> None:
    """Send savepoint statements. On PostgreSQL together, by the simple query protocol: one
    round trip with nothing prepared, where a query sent with Tortoise's `execute_query` is
    prepared first (a round trip more) and, its name being new every time, kept in asyncpg's
    statement cache in place of a statement that will be sent again."""
    if sqltext.postgres():
        await connection.execute_script("; ".join(statements))
        return
    for statement in statements:  # (SQLite's driver takes one statement at a time)
        await connection.execute_query(statement)


@asynccontextmanager
async def savepoint() -> AsyncIterator[None]:
    """Undo everything written inside the block when it raises; the transaction goes on.

    A block that succeeds leaves its savepoint in place, a round trip fewer for every process
    step: the transaction's end releases it, or an enclosing savepoint's release or rollback.
    Kept savepoints nest (each later one inside the earlier); PostgreSQL counts a subtransaction
    that wrote the same whether it was released or not (its 64 per backend before snapshots
    look further), and commits 2,000 nested ones faster than 2,000 released in turn.
    """
    connection = connections.get("default")
    name = f"lg_sp_{next(_names)}"
    await _say(connection, f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        await _say(connection, f"ROLLBACK TO SAVEPOINT {name}", f"RELEASE SAVEPOINT {name}")
        raise


def joined() -> AbstractAsyncContextManager[object]:
    """A transaction of its own, or the caller's when one is open.

    For a change that is kept or dropped whole with its caller's (a request's change and its
    audit entry, a process step): a nested transaction would be a savepoint, two more
    statements, that keeps nothing apart. Code that must survive its own failure inside a
    caller's transaction uses :func:`savepoint`.
    """
    if isinstance(connections.get("default"), TransactionalDBClient):
        return nullcontext()
    return in_transaction()
