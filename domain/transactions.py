"""Savepoints at any depth inside the current transaction, and joining the caller's one.

Tortoise's nested ``in_transaction()`` keeps one savepoint per connection, so a second level
overwrites the first. These are named and stack freely: the process runner keeps a failed
step's writes out while it records the failure in the same transaction.
"""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from itertools import count

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.transactions import in_transaction

_names = count(1)


@asynccontextmanager
async def savepoint() -> AsyncIterator[None]:
    """Undo everything written inside the block when it raises; the transaction goes on."""
    connection = connections.get("default")
    name = f"lg_sp_{next(_names)}"
    await connection.execute_query(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        await connection.execute_query(f"ROLLBACK TO SAVEPOINT {name}")
        await connection.execute_query(f"RELEASE SAVEPOINT {name}")
        raise
    await connection.execute_query(f"RELEASE SAVEPOINT {name}")


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
