"""Background simulations run by the API process itself, where no worker runs (the demo).

``lendgraph demo`` serves without a separate ``lendgraph worker``: a simulation queued there
is run in the server's own event loop, as a worker would (the same claim, progress and cancel),
by one task at a time. Elsewhere (``LENDGRAPH_MODE=production``) ``lendgraph worker`` runs them,
unless ``LENDGRAPH_SIMULATIONS_IN_API=1`` asks the API process to as well.
"""

from __future__ import annotations

import asyncio
import logging
import os

from bpmn.simulation import jobs
from domain.settings import settings

logger = logging.getLogger(__name__)
ENV = "LENDGRAPH_SIMULATIONS_IN_API"
_running: set[asyncio.Task[None]] = set()  # referenced until done, so none is collected
_queued = [False]  # a simulation was queued since the running task last looked


def enabled() -> bool:
    """Whether this process runs queued simulations itself."""
    return settings().mode == "demo" or os.environ.get(ENV, "") == "1"


def started() -> None:
    """A simulation was queued: run the queue here when this process does (one task at most)."""
    if not enabled():
        return
    _queued[0] = True
    if _running:  # it looks again before it ends
        return
    task = asyncio.get_running_loop().create_task(_drain())
    _running.add(task)
    task.add_done_callback(_running.discard)


async def _drain() -> None:
    try:
        while _queued[0]:
            _queued[0] = False
            await jobs.run_queued()
    except Exception:  # the job's own failures are stored FAILED; this is the database's
        logger.exception("running queued simulations in the API process failed")
