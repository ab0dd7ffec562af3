"""/healthz under a crowd: one probe of the database answers every request meanwhile."""

from __future__ import annotations

import asyncio

from api.health import DatabaseProbe


class Counted(DatabaseProbe):
    """A probe whose database answers after `delay` seconds, or fails with `error`."""

    def __init__(self, delay: float, cache: float) -> None:
        super().__init__(cache=cache, timeout=1.0)
        self.delay = delay
        self.error: Exception | None = None

    async def ask(self) -> None:
        await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error


async def test_a_hundred_health_checks_at_once_probe_the_database_once() -> None:
    probe = Counted(delay=0.05, cache=0.2)
    answers = await asyncio.gather(*(probe.problem() for _ in range(100)))
    again = await probe.problem()  # within the cache
    assert answers == [None] * 100 and again is None
    assert probe.probes == 1
    probe.error = ConnectionRefusedError("refused")
    await asyncio.sleep(0.25)  # the cached answer is stale now
    down = await asyncio.gather(*(probe.problem() for _ in range(10)))
    assert probe.probes == 2
    assert down == ["cannot connect to the database (ConnectionRefusedError)"] * 10


async def test_a_probe_that_hangs_says_so_within_its_timeout() -> None:
    probe = Counted(delay=5.0, cache=0.0)
    probe.timeout = 0.1
    assert await probe.problem() == "no answer within 0.1 s"
