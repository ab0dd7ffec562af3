"""The report of a simulation: old outcome × new outcome, amounts, and changed cases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bpmn import engine
from bpmn.simulation.keys import Keys
from bpmn.simulation.population import Case
from bpmn.simulation.tables import Decided, Table

SAMPLE = 500  # changed cases kept for the sample; callers see the ones in their scope
KEPT = 50_000  # decided classes kept per table at most (a few hundred in practice)


@dataclass
class Side:
    """One of the two tables of a simulation, with its answers kept per class of inputs."""

    label: str
    table: Table
    keys: Keys = field(init=False)
    decided: dict[Hashable, Decided] = field(default_factory=dict)
    evaluations: int = 0

    def __post_init__(self) -> None:
        self.keys = Keys(self.table.classes)

    def decide(self, values: Mapping[str, Any]) -> Decided:
        """The table's answer for these inputs: run once per class, then read back."""
        key = self.keys.key(values)
        found = self.decided.get(key)
        if found is None:
            if len(self.decided) >= KEPT:
                self.decided.clear()
            found = self.decided[key] = self.table.decide(values)
            self.evaluations += 1
        return found


@dataclass
class Cell:
    """Cases that went from one outcome to another, and the amount at stake in them."""

    count: int = 0
    amount: Decimal = Decimal("0")


@dataclass
class Counts:
    """What every simulation's tally counts: cases and amounts per (old, new) outcome, cases
    per input source, the changed cases and their amount, and a bounded sample of them."""

    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    sources: Counter[str] = field(default_factory=Counter)
    sample: list[dict[str, Any]] = field(default_factory=list)
    changed: int = 0
    changed_amount: Decimal = Decimal("0")

    def add(
        self, case: Case, pair: tuple[str, str], changed: bool, shown: Callable[[], dict[str, Any]]
    ) -> None:
        """Count a case in its (old, new) cell; a changed one in the changes too, and in the
        sample while it has room, with what ``shown`` gives after the case's own fields."""
        cell = self.cells.get(pair)
        if cell is None:
            cell = self.cells[pair] = Cell()
        cell.count += 1
        cell.amount += case.amount
        self.sources[case.source] += 1  # a StrEnum: counted under its text
        if not changed:
            return
        self.changed += 1
        self.changed_amount += case.amount
        if len(self.sample) < SAMPLE:
            self.sample.append({
                "caseId": case.case_id, "customerId": case.customer_id,
                "amount": str(case.amount), "inputSource": case.source.value,
                "inputs": engine.plain(case.values), **shown(),
            })  # fmt: skip

    def figures(self, evaluations: dict[str, Any], classes_read: dict[str, Any]) -> dict[str, Any]:
        """The cells, their margins and totals, as the report keeps them."""
        ordered = sorted(self.cells.items(), key=lambda item: item[0])
        return {
            "cells": [{"old": a, "new": b, "count": c.count, "amount": str(c.amount)}
                      for (a, b), c in ordered],
            "totals": {
                "cases": sum(c.count for c in self.cells.values()),
                "amount": str(sum((c.amount for c in self.cells.values()), Decimal("0"))),
                "changed": self.changed, "changedAmount": str(self.changed_amount),
                "old": _margin(self.cells, 0), "new": _margin(self.cells, 1),
                "inputSources": {str(k): n for k, n in sorted(self.sources.items())},
                "evaluations": evaluations, "classesRead": classes_read,
            },
        }  # fmt: skip


@dataclass
class Tally:
    """The figures of a simulation as its cases go by, chunk after chunk."""

    old: Side
    new: Side
    counts: Counts = field(default_factory=Counts)

    def busy(self) -> bool:
        """Whether the caller should let the event loop run now beyond its own pauses: never,
        a table's answer is short (a whole process's tally says so after enough runs)."""
        return False

    def add(self, case: Case) -> tuple[str, str] | None:
        """Decide a case both ways and count it; (old, new) when its outcome changes."""
        before, after = self.old.decide(case.values), self.new.decide(case.values)
        pair = (before.outcome, after.outcome)
        changed = before.outcome != after.outcome
        self.counts.add(case, pair, changed, lambda: {
            "old": self._explained(self.old, before), "new": self._explained(self.new, after),
        })  # fmt: skip
        return pair if changed else None

    @staticmethod
    def _explained(side: Side, decided: Decided) -> dict[str, Any]:
        rules = side.table.rules
        return {
            "outcome": decided.outcome,
            "rules": [{"id": r, "annotation": rules[r].annotation if r in rules else ""}
                      for r in decided.rules],
            "outputs": engine.plain(dict(decided.outputs)),
        }  # fmt: skip

    def figures(self) -> dict[str, Any]:
        """The confusion table, its margins and totals, as the report keeps them."""
        return {
            "outcomeOutput": self.new.table.outputs[0],
            **self.counts.figures(
                {"old": self.old.evaluations, "new": self.new.evaluations},
                {"old": self.old.keys.analysed, "new": self.new.keys.analysed},
            ),
        }


def _margin(cells: Mapping[tuple[str, str], Cell], side: int) -> list[dict[str, Any]]:
    """Cases and amounts per outcome on one side of the table."""
    totals: dict[str, Cell] = {}
    for pair, cell in cells.items():
        found = totals.setdefault(pair[side], Cell())
        found.count += cell.count
        found.amount += cell.amount
    return [{"outcome": k, "count": c.count, "amount": str(c.amount)}
            for k, c in sorted(totals.items())]  # fmt: skip
