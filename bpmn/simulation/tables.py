"""A decision table as a simulation runs it: alone, in memory, naming the rules that fired.

The table is taken from a draft's or a deployed version's DMN files and run as a process of
that one table (start, business rule task, end), through the engine's own parse and evaluate,
so whatever expression language the engine reads in its cells is read here the same way. To
say which rules fired without reaching into the engine, a copy of the table gets one more
output whose entry in each rule is that rule's id as a text literal: the engine's own hit
policy then reports the rules it chose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from bpmn import decision_classes, engine
from bpmn.errors import BpmnError
from domain.errors import ValidationError

RULE_OUTPUT = "simulation_rule"  # the extra output naming the rule that fired
TABLE_PROCESS = "simulated_table"


@dataclass(frozen=True)
class Rule:
    """A rule of the table as a report names it: its id and its annotation."""

    rule_id: str
    annotation: str


@dataclass(frozen=True)
class Decided:
    """What the table gave for one class of inputs: the outcome, the rules, the outputs."""

    outcome: str
    rules: tuple[str, ...]
    outputs: Mapping[str, Any]


@dataclass
class Table:
    """One decision table ready to run alone, its rules and the classes of its inputs."""

    decision_id: str
    outputs: tuple[str, ...]  # the table's own outputs; the first is the outcome
    rules: Mapping[str, Rule]
    bundle: engine.ParsedBundle
    classes: decision_classes.Classes

    def decide(self, values: Mapping[str, Any]) -> Decided:
        """Run the table on one set of inputs; a failure is an outcome of its own (ERROR)."""
        try:
            data = engine.evaluate(self.bundle, TABLE_PROCESS, values)
        except BpmnError as exc:
            return Decided("ERROR", (), {"error": str(exc)[:300]})
        fired = data.get(RULE_OUTPUT)
        rules = _rule_ids(fired)
        outputs = {name: data.get(name) for name in self.outputs}
        outcome = outputs.get(self.outputs[0]) if self.outputs else None
        if not rules:
            return Decided("NO_RULE", (), outputs)
        return Decided(_outcome_text(outcome), rules, outputs)


def _rule_ids(fired: Any) -> tuple[str, ...]:
    # a COLLECT table gives a list of its matches, a single-hit table one value
    if fired is None:
        return ()
    if isinstance(fired, list | tuple):
        return tuple(str(f.get(RULE_OUTPUT) if isinstance(f, dict) else f) for f in fired)
    if isinstance(fired, dict):
        return (str(fired.get(RULE_OUTPUT)),)
    return (str(fired),)


def _outcome_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "NONE"
    return "NONE" if value is None else str(value)


def load(decision_id: str, dmn_xmls: list[bytes]) -> Table:
    """The table ``decision_id`` from DMN files, made to run alone (ValidationError if absent)."""
    for dmn in dmn_xmls:
        root = engine.secure_xml(dmn)
        for decision in root.iter("{*}decision"):
            if decision.get("id") == decision_id:
                return _prepared(decision_id, root, decision)
    raise ValidationError.single(
        "decisionId", f"no decision table {decision_id!r} in the DMN files given"
    )


def _prepared(decision_id: str, root: Any, decision: Any) -> Table:
    table = decision.find("{*}decisionTable")
    if table is None:
        raise ValidationError.single("decisionId", f"{decision_id} is not a decision table")
    namespace = table.tag[: -len("decisionTable")]
    outputs = table.findall(f"{namespace}output")
    names = tuple(str(o.get("name") or o.get("label") or "") for o in outputs)
    if not outputs:
        raise ValidationError.single("decisionId", f"{decision_id} has no output")
    extra = etree.Element(f"{namespace}output", id=f"{RULE_OUTPUT}_output", name=RULE_OUTPUT)
    extra.set("typeRef", "string")
    outputs[-1].addnext(extra)
    rules: dict[str, Rule] = {}
    for n, rule in enumerate(table.findall(f"{namespace}rule"), start=1):
        rule_id = str(rule.get("id") or f"rule {n}")
        rules[rule_id] = Rule(rule_id, _annotation(rule, namespace))
        entry = etree.Element(f"{namespace}outputEntry", id=f"{RULE_OUTPUT}_{n}")
        text = etree.SubElement(entry, f"{namespace}text")
        text.text = '"' + rule_id.replace('"', "") + '"'
        last = rule.findall(f"{namespace}outputEntry")
        if last:
            last[-1].addnext(entry)
        else:
            rule.append(entry)
    dmn = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    try:
        bundle = engine.one_table(decision_id, [dmn], TABLE_PROCESS)
    except BpmnError as exc:
        raise ValidationError.single("decisionId", f"{decision_id}: {exc}") from None
    return Table(decision_id, names, rules, bundle, decision_classes.of(bundle, TABLE_PROCESS))


def _annotation(rule: Any, namespace: str) -> str:
    """The rule's description, else its annotation entries (DMN 1.3), as one line."""
    parts = [rule.findtext(f"{namespace}description") or ""]
    for entry in rule.findall(f"{namespace}annotationEntry"):
        parts.append(entry.findtext(f"{namespace}text") or "")
    return " ".join(" ".join(p.split()) for p in parts if p.strip())[:300]
