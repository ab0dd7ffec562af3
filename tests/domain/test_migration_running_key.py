"""Migration 0022 (one instance in progress per business key) on a database that breaks it.

Run in a child process (its own Tortoise, migrated only to 0021 first), on a new SQLite file
or, when DATABASE_URL is PostgreSQL, a new PostgreSQL database.
"""

import asyncio
import os
import sys
from pathlib import Path

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from domain import migrate
from domain.db import APP, is_postgres, tortoise_config
from tests.migration_child import applied, refusal, refused_then_applied
from tests.pgdatabase import fresh_database

BEFORE = MigrationTarget(APP, "0021_outside_calls")
DEFINITION = (
    "INSERT INTO process_definition (id, process_id, version, content_hash, name, bpmn_xml, "
    "dmn_xmls, deployed_at, deployed_by) VALUES (1, 'p', 1, 'h', '', '<x/>', '[]', "
    "'2026-06-15 10:00:00', 'ana')"
)
INSTANCE = (
    "INSERT INTO process_instance (id, definition_id, business_key, status, revision, "
    "created_at, updated_at) VALUES ({id}, 1, '{key}', '{status}', 0, '2026-06-15 10:00:00', "
    "'2026-06-15 10:00:00')"
)


async def _at_0021(url: str) -> MigrationExecutor:
    await Tortoise.init(config=tortoise_config(url))
    executor = MigrationExecutor(
        get_connection("default"), {APP: tortoise_config(url)["apps"][APP]}
    )
    await executor.migrate([BEFORE])
    return executor


def test_two_instances_in_progress_of_one_key_stop_the_migration_with_their_ids(
    tmp_path: Path,
) -> None:
    configured = os.environ.get("DATABASE_URL", "")
    if is_postgres(configured or "sqlite://x"):
        with fresh_database(configured, prefix="lendgraph_m22") as url:
            refused_then_applied(__name__, url)
    else:
        refused_then_applied(__name__, f"sqlite://{tmp_path / 'old.db'}")


async def _check(url: str) -> None:
    try:
        await _at_0021(url)
        conn = get_connection("default")
        await conn.execute_query(DEFINITION)
        for id_, key, status in (
            (1, "collect:7", "RUNNING"),
            (2, "collect:7", "FAILED"),
            (3, "collect:8", "RUNNING"),
            (4, "collect:8", "COMPLETED"),
        ):
            await conn.execute_query(INSTANCE.format(id=id_, key=key, status=status))
        said = await refusal(url, "over two instances of one key")
        # the message names the key and both instances, and what to do
        assert "collect:7: instances 1, 2" in said, said
        assert "collect:8" not in said  # one in progress, one completed: fine
        assert "CANCELLED" in said
        assert "0022_running_business_key" in await migrate.pending(url)
        # once the extra one is cancelled, the migration goes through
        await conn.execute_query("UPDATE process_instance SET status = 'CANCELLED' WHERE id = 2")
        await applied(url)
        print("refused, then applied")
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(_check(sys.argv[1]))
