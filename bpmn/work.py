"""One round of background work: what ``lendgraph worker`` (and the demo server) repeats."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from bpmn import daily, runner
from bpmn.daily import DailyReport
from domain.clock import service as clock
from domain.outreach import service as outbox
from domain.process import events


@dataclass(frozen=True, slots=True)
class Round:
    """What a round did."""

    waits: int
    messages_sent: int
    daily: DailyReport


BUSY_POLL_SECONDS = 0.2  # how often a worker looks whether another finished the daily run


def _never() -> bool:
    return False


async def worker_round(
    stop: Callable[[], bool] | None = None, notify: Callable[[str], None] | None = None
) -> Round:
    """The daily run of the business date (once: collections start there), due timers and
    retries, and the outbox. Each part is safe to run from several workers on PostgreSQL.

    Timers and messages wait for the date's daily run: while another worker holds one of its
    steps this one waits (and takes the step over if that worker dies), so what fires and
    what is sent always sees the date's delinquency, ratings and new messages, however many
    workers there are. A round that sees the business date move ends after its daily run.

    ``stop`` is asked between pieces of work (a chunk, a pass over the timers, a message):
    once it answers True the round ends there, with nothing of its own left in flight.
    ``notify`` hears the daily run's progress after each chunk this worker did.
    """
    stopping = stop or _never
    report = await daily.run(stop=stopping, notify=notify)
    while report.busy and not stopping():
        await asyncio.sleep(BUSY_POLL_SECONDS)
        report = await daily.run(report.business_date, stop=stopping, notify=notify)
    waits = sent = 0
    if await clock.get() != report.business_date:
        return Round(waits, sent, report)  # the next round starts with the new date's run
    while not stopping() and (handled := await runner.run_due()):
        waits += handled
    if not stopping():
        sent = await outbox.dispatch_due(stop=stopping)
    if not stopping():
        await events.prune()
    return Round(waits, sent, report)
