"""A simulation's progress, streamed: its status, cases done and figures so far at each change.

The stream wakes on the simulations' own channel (``events.wakeups(SIMULATION_CHANNEL)``:
PostgreSQL's LISTEN/NOTIFY, or the in-process signal, and the safety-net poll,
LENDGRAPH_EVENTS_POLL_SECONDS), never for task events, and reads the simulation's status and
progress at each wake-up (its report only when they moved), yielding it only then. A worker
announces each claim, progress point and end (``events.announce_simulation``): on PostgreSQL
they are heard at once, on SQLite from another process at the next poll.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from api.context import Info
from api.process.subscriptions import still_signed_in
from api.simulation.mutations import require_figures, visible_cases
from api.simulation.types import Simulation
from domain.process import events
from domain.simulation import service
from domain.simulation.jobs import FINISHED
from domain.simulation.models import Simulation as SimulationModel

MARK = ("status", "cases_done", "cases_total", "phase", "attempts")


def _mark(row: SimulationModel) -> tuple[object, ...]:
    """What a subscriber is told again when it changes."""
    return tuple(getattr(row, name) for name in MARK)


async def _mark_now(simulation_id: int) -> tuple[object, ...] | None:
    """The mark as stored now, read without the report (None when the row is gone)."""
    found = await SimulationModel.filter(id=simulation_id).values_list(*MARK)
    return tuple(found[0]) if found else None


@strawberry.type
class SimulationSubscriptions:
    @strawberry.subscription(
        description="A simulation as it is now, then again each time its status or progress "
        "changes (the figures so far with it); it ends once DONE, FAILED or CANCELLED. Scoped "
        "as `simulation(id)`."
    )
    async def simulation_updated(self, info: Info, id: int) -> AsyncGenerator[Simulation, None]:
        require_figures(info)
        row = await service.get_or_raise(id)
        last = _mark(row)
        yield Simulation.from_model(row, await visible_cases(info, row))
        if row.status in FINISHED:
            return
        async for _ in events.wakeups(events.SIMULATION_CHANNEL):
            # most wake-ups find nothing moved: the row's few columns, not its report
            if await _mark_now(id) == last:
                continue
            row = await service.get_or_raise(id)
            last = _mark(row)
            # the subscriber may have been disabled or lost the right since the last change
            await info.context.authorizer.ensure_current()
            await still_signed_in(info)
            require_figures(info)
            yield Simulation.from_model(row, await visible_cases(info, row))
            if row.status in FINISHED:
                return
