"""Savepoints at any depth inside the current transaction.

Tortoise's nested ``in_transaction()`` keeps one savepoint per connection, so a second level
overwrites the first. These are named and stack freely: the process runner keeps a failed
step's writes out while it records the failure in the same transaction.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from itertools import count

from tortoise import connections

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
