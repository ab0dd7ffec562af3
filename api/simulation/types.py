"""A kept simulation and its report as GraphQL types."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from api.simulation.movement_types import SimulationMovement
from api.simulation.process_types import CaseTask, ProcessFigures, case_tasks
from api.simulation.replay_types import CollectionsReplay
from domain.simulation.models import Simulation as SimulationModel
from domain.simulation.models import SimulationStatus

strawberry.enum(SimulationStatus, description="Where a simulation stands.")


@strawberry.type(description="Cases that went from one outcome to another, and their amount.")
class SimulationCell:
    old: str = strawberry.field(description="The outcome of the baseline's table.")
    new: str = strawberry.field(description="The outcome of the draft's table.")
    count: int
    amount: Decimal = strawberry.field(
        description="Application amounts, loan principals, installments' amounts due (reminders) "
        "or customer exposures, summed."
    )


@strawberry.type(description="Cases and amount with one outcome on one side.")
class OutcomeTotal:
    outcome: str
    count: int
    amount: Decimal


@strawberry.type(description="The totals of a simulation.")
class SimulationTotals:
    cases: int
    amount: Decimal
    changed: int = strawberry.field(description="Cases whose outcome the draft changes.")
    changed_amount: Decimal
    old: list[OutcomeTotal] = strawberry.field(description="Per outcome of the baseline.")
    new: list[OutcomeTotal] = strawberry.field(description="Per outcome of the draft.")
    recorded_inputs: int = strawberry.field(
        description="Cases run on the inputs their live decision kept."
    )
    rebuilt_inputs: int = strawberry.field(
        description="Cases run on inputs rebuilt from the stored facts as of their date."
    )
    baseline_evaluations: int = strawberry.field(
        description="Times the baseline's table ran: once per class of inputs it tells apart."
    )
    draft_evaluations: int = strawberry.field(description="Times the draft's table ran.")


@strawberry.type(description="A rule that fired, as the table names and annotates it.")
class FiredRule:
    id: str
    annotation: str


@strawberry.type(description="What one table decided for a case, and why.")
class CaseDecision:
    outcome: str
    rules: list[FiredRule]
    outputs: JSON
    path: list[str] | None = strawberry.field(
        default=None, description="Whole process: the elements the run passed, in order."
    )
    tasks: list[CaseTask] | None = strawberry.field(
        default=None, description="Whole process: the human tasks the run made."
    )


@strawberry.type(description="A case whose outcome the draft changes, with both explanations.")
class ChangedCase:
    case_id: int = strawberry.field(
        description="The application, loan or customer id (by the population's kind); for a "
        "reminder cadence the installment's loan, its days before the due date in the inputs."
    )
    customer_id: int
    amount: Decimal
    input_source: str = strawberry.field(description="RECORDED or REBUILT.")
    inputs: JSON
    assumed_decision: str | None = strawberry.field(
        default=None,
        description="Whole process: the decision a reviewer is taken to give (the one the "
        "application got), null when it has none yet.",
    )
    old: CaseDecision
    new: CaseDecision


@strawberry.type(description="The observed performance of the granted loans in one cell.")
class ObservedCell:
    old: str
    new: str
    loans: int
    principal: Decimal
    worst_dpd: int
    defaulted: int


@strawberry.type(
    description="How the loans actually granted among changed applications went on to "
    "perform: observed history, not a prediction."
)
class ObservedPerformance:
    label: str
    as_of: date
    default_dpd: int = strawberry.field(description="Days past due from which a loan defaulted.")
    loans: int
    principal: Decimal
    worst_dpd: int
    defaulted: int
    cells: list[ObservedCell]


@strawberry.type(description="How far a background simulation has gone.")
class SimulationProgress:
    cases_done: int = strawberry.field(description="Cases decided both ways so far.")
    cases_total: int | None = strawberry.field(
        description="Cases in the population, once a worker has counted them; for borrowers, "
        "the customers with a loan (the cases done, once DONE)."
    )
    phase: str | None = strawberry.field(
        description="CASES, then REPLAY for a collection strategy's day-by-day replay."
    )


@strawberry.type(description="A draft's table run beside a deployed version on past cases.")
class Simulation:
    id: int = strawberry.field(description="Cited by a deploy of the same draft as simulationId.")
    process_id: str
    decision_id: str
    draft_digest: str = strawberry.field(description="The content hash a deploy of it would get.")
    against_version: int
    population: JSON
    outcome_output: str = strawberry.field(description="The table output compared.")
    cells: list[SimulationCell]
    totals: SimulationTotals
    observed: ObservedPerformance | None = strawberry.field(
        description="For applications: the performance of granted loans among changed ones."
    )
    process: ProcessFigures | None = strawberry.field(
        description="Scope PROCESS: both diagrams run whole on past applications, with the "
        "approval rate, amount approved, share with no human and tasks per role of each."
    )
    collections: CollectionsReplay | None = strawberry.field(
        description="For a collection strategy: both tables replayed day by day over the loans "
        "past due in the window, with the contacts, the policy's suppressions and the workload."
    )
    movements: list[SimulationMovement] | None = strawberry.field(
        description="All changed cases by the customer's RFM segment and risk rating as stored "
        "today: who enters and who leaves; null for a simulation kept before they were counted."
    )
    changed_cases: list[ChangedCase] | None = strawberry.field(
        description="A sample of changed cases in your scope; null when you may not read them."
    )
    ran_by: str
    ran_at: datetime = strawberry.field(description="When it was asked.")
    seconds: float = strawberry.field(description="How long the simulation took (so far).")
    status: SimulationStatus = strawberry.field(
        description="DONE when run in its request; a background one is QUEUED, RUNNING, then "
        "DONE, FAILED or CANCELLED. The figures are those so far until DONE."
    )
    progress: SimulationProgress
    error: str | None = strawberry.field(description="Why it FAILED, and where.")
    cancelled_by: str | None = strawberry.field(description="Who asked to cancel it.")
    started_at: datetime | None = strawberry.field(
        description="When it started: when asked for one run in its request; for a background "
        "one, when a worker took it (null while queued, again if a worker gave it back)."
    )
    finished_at: datetime | None = strawberry.field(
        description="When it ended: DONE, FAILED or CANCELLED; null until then."
    )

    @classmethod
    def from_model(cls, row: SimulationModel, visible: list[dict[str, Any]] | None) -> Simulation:
        """The GraphQL view of a kept simulation; ``visible`` the changed cases shown."""
        report = row.report
        return cls(
            id=row.id, process_id=row.process_id, decision_id=row.decision_id,
            draft_digest=row.draft_digest, against_version=row.against_version,
            population=cast(JSON, row.population), outcome_output=str(report["outcomeOutput"]),
            cells=[SimulationCell(old=c["old"], new=c["new"], count=c["count"],
                                  amount=Decimal(c["amount"])) for c in report["cells"]],
            totals=_totals(report["totals"]), observed=_observed(report.get("observed")),
            process=ProcessFigures.from_report(report.get("process")),
            collections=CollectionsReplay.from_report(report.get("collections")),
            movements=SimulationMovement.from_report(report.get("movements")),
            changed_cases=None if visible is None else [_case(c) for c in visible],
            ran_by=row.ran_by, ran_at=row.ran_at, seconds=float(report["seconds"]),
            status=row.status, error=row.error, cancelled_by=row.cancel_requested_by,
            progress=SimulationProgress(cases_done=row.cases_done, cases_total=row.cases_total,
                                        phase=row.phase),
            started_at=_started_at(row), finished_at=row.finished_at,
        )  # fmt: skip


def _started_at(row: SimulationModel) -> datetime | None:
    """A background job's start; one run in its request (none kept) started when asked."""
    if row.started_at is None and row.status is SimulationStatus.DONE:
        return row.ran_at
    return row.started_at


def _outcomes(rows: list[dict[str, Any]]) -> list[OutcomeTotal]:
    return [OutcomeTotal(outcome=r["outcome"], count=r["count"], amount=Decimal(r["amount"]))
            for r in rows]  # fmt: skip


def _totals(found: dict[str, Any]) -> SimulationTotals:
    sources, runs = found["inputSources"], found["evaluations"]
    return SimulationTotals(
        cases=found["cases"], amount=Decimal(found["amount"]), changed=found["changed"],
        changed_amount=Decimal(found["changedAmount"]), old=_outcomes(found["old"]),
        new=_outcomes(found["new"]), recorded_inputs=sources.get("RECORDED", 0),
        rebuilt_inputs=sources.get("REBUILT", 0), baseline_evaluations=runs["old"],
        draft_evaluations=runs["new"],
    )  # fmt: skip


def _decision(found: dict[str, Any]) -> CaseDecision:
    return CaseDecision(
        outcome=found["outcome"], outputs=found["outputs"],
        rules=[FiredRule(id=r["id"], annotation=r["annotation"]) for r in found["rules"]],
        path=found.get("path"), tasks=case_tasks(found),
    )  # fmt: skip


def _case(found: dict[str, Any]) -> ChangedCase:
    return ChangedCase(
        case_id=found["caseId"], customer_id=found["customerId"],
        amount=Decimal(found["amount"]), input_source=found["inputSource"],
        inputs=found["inputs"], old=_decision(found["old"]), new=_decision(found["new"]),
        assumed_decision=found.get("assumedDecision"),
    )  # fmt: skip


def _observed(found: dict[str, Any] | None) -> ObservedPerformance | None:
    if found is None:
        return None
    return ObservedPerformance(
        label=found["label"], as_of=date.fromisoformat(found["asOf"]),
        default_dpd=found["defaultDpd"], loans=found["loans"],
        principal=Decimal(found["principal"]), worst_dpd=found["worstDpd"],
        defaulted=found["defaulted"],
        cells=[ObservedCell(old=c["old"], new=c["new"], loans=c["loans"],
                            principal=Decimal(c["principal"]), worst_dpd=c["worstDpd"],
                            defaulted=c["defaulted"]) for c in found["cells"]],
    )  # fmt: skip
