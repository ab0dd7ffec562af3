"""The decision table a process consists of, when it is nothing but one."""

from __future__ import annotations

from dataclasses import dataclass

from bpmn.engine.parsing import ParsedBundle


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


def sole_decision(bundle: ParsedBundle, process_id: str) -> SoleDecision | None:
    """The decision table ``process_id`` consists of; None when the process does anything else.

    Anything else: a script, a gateway, a second task, a subprocess, a boundary or non-plain
    event, data objects or associations, a loop. Then only running the process says what it does.
    """
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
    table = getattr(chain[2].dmnEngine, "decision_table", None)
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
    return SoleDecision(chain[2].extensions.get("calledDecisionId", ""), table.hit_policy, rules)
