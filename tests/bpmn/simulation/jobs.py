"""Background simulations for the tests: queued as the mutation queues them, watched at
their progress points."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from bpmn.simulation import run
from bpmn.simulation.population import Population
from domain.simulation import service
from domain.simulation.jobs import Claim
from domain.simulation.models import Simulation


async def queue(bpmn: str, dmn: str, population: Population, *, by: str = "ana") -> Simulation:
    """A simulation kept QUEUED with its draft, as ``simulate(background: true)`` keeps it."""
    draft = run.Draft(bpmn.encode(), [dmn.encode()])
    prepared = await run.prepare(draft, population)
    return await service.create(
        process_id=prepared.process_id, decision_id=prepared.decision_id,
        draft_digest=draft.digest, against_version=prepared.against_version,
        population_kind=population.kind, population=population.described(),
        report=run.empty_report(prepared), ran_by=by,
        draft={"bpmnXml": bpmn, "dmnXmls": [dmn]},
    )  # fmt: skip


def without_seconds(report: dict[str, Any]) -> dict[str, Any]:
    """A report but its running time, which differs from run to run."""
    return {k: v for k, v in report.items() if k != "seconds"}


@dataclass
class Watch:
    """A progress hook: notes each point (and what the row showed then); held at ``hold``."""

    hold: int | None = None
    points: list[tuple[int, int | None, str]] = field(default_factory=list)
    shown: list[int] = field(default_factory=list)  # the row's cases_done at each point
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    go_on: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, claim: Claim, point: run.Point) -> None:
        self.points.append((point.done, point.total, point.phase))
        row = await Simulation.get(id=claim.simulation.id)
        self.shown.append(row.cases_done)
        if self.hold is not None and point.done >= self.hold and not self.reached.is_set():
            self.reached.set()
            await self.go_on.wait()
