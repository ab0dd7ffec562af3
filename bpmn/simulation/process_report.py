"""The report of a whole-process simulation: per side the approval rate, the amount approved,
the share of applications no human touched, the tasks per candidate role; old × new outcome
in the decision table's cell shape; the changed applications with both paths."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bpmn.simulation.population import Case
from bpmn.simulation.process_cases import APPROVED, Path, ProcessSide, recorded_decision
from bpmn.simulation.report import Counts

ASSUMPTION = (
    "where a human decides (a review task), the decision the application actually got is "
    "taken as the reviewer's; an application with no decision yet waits there (PENDING)"
)
OUTCOME = "decision"  # what the cells compare: the process's decision
RUNS_PER_PAUSE = 20  # diagram runs (about 1.5 ms each) between two yields to the event loop


@dataclass
class SideFigures:
    """What one side's runs added up to."""

    cases: int = 0
    approved: int = 0
    approved_amount: Decimal = Decimal("0")
    no_human: int = 0  # no human task at all
    no_human_decision: int = 0  # decided without a review task
    tasks: Counter[str] = field(default_factory=Counter)  # per candidate role
    lanes: Counter[str] = field(default_factory=Counter)

    def add(self, path: Path, amount: Decimal) -> None:
        """Count one application's run."""
        self.cases += 1
        if path.outcome == APPROVED:
            self.approved += 1
            self.approved_amount += amount
        if not path.tasks:
            self.no_human += 1
        if not path.reviewed and path.outcome != "PENDING":
            self.no_human_decision += 1
        for _, role in path.tasks:
            self.tasks[role] += 1
        self.lanes[path.lane or "NONE"] += 1

    def shown(self, runs: int) -> dict[str, Any]:
        """As the report keeps it; rates as decimals of 4 places."""
        return {
            "cases": self.cases, "approved": self.approved,
            "approvalRate": _share(self.approved, self.cases),
            "approvedAmount": str(self.approved_amount),
            "noHuman": self.no_human, "noHumanShare": _share(self.no_human, self.cases),
            "noHumanDecision": self.no_human_decision,
            "noHumanDecisionShare": _share(self.no_human_decision, self.cases),
            "tasksPerRole": [{"role": r, "tasks": n} for r, n in sorted(self.tasks.items())],
            "lanes": [{"outcome": k, "count": n} for k, n in sorted(self.lanes.items())],
            "runs": runs,
        }  # fmt: skip


def _share(part: int, whole: int) -> str:
    return str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else 0)


@dataclass
class ProcessTally:
    """The figures of a whole-process simulation as its cases go by."""

    old: ProcessSide
    new: ProcessSide
    counts: Counts = field(default_factory=Counts)
    sides: tuple[SideFigures, SideFigures] = field(
        default_factory=lambda: (SideFigures(), SideFigures())
    )
    _paused_at: int = 0

    def busy(self) -> bool:
        """Whether enough runs were made since the last time this said so that the caller
        should let the event loop run (a run holds it far longer than a table's answer)."""
        runs = self.old.runs + self.new.runs
        if runs - self._paused_at < RUNS_PER_PAUSE:
            return False
        self._paused_at = runs
        return True

    def add(self, case: Case) -> tuple[str, str] | None:
        """Run a case both ways and count it; (old, new) outcome when its lane or decision
        changes."""
        decision = recorded_decision(case.status)
        before = self.old.path(case.values, decision)
        after = self.new.path(case.values, decision)
        pair = (before.outcome, after.outcome)
        self.sides[0].add(before, case.amount)
        self.sides[1].add(after, case.amount)
        changed = (before.outcome, before.lane) != (after.outcome, after.lane)
        self.counts.add(case, pair, changed, lambda: {
            "assumedDecision": decision, "old": before.shown(), "new": after.shown(),
        })  # fmt: skip
        return pair if changed else None

    def figures(self) -> dict[str, Any]:
        """The cells, totals and both sides' process figures, as the report keeps them."""
        return {
            "outcomeOutput": OUTCOME,
            **self.counts.figures(
                {"old": self.old.runs, "new": self.new.runs}, {"old": True, "new": True}
            ),
            "process": {
                "assumption": ASSUMPTION,
                "old": self.sides[0].shown(self.old.runs),
                "new": self.sides[1].shown(self.new.runs),
            },
        }
