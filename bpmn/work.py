"""One round of background work: what ``lendgraph worker`` (and the demo server) repeats."""

from __future__ import annotations

from dataclasses import dataclass

from bpmn import collections, daily, runner
from domain.outreach import service as outbox
from domain.process import events


@dataclass(frozen=True, slots=True)
class Round:
    """What a round did."""

    waits: int
    collections_started: int
    messages_sent: int


async def worker_round(*, start_limit: int = 1000) -> Round:
    """The daily run of the business date (once), due timers and retries, the outbox.

    Each part is safe to run from several workers at once on PostgreSQL.
    """
    await daily.run()
    waits = 0
    while handled := await runner.run_due():
        waits += handled
    started = await collections.start_for_past_due(limit=start_limit)
    sent = await outbox.dispatch_due()
    await events.prune()
    return Round(waits, len(started), sent)
