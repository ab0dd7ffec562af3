"""The strategy of a collections case: the table the diagram calls, once per class of inputs.

collections.bpmn chooses the strategy inside its collection cycle (a business rule task
calling ``collection_strategy.dmn``), so when an instance comes to rest at a timer in that
cycle (a call not allowed now, the next contact days away) the data it shows is the process's
own, without the strategy its cycle chose. The case opened beside it still needs that
strategy: the dashboard counts contacts, recoveries and cures by it.

The table the version's diagram calls for ``strategy`` is run here on the case's start data,
in memory, as a process of that one table: once per class of inputs it cannot tell apart
(:mod:`bpmn.decision_classes`; text inputs such as the bucket are each their own class), and
the answers are kept per version for every batch and chunk after.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bpmn import decision_classes, engine
from bpmn.errors import BpmnError
from domain.process.models import ProcessDefinition

OUTPUT = "strategy"
_TABLE_PROCESS = "case_strategy"
_UNREAD = decision_classes.Classes(None)
KEPT = 10_000  # answers kept per version at most (a few dozen classes in practice)


@dataclass
class Strategies:
    """The strategy table of one version; None when its diagram calls no table that gives one."""

    bundle: engine.ParsedBundle | None
    classes: decision_classes.Classes = field(default_factory=lambda: _UNREAD)
    decided: dict[Hashable, str | None] = field(default_factory=dict)

    def of(self, data: Mapping[str, Any]) -> str | None:
        """The strategy the table gives for a case's start data (None if it gives none)."""
        if self.bundle is None:
            return None
        key = self._key(data)
        if key not in self.decided:
            if len(self.decided) >= KEPT:
                self.decided.clear()
            self.decided[key] = self._decide(data)
        return self.decided[key]

    def _key(self, data: Mapping[str, Any]) -> Hashable:
        if self.classes.cuts is None:  # not analysed: every combination of data its own
            return self.classes.key(data)
        # the table reads only the inputs its cells test: the rest (ids) does not matter
        return self.classes.key({k: data[k] for k in self.classes.cuts if k in data})

    def _decide(self, data: Mapping[str, Any]) -> str | None:
        assert self.bundle is not None
        try:
            answer = engine.evaluate(self.bundle, _TABLE_PROCESS, data).get(OUTPUT)
        except BpmnError:  # the instance meets the same failure and says so itself
            return None
        return str(answer) if answer else None


_BY_VERSION: dict[str, Strategies] = {}


def of_version(definition: ProcessDefinition) -> Strategies:
    """The strategy table of a deployed collections version (read once per content)."""
    found = _BY_VERSION.get(definition.content_hash)
    if found is None:
        found = _BY_VERSION[definition.content_hash] = _read(definition)
    return found


def _read(definition: ProcessDefinition) -> Strategies:
    dmns = [d.encode("utf-8") for d in definition.dmn_xmls]
    decision = _strategy_decision(definition.bpmn_xml.encode("utf-8"), dmns)
    if decision is None:
        return Strategies(None)
    try:
        bundle = engine.one_table(decision, dmns, _TABLE_PROCESS)
    except BpmnError:
        return Strategies(None)
    return Strategies(bundle, decision_classes.of(bundle, _TABLE_PROCESS))


def _strategy_decision(bpmn_xml: bytes, dmn_xmls: list[bytes]) -> str | None:
    """The first decision the diagram calls whose table has a ``strategy`` output."""
    giving = set()
    for dmn in dmn_xmls:
        for decision in engine.secure_xml(dmn).iter("{*}decision"):
            if any(o.get("name") == OUTPUT for o in decision.iter("{*}output")):
                giving.add(decision.get("id"))
    return next((d for d in engine.called_decisions(bpmn_xml) if d in giving), None)
