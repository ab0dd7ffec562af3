"""Migration 0032 on a SQLite database that lost its indexes to earlier migrations.

A SQLite file migrated to 0031 has no index on the outbox's status (every claim read the whole
outbox) and lets two responses of one customer to one campaign be stored. 0032 makes the lost
indexes again, or, where rows already break a unique one, refuses with those rows and changes
nothing. Run in a child process (its own Tortoise, migrated only to 0031 first).
"""

import asyncio
import os
import sys
from pathlib import Path

import pytest
from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from domain import migrate
from domain.db import APP, is_postgres, tortoise_config
from tests.migration_child import applied, refusal, refused_then_applied

BEFORE = MigrationTarget(APP, "0031_scoped_customer_pages")
RESPONSE = (
    "INSERT INTO campaign_response (id, campaign_id, customer_id, source, external_id) "
    "VALUES ({id}, {campaign}, {customer}, {source}, {external})"
)


@pytest.mark.skipif(
    is_postgres(os.environ.get("DATABASE_URL") or "sqlite://x"),
    reason="the indexes were lost on SQLite only",
)
def test_lost_indexes_come_back_or_the_rows_that_forbid_them_are_named(tmp_path: Path) -> None:
    refused_then_applied(__name__, f"sqlite://{tmp_path / 'old.db'}")


async def _index_names(table: str) -> set[str]:
    rows = await get_connection("default").execute_query_dict(f'PRAGMA index_list("{table}")')
    return {row["name"] for row in rows}


async def _check(url: str) -> None:
    try:
        await Tortoise.init(config=tortoise_config(url))
        conn = get_connection("default")
        executor = MigrationExecutor(conn, {APP: tortoise_config(url)["apps"][APP]})
        await executor.migrate([BEFORE])
        assert "idx_outbox_mess_status_e567eb" not in await _index_names("outbox_message")
        await conn.execute_script("PRAGMA foreign_keys = OFF")  # responses without their rows
        for id_, campaign, customer, source, external in (
            (1, 3, 5, "NULL", "NULL"),
            (2, 3, 5, "NULL", "NULL"),  # the same customer's response to the same campaign
            (3, 4, 5, "'crm'", "'r-1'"),
            (4, 4, 6, "'crm'", "'r-1'"),  # the same response imported twice
            (5, 4, 7, "'crm'", "NULL"),
            (6, 4, 8, "'crm'", "NULL"),  # no external key: not a duplicate
        ):
            await conn.execute_query(RESPONSE.format(
                id=id_, campaign=campaign, customer=customer, source=source, external=external
            ))  # fmt: skip
        said = await refusal(url, "over doubled responses")
        assert "campaign_id 3, customer_id 5 (2 rows)" in said, said
        assert "source crm, external_id r-1 (2 rows)" in said, said
        assert "customer_id 7" not in said and "nothing was changed" in said, said
        assert "0032_foreign_key_lookups" in await migrate.pending(url)
        assert "idx_outbox_mess_status_e567eb" not in await _index_names("outbox_message")
        await conn.execute_query("DELETE FROM campaign_response WHERE id IN (2, 4)")
        await applied(url)
        assert {"idx_outbox_mess_status_e567eb", "idx_outbox_mess_status_4cdf01"} <= (
            await _index_names("outbox_message")
        )
        assert "uid_campaign_re_campaig_9a5443" in await _index_names("campaign_response")
        # the restored unique index holds: a second response of one customer is refused
        try:
            await conn.execute_query(RESPONSE.format(
                id=9, campaign=3, customer=5, source="NULL", external="NULL"
            ))  # fmt: skip
            raise AssertionError("a second response to one campaign was stored")
        except IntegrityError as refused:
            assert "UNIQUE" in str(refused), refused
        print("refused, then applied")
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(_check(sys.argv[1]))
