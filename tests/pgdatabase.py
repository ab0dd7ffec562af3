"""Throw-away PostgreSQL databases on the server a DATABASE_URL names."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg


async def admin(server: str, sql: str) -> None:
    """Run one statement on the server's `postgres` database (CREATE or DROP DATABASE)."""
    conn = await asyncpg.connect(f"{server}/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def fresh_database(configured: str, prefix: str = "lendgraph_test") -> Iterator[str]:
    """A new, empty database on the same server as `configured`; dropped after the block."""
    server = configured.split("?")[0].replace("postgres://", "postgresql://").rpartition("/")[0]
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin(server, f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server.replace('postgresql://', 'postgres://')}/{name}"
    finally:
        asyncio.run(admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
