"""Kept simulations, read again (the changed cases only in the caller's scope)."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.relay import Connection, connection, encode_cursor, id_after
from api.simulation.mutations import require_figures, visible_cases, visible_cases_of
from api.simulation.types import Simulation
from domain.pagination import check_first
from domain.simulation import service
from domain.simulation.models import Simulation as SimulationModel

PAGE = 20  # simulations per page unless asked


@strawberry.type
class SimulationQueries:
    @strawberry.field(
        description="A kept simulation by its number: a background one with its progress and "
        "the figures so far while it runs."
    )
    async def simulation(self, info: Info, id: int) -> Simulation:
        require_figures(info)
        row = await service.get_or_raise(id)
        return Simulation.from_model(row, await visible_cases(info, row))

    @strawberry.field(
        description="The kept simulations of a process, newest first (any status): two of the "
        "same decision and population can be compared side by side."
    )
    async def simulations(
        self, info: Info, process_id: str, first: int | None = PAGE, after: str | None = None
    ) -> Connection[Simulation]:
        require_figures(info)
        size = check_first(PAGE if first is None else first)
        before = id_after(after, SimulationModel)
        query = SimulationModel.filter(process_id=process_id)
        page = query if before is None else query.filter(id__lt=before)
        rows = list(await page.order_by("-id").limit(size + 1))
        rows, more = rows[:size], len(rows) > size
        shown = await visible_cases_of(info, rows)
        return connection(
            [Simulation.from_model(r, shown[r.id]) for r in rows],
            [encode_cursor(r.id) for r in rows], more, query.count,
        )  # fmt: skip
