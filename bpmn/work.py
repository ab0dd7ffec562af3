"""One round of background work: what ``lendgraph worker`` (and the demo server) repeats."""

from __future__ import annotations

from dataclasses import dataclass

from bpmn import daily, runner
from domain.outreach import service as outbox
from domain.process import events


@dataclass(frozen=True, slots=True)
class Round:
    """What a round did."""

    waits: int
    messages_sent: int


async def worker_round() -> Round:
    """The daily run of the business date (once: collections start there), due timers and
    retries, and the outbox. Each part is safe to run from several workers on PostgreSQL."""
    await daily.run()
    waits = 0
    while handled := await runner.run_due():
        waits += handled
    sent = await outbox.dispatch_due()
    await events.prune()
    return Round(waits, sent)
