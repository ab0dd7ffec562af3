"""The decision table a process consists of, when it is nothing but one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bpmn.engine.feel_bridge import FeelDecision
from bpmn.engine.parsing import ParsedBundle, parse


@dataclass(frozen=True)
class DecisionCell:
    """An input cell of a decision rule: its input's expression and its tests (None: any)."""

    input_expression: str | None
    tests: tuple[str | None, ...]


@dataclass(frozen=True)
class DecisionRule:
    """A row of a decision table as the engine runs it: input cells, then (output, text)."""

    cells: tuple[DecisionCell, ...]
    outputs: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class SoleDecision:
    """A process that is one decision table and nothing else, with the table's rows."""

    decision_id: str
    hit_policy: str
    rules: tuple[DecisionRule, ...]


_PLAIN_TASKS = ("BpmnStartTask", "StartEvent", "BusinessRuleTask", "EndEvent", "_EndJoin")


def _sole_rule_task(bundle: ParsedBundle, process_id: str) -> Any | None:
    """The business rule task ``process_id`` consists of; None when it does anything else.

    Anything else: a script, a gateway, a second task, a subprocess, a boundary or non-plain
    event, data objects or associations, a loop. Then only running the process says what it does.
    """
    if process_id not in bundle._sole:
        bundle._sole[process_id] = _read_sole_rule_task(bundle, process_id)
    return bundle._sole[process_id]


def _read_sole_rule_task(bundle: ParsedBundle, process_id: str) -> Any | None:
    spec, subs = bundle._specs[process_id]
    if subs or spec.io_specification is not None or spec.data_objects or spec.data_stores:
        return None
    tasks = spec.task_specs
    chain = [tasks.get("Start")]
    while chain[-1] is not None and len(chain) <= len(tasks) and chain[-1].outputs:
        if len(chain[-1].outputs) != 1:
            return None
        chain.append(chain[-1].outputs[0])
    kinds = tuple(type(t).__name__ for t in chain[:-1])
    if len(chain) != len(tasks) or kinds != _PLAIN_TASKS or chain[-1].name != "End":
        return None
    for task in chain:
        if len(task.inputs) > 1 or task.pre_assign or task.post_assign or task.defines:
            return None
        if getattr(task, "prescript", None) or getattr(task, "postscript", None):
            return None
        if getattr(task, "data_input_associations", None) or getattr(
            task, "data_output_associations", None
        ):
            return None
        if getattr(task, "io_specification", None) is not None:
            return None
        event = getattr(task, "event_definition", None)
        if event is not None and type(event).__name__ != "NoneEventDefinition":
            return None
    return chain[2]


def sole_feel_decision(bundle: ParsedBundle, process_id: str) -> tuple[str, FeelDecision] | None:
    """The FEEL decision ``process_id`` consists of, with its task's element id, or None."""
    task = _sole_rule_task(bundle, process_id)
    if task is None or not isinstance(task.dmnEngine, FeelDecision):
        return None
    return task.bpmn_id, task.dmnEngine


def sole_decision(bundle: ParsedBundle, process_id: str) -> SoleDecision | None:
    """The decision table (in lendgraph's language) ``process_id`` consists of, or None."""
    task = _sole_rule_task(bundle, process_id)
    if task is None:
        return None
    table = getattr(task.dmnEngine, "decision_table", None)
    if table is None:  # a FEEL decision: its cells are not the engine's own tests
        return None
    rules = tuple(
        DecisionRule(
            cells=tuple(
                DecisionCell(entry.input.expression, tuple(entry.lhs))
                for entry in rule.inputEntries
            ),
            outputs=tuple(
                (entry.output.name or entry.output.label, getattr(entry, "text", None))
                for entry in rule.outputEntries
            ),
        )
        for rule in table.rules
    )
    return SoleDecision(task.extensions.get("calledDecisionId", ""), table.hit_policy, rules)


_ONE_TABLE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="{process}_diagram"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{process}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>to_decide</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="decide">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
      <bpmn:incoming>to_decide</bpmn:incoming><bpmn:outgoing>to_end</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:endEvent id="end"><bpmn:incoming>to_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="to_decide" sourceRef="start" targetRef="decide" />
    <bpmn:sequenceFlow id="to_end" sourceRef="decide" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def one_table(decision_id: str, dmn_xmls: list[bytes], process_id: str) -> ParsedBundle:
    """A process ``process_id`` that only calls ``decision_id``: a table run alone, in either
    language (raises BpmnError when the table cannot be parsed)."""
    diagram = _ONE_TABLE.format(process=process_id, decision=decision_id)
    return parse(diagram.encode("utf-8"), dmn_xmls)
