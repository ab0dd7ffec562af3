"""Kept simulations, read again (the changed cases only in the caller's scope)."""

from __future__ import annotations

from typing import Any

import strawberry

from api.access import subject_of
from api.context import Info
from api.relay import Connection, connection, encode_cursor, id_after
from api.simulation.mutations import CASES, SHOWN, require_figures, visible_cases
from api.simulation.types import Simulation
from domain.pagination import check_first
from domain.simulation import service
from domain.simulation.models import PopulationKind
from domain.simulation.models import Simulation as SimulationModel

PAGE = 20  # simulations per page unless asked


async def _visible_by_row(
    info: Info, rows: list[SimulationModel]
) -> dict[int, list[dict[str, Any]] | None]:
    """The changed cases each simulation shows the caller: one statement per population kind
    on the page (at most three), whatever the number of simulations."""
    shown: dict[int, list[dict[str, Any]] | None] = {}
    for kind in PopulationKind:
        mine = [r for r in rows if r.population_kind is kind]
        if not mine:
            continue
        model, obj = CASES[kind]
        scope = info.context.authorizer.row_filter(subject_of(info), obj)
        if scope is None:
            shown |= {r.id: None for r in mine}
            continue
        ids = {int(c["caseId"]) for r in mine for c in r.report.get("sample", [])}
        found = model.filter(scope, id__in=list(ids)).values_list("id", flat=True)
        readable = {int(pk) for pk in await found}  # type: ignore[call-overload]
        for r in mine:
            sample: list[dict[str, Any]] = r.report.get("sample", [])
            shown[r.id] = [c for c in sample if int(c["caseId"]) in readable][:SHOWN]
    return shown


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
        shown = await _visible_by_row(info, rows)
        return connection(
            [Simulation.from_model(r, shown[r.id]) for r in rows],
            [encode_cursor(r.id) for r in rows], more, query.count,
        )  # fmt: skip
