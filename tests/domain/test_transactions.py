"""Savepoints inside a transaction: what a failed block wrote is gone, the rest is kept."""

import pytest
from tortoise.transactions import in_transaction

from domain import sqltext
from domain.customer.models import Customer
from domain.transactions import savepoint
from tests import factories


async def test_a_failed_block_leaves_nothing_and_the_transaction_goes_on(db: str) -> None:
    # given a transaction that stores one customer, then fails inside a savepoint after another
    async with in_transaction():
        kept = await factories.customer("kept")
        with pytest.raises(RuntimeError):
            async with savepoint():
                await factories.customer("dropped")
                raise RuntimeError("the step failed")
        # when it goes on inside another savepoint, which succeeds
        async with savepoint():
            await factories.customer("after")
    # then the failed block's customer is gone, the others are stored
    assert sorted(c.name for c in await Customer.all()) == sorted([kept.name, "after"])


async def test_savepoints_are_not_kept_as_prepared_statements(db: str) -> None:
    if not sqltext.postgres():
        pytest.skip("asyncpg's statement cache is PostgreSQL's")
    # given a transaction's connection, with a statement of our own prepared in its cache
    async with in_transaction() as tx:
        raw = tx._connection
        await Customer.filter(id=1).exists()
        before = len(raw._stmt_cache)
        # when twenty steps each open and release a savepoint, and one fails
        for _ in range(20):
            async with savepoint():
                pass
        with pytest.raises(RuntimeError):
            async with savepoint():
                raise RuntimeError("the step failed")
        # then none of their statements, each named anew, took a place in the cache
        assert len(raw._stmt_cache) == before
