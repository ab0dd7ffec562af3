"""Key sets beyond PostgreSQL's 32,767 parameters per statement go in chunks."""

from __future__ import annotations

from domain.batching import chunks
from domain.customer.models import Customer
from domain.profile import segments
from domain.profile.models import SegmentMember
from tests.conftest import TODAY

MANY = 33_000  # more than one statement may carry on PostgreSQL


def test_chunks_cover_every_item_once_in_order() -> None:
    assert [len(c) for c in chunks(range(25_001), 10_000)] == [10_000, 10_000, 5_001]
    assert [x for c in chunks(range(25_001), 10_000) for x in c] == list(range(25_001))
    assert list(chunks([], 3)) == []


async def test_a_segment_that_loses_more_members_than_a_statement_may_name(db: str) -> None:
    await Customer.bulk_create(
        [Customer(name=f"c{n}", kind="PERSON", time_zone="Asia/Shanghai", risk_rating="LOW")
         for n in range(MANY)], batch_size=2000,
    )  # fmt: skip
    await segments.define("low", "", {"risk_rating": ["LOW"]}, by="t")
    assert (await segments.refresh(TODAY))["moved"] == MANY
    await Customer.all().update(risk_rating="HIGH")
    from datetime import timedelta

    assert (await segments.refresh(TODAY + timedelta(days=1)))["moved"] == MANY
    assert await SegmentMember.all().count() == 0
