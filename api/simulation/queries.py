"""Kept simulations, read again (the changed cases only in the caller's scope)."""

import strawberry

from api.access import require, require_read
from api.context import Info
from api.simulation.mutations import visible_cases
from api.simulation.types import Simulation
from authz.actions import Scope
from domain.errors import ForbiddenError
from domain.simulation import service


@strawberry.type
class SimulationQueries:
    @strawberry.field(description="A kept simulation by its number.")
    async def simulation(self, info: Info, id: int) -> Simulation:
        require_read(info, "process")
        if Scope.ALL not in require(info, "report", "read"):
            raise ForbiddenError("a simulation's figures span every case: it needs report read")
        row = await service.get_or_raise(id)
        return Simulation.from_model(row, await visible_cases(info, row))
