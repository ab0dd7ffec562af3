"""What a simulation is asked: the draft, the baseline, the past cases."""

from datetime import date

import strawberry

from bpmn.simulation.population import Scope
from domain.simulation.models import PopulationKind

strawberry.enum(PopulationKind, description="Which past cases a simulation replays.")
strawberry.enum(
    Scope,
    name="SimulationScope",
    description="What runs on each case: the decision table alone (TABLE), or the whole "
    "process diagram with its tables (PROCESS; past applications only).",
)


@strawberry.input(description="The draft being edited: a diagram and its tables.")
class SimulationDraftInput:
    bpmn_xml: str
    dmn_xmls: list[str] = strawberry.field(default_factory=list)


@strawberry.input(
    one_of=True, description="What the draft is compared with: the version in force or one named."
)
class SimulationBaselineInput:
    current: bool | None = strawberry.UNSET
    version: int | None = strawberry.UNSET


@strawberry.input(description="Narrows the past cases (all of them when empty).")
class SimulationFilterInput:
    product_codes: list[str] = strawberry.field(
        default_factory=list, description="Applications or loans of these products."
    )
    statuses: list[str] = strawberry.field(
        default_factory=list, description="Applications or loans in these statuses now."
    )


@strawberry.input(description="Past cases of one kind in a window of days (both included).")
class SimulationPopulationInput:
    kind: PopulationKind
    from_: date = strawberry.field(
        name="from",
        description="First day: applications submitted, collections cases opened, pre-due "
        "reminders weighed from it.",
    )
    to: date = strawberry.field(description="Last day; borrowers are taken as of this day.")
    filter: SimulationFilterInput | None = None
    replay_days: int = strawberry.field(
        default=90,
        description="For a collection strategy: the days replayed one by one, ending at `to`.",
    )


@strawberry.input(description="A draft's decision table to run beside a deployed one on history.")
class SimulateInput:
    process_id: str | None = strawberry.field(
        default=None, description="The process the draft is of (the draft's own by default)."
    )
    decision_id: str | None = strawberry.field(
        default=None, description="The table to simulate (needed when the diagram calls several)."
    )
    draft: SimulationDraftInput
    against: SimulationBaselineInput | None = strawberry.field(
        default=None, description="The version in force when not given."
    )
    population: SimulationPopulationInput
    scope: Scope = strawberry.field(
        default=Scope.TABLE,
        description="PROCESS runs each past application through the draft's whole diagram and "
        "the baseline's: approval rate, amount approved, share with no human, tasks per role.",
    )
    background: bool = strawberry.field(
        default=False,
        description="Queue it for a worker and answer at once (QUEUED): for large populations; "
        "`simulation(id)` shows its progress and figures so far, `cancelSimulation` stops it.",
    )
