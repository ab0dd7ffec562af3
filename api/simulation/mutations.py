"""simulate: a draft's decision table beside a deployed version, on past cases, kept."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from tortoise.models import Model

from api.access import Audited, require, require_read, subject_of
from api.context import Info
from api.errors import UserErrors, returns_user_errors
from api.simulation.inputs import SimulateInput
from api.simulation.types import Simulation
from authz.actions import Scope
from bpmn.simulation import run
from bpmn.simulation.population import Population
from domain.application.models import Application
from domain.customer.models import Customer
from domain.errors import ForbiddenError
from domain.loan.models import Loan
from domain.simulation import service
from domain.simulation.models import PopulationKind
from domain.simulation.models import Simulation as SimulationModel

SHOWN = 50  # changed cases shown at most
# the rows a population's case ids are, and the object their reads are granted on
CASES: dict[PopulationKind, tuple[type[Model], str]] = {
    PopulationKind.APPLICATIONS: (Application, "application"),
    PopulationKind.LOANS: (Loan, "loan"),
    PopulationKind.CUSTOMERS: (Customer, "customer"),
}


@strawberry.type(description="The simulation ran and is kept with its draft.")
class SimulateSuccess:
    simulation: Simulation


SimulateResult = Annotated[SimulateSuccess | UserErrors, strawberry.union("SimulateResult")]


def _population(input: SimulateInput) -> Population:
    asked = input.population
    narrowed = asked.filter
    return Population(
        kind=asked.kind, start=asked.from_, end=asked.to,
        product_codes=tuple(narrowed.product_codes) if narrowed else (),
        statuses=tuple(narrowed.statuses) if narrowed else (), replay_days=asked.replay_days,
    )  # fmt: skip


def _against(input: SimulateInput) -> int | None:
    baseline = input.against
    if baseline is None or not isinstance(baseline.version, int):
        return None  # the version in force
    return baseline.version


async def visible_cases(info: Info, row: SimulationModel) -> list[dict[str, Any]] | None:
    """The changed cases of a simulation the caller may read; None when they may read none."""
    model, obj = CASES[row.population_kind]
    scope = info.context.authorizer.row_filter(subject_of(info), obj)
    if scope is None:
        return None
    sample: list[dict[str, Any]] = row.report.get("sample", [])
    ids = [int(case["caseId"]) for case in sample]
    rows = model.filter(scope, id__in=ids).values_list("id", flat=True)
    readable = {int(pk) for pk in await rows}  # type: ignore[call-overload]
    return [case for case in sample if int(case["caseId"]) in readable][:SHOWN]


@strawberry.type
class SimulationMutations:
    @strawberry.mutation(
        description="Run a draft's decision table and a deployed version's over the same past "
        "cases, in memory: old × new outcomes with amounts, and the changed cases you may read."
    )
    @returns_user_errors
    async def simulate(self, info: Info, input: SimulateInput) -> SimulateResult:
        require_read(info, "process")
        if Scope.ALL not in require(info, "report", "read"):
            raise ForbiddenError("a simulation's figures span every case: it needs report read")
        draft = run.Draft(
            input.draft.bpmn_xml.encode("utf-8"), [d.encode("utf-8") for d in input.draft.dmn_xmls]
        )
        population = _population(input)
        done = await run.simulate(
            draft, population, process_id=input.process_id, decision_id=input.decision_id,
            against_version=_against(input),
        )  # fmt: skip
        async with Audited(info, "process.simulate", "simulation") as change:
            row = await service.create(
                process_id=done.process_id, decision_id=done.decision_id,
                draft_digest=done.draft_digest, against_version=done.against_version,
                population_kind=population.kind, population=population.described(),
                report=done.report, ran_by=subject_of(info).username,
            )  # fmt: skip
            change.object_id = row.id
            change.after = {
                "process_id": row.process_id, "decision_id": row.decision_id,
                "draft_digest": row.draft_digest, "against_version": row.against_version,
                "population": row.population, "changed": done.report["totals"]["changed"],
            }  # fmt: skip
        return SimulateSuccess(
            simulation=Simulation.from_model(row, await visible_cases(info, row))
        )
