"""A whole-process simulation's figures as GraphQL types (simulate with scope PROCESS)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry


@strawberry.type(description="Human tasks a side made for one candidate role.")
class RoleWorkload:
    role: str
    tasks: int = strawberry.field(description="Tasks created (the expected workload).")


@strawberry.type(description="Applications that reached one risk lane on one side.")
class LaneCount:
    lane: str
    count: int


@strawberry.type(description="What one side's diagram did over every application.")
class ProcessSideFigures:
    cases: int
    approved: int
    approval_rate: Decimal = strawberry.field(description="Approved of all, 4 places.")
    approved_amount: Decimal = strawberry.field(description="Amounts of the approved ones.")
    no_human: int = strawberry.field(description="Applications for which no human task was made.")
    no_human_share: Decimal
    no_human_decision: int = strawberry.field(
        description="Applications decided without a review task (a signature may still follow)."
    )
    no_human_decision_share: Decimal
    tasks_per_role: list[RoleWorkload]
    lanes: list[LaneCount]
    runs: int = strawberry.field(
        description="Times the diagram ran: once per key of the start data it tells apart."
    )

    @classmethod
    def from_report(cls, found: dict[str, Any]) -> ProcessSideFigures:
        """From the report's side figures."""
        return cls(
            cases=found["cases"], approved=found["approved"],
            approval_rate=Decimal(found["approvalRate"]),
            approved_amount=Decimal(found["approvedAmount"]), no_human=found["noHuman"],
            no_human_share=Decimal(found["noHumanShare"]),
            no_human_decision=found["noHumanDecision"],
            no_human_decision_share=Decimal(found["noHumanDecisionShare"]),
            tasks_per_role=[RoleWorkload(role=r["role"], tasks=r["tasks"])
                            for r in found["tasksPerRole"]],
            lanes=[LaneCount(lane=r["outcome"], count=r["count"]) for r in found["lanes"]],
            runs=found["runs"],
        )  # fmt: skip


@strawberry.type(
    description="The whole process run on past applications, the baseline's diagram and the "
    "draft's; the cells compare their decisions (APPROVED, DECLINED, PENDING, ENDED, ERROR)."
)
class ProcessFigures:
    assumption: str = strawberry.field(description="What the figures take for a human's part.")
    old: ProcessSideFigures = strawberry.field(description="The baseline's diagram.")
    new: ProcessSideFigures = strawberry.field(description="The draft's diagram.")

    @classmethod
    def from_report(cls, found: dict[str, Any] | None) -> ProcessFigures | None:
        """From the report's ``process`` part; None for a decision-table simulation."""
        if found is None:
            return None
        return cls(
            assumption=found["assumption"], old=ProcessSideFigures.from_report(found["old"]),
            new=ProcessSideFigures.from_report(found["new"]),
        )  # fmt: skip


@strawberry.type(description="A human task a case's run made.")
class CaseTask:
    element: str = strawberry.field(description="The task's element id in the diagram.")
    role: str = strawberry.field(description="Its candidate role (else its lane).")


def case_tasks(found: dict[str, Any]) -> list[CaseTask] | None:
    """The tasks of one side of a changed case; None for a decision-table simulation."""
    tasks = found.get("tasks")
    if tasks is None:
        return None
    return [CaseTask(element=t["element"], role=t["role"]) for t in tasks]
