"""Kept simulations, read again (the changed cases only in the caller's scope)."""

import strawberry

from api.context import Info
from api.simulation.mutations import require_figures, visible_cases
from api.simulation.types import Simulation
from domain.simulation import service


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
