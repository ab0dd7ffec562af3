"""Migration 0033 under a database role that may not create the pg_trgm extension.

The role owns what it migrates but not the database: PostgreSQL refuses it CREATE EXTENSION. The
migration stops with what to run and where, changes nothing, and goes through once a superuser
has created the extension (README, Going live, step 3). Run in a child process as that role.
"""

import asyncio
import os
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from tortoise import Tortoise

from domain import migrate
from domain.db import is_postgres, tortoise_config
from tests.migration_child import applied, refusal, refused_then_applied
from tests.pgdatabase import fresh_database

CONFIGURED = os.environ.get("DATABASE_URL", "")


@pytest.mark.skipif(not is_postgres(CONFIGURED or "sqlite://x"), reason="PostgreSQL's extension")
def test_a_role_that_may_not_create_the_extension_is_told_what_to_run() -> None:
    role = f"lg_m33_{uuid.uuid4().hex[:8]}"
    with fresh_database(CONFIGURED, prefix="lendgraph_m33") as url:
        parts = urlsplit(url)
        host = f"{parts.hostname}:{parts.port or 5432}"
        as_role = urlunsplit((parts.scheme, f"{role}@{host}", parts.path, "", ""))
        asyncio.run(_grant(url, role))
        try:
            refused_then_applied(__name__, as_role, url)
        finally:  # the database goes with the block, and all the role held in it: the role too
            asyncio.run(_drop(url, role))


async def _as_superuser(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _grant(url: str, role: str) -> None:
    await _as_superuser(
        url, f'CREATE ROLE "{role}" LOGIN', f'GRANT USAGE, CREATE ON SCHEMA public TO "{role}"'
    )


async def _drop(url: str, role: str) -> None:
    await _as_superuser(url, f'DROP OWNED BY "{role}"', f'DROP ROLE "{role}"')


async def _check(url: str, superuser_url: str) -> None:
    try:
        await Tortoise.init(config=tortoise_config(url))
        said = await refusal(url, "without the extension")
        assert "CREATE EXTENSION pg_trgm;" in said and "nothing was changed" in said, said
        assert (await migrate.pending(url))[0] == "0033_customer_search"  # and what follows it
        await _as_superuser(superuser_url, "CREATE EXTENSION pg_trgm")
        await applied(url)
        print("refused, then applied")
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(_check(sys.argv[1], sys.argv[2]))
