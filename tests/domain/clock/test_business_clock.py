"""The business clock: the business date, at a pinned or the wall clock's time of day."""

from datetime import UTC, date, datetime, time

from domain.clock import service as clock
from tests.conftest import TODAY


async def test_now_is_the_business_date_at_the_pinned_local_time(db: str) -> None:
    # the fixture pins 10:00 in the institution's zone (Asia/Shanghai, UTC+8)
    assert await clock.now() == datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
    await clock.set_(date(2026, 7, 1), pinned_time=time(21, 30))
    assert await clock.now() == datetime(2026, 7, 1, 13, 30, tzinfo=UTC)
    await clock.set_(date(2026, 7, 2))  # the pinned time stays
    assert await clock.now() == datetime(2026, 7, 2, 13, 30, tzinfo=UTC)
    assert clock.local_date(await clock.now()) == await clock.get()
    assert await clock.get() > TODAY
