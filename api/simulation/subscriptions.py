"""A simulation's progress, streamed: its status, cases done and figures so far at each change.

No second announcement channel: the stream wakes with the task events' (``events.wakeups``,
PostgreSQL's LISTEN/NOTIFY and the safety-net poll, LENDGRAPH_EVENTS_POLL_SECONDS) and reads the
simulation's row at each wake-up, yielding it only when its status, progress or phase moved.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from api.context import Info
from api.process.subscriptions import _still_signed_in
from api.simulation.mutations import require_figures, visible_cases
from api.simulation.types import Simulation
from domain.process import events
from domain.simulation import service
from domain.simulation.jobs import FINISHED
from domain.simulation.models import Simulation as SimulationModel


def _mark(row: SimulationModel) -> tuple[object, ...]:
    """What a subscriber is told again when it changes."""
    return (row.status, row.cases_done, row.cases_total, row.phase, row.attempts)


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
        async for _ in events.wakeups():
            row = await service.get_or_raise(id)
            if _mark(row) == last:
                continue
            last = _mark(row)
            # the subscriber may have been disabled or lost the right since the last change
            await info.context.authorizer.ensure_current()
            await _still_signed_in(info)
            require_figures(info)
            yield Simulation.from_model(row, await visible_cases(info, row))
            if row.status in FINISHED:
                return
