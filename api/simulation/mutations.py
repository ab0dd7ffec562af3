"""simulate: a draft's decision table beside a deployed version, on past cases, kept."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from tortoise.models import Model

from api.access import Audited, require, require_read, subject_of
from api.context import Info
from api.errors import UserErrors, returns_user_errors
from api.simulation import in_process
from api.simulation.inputs import SimulateInput
from api.simulation.types import Simulation
from authz.actions import Scope
from bpmn.simulation import run
from bpmn.simulation.population import Population
from domain.application.models import Application
from domain.customer.models import Customer
from domain.errors import ForbiddenError
from domain.loan.models import Loan
from domain.simulation import jobs, service
from domain.simulation.models import PopulationKind
from domain.simulation.models import Simulation as SimulationModel

SHOWN = 50  # changed cases shown at most
ADMIN = "admin"  # the role that may cancel anyone's simulation
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


@strawberry.type(description="The cancel is recorded: CANCELLED, or at the next progress point.")
class CancelSimulationSuccess:
    simulation: Simulation


CancelSimulationResult = Annotated[
    CancelSimulationSuccess | UserErrors, strawberry.union("CancelSimulationResult")
]


def _population(input: SimulateInput) -> Population:
    asked = input.population
    narrowed = asked.filter
    return Population(
        kind=asked.kind, start=asked.from_, end=asked.to,
        product_codes=tuple(narrowed.product_codes) if narrowed else (),
        statuses=tuple(narrowed.statuses) if narrowed else (), replay_days=asked.replay_days,
        scope=input.scope,
    )  # fmt: skip


def _against(input: SimulateInput) -> int | None:
    baseline = input.against
    if baseline is None or not isinstance(baseline.version, int):
        return None  # the version in force
    return baseline.version


def require_figures(info: Info) -> None:
    """Refuse (ForbiddenError) a caller who may not read a simulation's figures."""
    require_read(info, "process")
    if Scope.ALL not in require(info, "report", "read"):
        raise ForbiddenError("a simulation's figures span every case: it needs report read")


async def visible_cases(info: Info, row: SimulationModel) -> list[dict[str, Any]] | None:
    """The changed cases of a simulation the caller may read; None when they may read none."""
    return (await visible_cases_of(info, [row]))[row.id]


async def visible_cases_of(
    info: Info, rows: list[SimulationModel]
) -> dict[int, list[dict[str, Any]] | None]:
    """The changed cases each simulation shows the caller (None where they may read none): one
    statement per population kind among `rows` (at most three), whatever their number."""
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
class SimulationMutations:
    @strawberry.mutation(
        description="Run a draft's decision table and a deployed version's over the same past "
        "cases, in memory: old × new outcomes with amounts, and the changed cases you may read."
    )
    @returns_user_errors
    async def simulate(self, info: Info, input: SimulateInput) -> SimulateResult:
        require_figures(info)
        draft = run.Draft(
            input.draft.bpmn_xml.encode("utf-8"), [d.encode("utf-8") for d in input.draft.dmn_xmls]
        )
        population = _population(input)
        prepared = await run.prepare(
            draft, population, process_id=input.process_id, decision_id=input.decision_id,
            against_version=_against(input),
        )  # fmt: skip
        kept = None
        if input.background:  # checked now, run by a worker
            report = run.empty_report(prepared)
            kept = {"bpmnXml": input.draft.bpmn_xml, "dmnXmls": list(input.draft.dmn_xmls)}
        else:
            report = (await run.execute(prepared)).report
        async with Audited(info, "process.simulate", "simulation") as change:
            row = await service.create(
                process_id=prepared.process_id, decision_id=prepared.decision_id,
                draft_digest=draft.digest, against_version=prepared.against_version,
                population_kind=population.kind, population=population.described(),
                report=report, ran_by=subject_of(info).username, draft=kept,
            )  # fmt: skip
            change.object_id = row.id
            change.after = {
                "process_id": row.process_id, "decision_id": row.decision_id,
                "draft_digest": row.draft_digest, "against_version": row.against_version,
                "population": row.population, "status": row.status.value,
                "changed": report["totals"]["changed"],
            }  # fmt: skip
        if kept is not None:
            in_process.started()
        return SimulateSuccess(
            simulation=Simulation.from_model(row, await visible_cases(info, row))
        )

    @strawberry.mutation(
        description="Stop a background simulation: a queued one at once, a running one at its "
        "next progress point, keeping the figures so far. Its author or an administrator."
    )
    @returns_user_errors
    async def cancel_simulation(self, info: Info, id: int) -> CancelSimulationResult:
        require_figures(info)
        subject = subject_of(info)
        found = await service.get_or_raise(id)
        if found.ran_by != subject.username and ADMIN not in subject.roles:
            raise ForbiddenError("only who asked for a simulation or an administrator cancels it")
        async with Audited(info, "process.cancel_simulation", "simulation") as change:
            row = await jobs.cancel(id, by=subject.username)
            change.object_id = row.id
            change.after = {"status": row.status.value, "cases_done": row.cases_done}
        return CancelSimulationSuccess(
            simulation=Simulation.from_model(row, await visible_cases(info, row))
        )
