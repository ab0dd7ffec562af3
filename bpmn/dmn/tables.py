"""Decision tables: rule matching, every hit policy and COLLECT aggregation, with explanations."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bpmn.dmn import feelcalls
from bpmn.dmn.errors import DmnErrorCode, DmnEvaluationError
from bpmn.dmn.model import DecisionTable, OutputClause

# Coerces a value to a typeRef (raising when it does not conform); supplied by the DRG.
Coerce = Callable[[Any, str | None, str], Any]


@dataclass(frozen=True, slots=True)
class TableExplanation:
    """Which rules of a decision table matched (1-based indices, ids and the rules' annotation
    cells, the business reason a modeler wrote beside them) and what the table gave."""

    table_id: str
    hit_policy: str
    aggregation: str | None
    inputs: tuple[Any, ...]
    matched: tuple[int, ...]
    rule_ids: tuple[str, ...]
    result: Any
    annotations: tuple[tuple[str, ...], ...] = ()


def evaluate_table(
    table: DecisionTable,
    scope: Mapping[str, Any],
    coerce: Coerce,
    explain: Callable[[TableExplanation], None],
) -> Any:
    """The result of a decision table in a scope; ``explain`` receives the fired rules."""
    values = tuple(_input_value(table, index, scope, coerce) for index in range(len(table.inputs)))
    matched = [
        index
        for index, rule in enumerate(table.rules)
        if all(
            feelcalls.test(entry, values[pos], scope, rule.id)
            for pos, entry in enumerate(rule.inputs)
        )
    ]
    result = _apply_policy(table, matched, scope, coerce)
    explain(
        TableExplanation(
            table_id=table.id,
            hit_policy=table.hit_policy,
            aggregation=table.aggregation,
            inputs=values,
            matched=tuple(index + 1 for index in matched),
            rule_ids=tuple(table.rules[index].id for index in matched),
            result=result,
            annotations=tuple(table.rules[index].annotations for index in matched),
        )
    )
    return result


def _input_value(table: DecisionTable, index: int, scope: Mapping[str, Any], coerce: Coerce) -> Any:
    clause = table.inputs[index]
    value = feelcalls.evaluate(clause.text, scope, clause.id)
    if (
        clause.input_values
        and value is not None
        and not feelcalls.test(clause.input_values, value, scope, clause.id)
    ):
        raise DmnEvaluationError(
            f"input {clause.text!r} is not one of its input values",
            clause.id,
            DmnErrorCode.CONSTRAINT,
        )
    return value


def _apply_policy(
    table: DecisionTable, matched: list[int], scope: Mapping[str, Any], coerce: Coerce
) -> Any:
    policy = table.hit_policy
    if not matched:
        return _no_match(table, scope, coerce)
    if policy == "FIRST":
        return _rule_output(table, matched[0], scope, coerce)
    if policy == "UNIQUE":
        if len(matched) > 1:
            raise DmnEvaluationError(
                f"UNIQUE hit policy but rules {_numbers(matched)} matched",
                table.id,
                DmnErrorCode.HIT_POLICY,
            )
        return _rule_output(table, matched[0], scope, coerce)
    outputs = [_rule_output(table, index, scope, coerce) for index in matched]
    if policy == "ANY":
        first = outputs[0]
        if any(not feelcalls.equal(first, other) for other in outputs[1:]):
            raise DmnEvaluationError(
                f"ANY hit policy but rules {_numbers(matched)} give different outputs",
                table.id,
                DmnErrorCode.HIT_POLICY,
            )
        return first
    if policy in ("PRIORITY", "OUTPUT ORDER"):
        keys = [_priority(table, output, scope) for output in outputs]
        ordered = [
            output for _, _, output in sorted(zip(keys, range(len(outputs)), outputs, strict=True))
        ]
        return ordered[0] if policy == "PRIORITY" else ordered
    if policy == "COLLECT" and table.aggregation:
        return _aggregate(table, outputs)
    return outputs  # RULE ORDER and COLLECT without aggregation


def _no_match(table: DecisionTable, scope: Mapping[str, Any], coerce: Coerce) -> Any:
    if table.hit_policy == "COLLECT" and table.aggregation == "COUNT":
        return Decimal(0)
    if not any(output.default is not None for output in table.outputs):
        if table.hit_policy in ("COLLECT", "RULE ORDER", "OUTPUT ORDER") and not table.aggregation:
            return []
        return None
    values = {
        _name(output, pos): _output_value(output, output.default or "", scope, coerce)
        for pos, output in enumerate(table.outputs)
    }
    return next(iter(values.values())) if len(table.outputs) == 1 else values


def _rule_output(table: DecisionTable, index: int, scope: Mapping[str, Any], coerce: Coerce) -> Any:
    rule = table.rules[index]
    if len(table.outputs) == 1:
        return _output_value(table.outputs[0], rule.outputs[0], scope, coerce, rule.id)
    return {
        _name(output, pos): _output_value(output, rule.outputs[pos], scope, coerce, rule.id)
        for pos, output in enumerate(table.outputs)
    }


def _output_value(
    output: OutputClause,
    text: str,
    scope: Mapping[str, Any],
    coerce: Coerce,
    rule_id: str | None = None,
) -> Any:
    value = feelcalls.evaluate(text, scope, rule_id or output.id)
    if (
        output.output_values
        and value is not None
        and not feelcalls.test(output.output_values, value, scope, output.id)
    ):
        raise DmnEvaluationError(
            f"output {output.name or ''} is not one of its output values",
            rule_id or output.id,
            DmnErrorCode.CONSTRAINT,
        )
    return coerce(value, output.type_ref, rule_id or output.id)


def _name(output: OutputClause, position: int) -> str:
    return output.name or f"output {position + 1}"


def _priority(table: DecisionTable, output: Any, scope: Mapping[str, Any]) -> tuple[int, ...]:
    """Rank of an output by its outputs' values lists (earlier in the list is higher)."""
    values = output if len(table.outputs) > 1 else {None: output}
    key = []
    for pos, clause in enumerate(table.outputs):
        value = values.get(_name(clause, pos)) if len(table.outputs) > 1 else values[None]
        key.append(_rank(clause, value, scope))
    return tuple(key)


def _rank(clause: OutputClause, value: Any, scope: Mapping[str, Any]) -> int:
    if not clause.output_values:
        return 0
    listed = feelcalls.evaluate(f"[{clause.output_values}]", scope, clause.id)
    if isinstance(listed, list):
        for index, candidate in enumerate(listed):
            if feelcalls.equal(candidate, value):
                return index
    return 1 << 30


def _aggregate(table: DecisionTable, outputs: list[Any]) -> Any:
    if len(table.outputs) > 1:
        raise DmnEvaluationError(
            "COLLECT with an aggregation needs a single output", table.id, DmnErrorCode.HIT_POLICY
        )
    if table.aggregation == "COUNT":
        return Decimal(len(outputs))
    function = {"SUM": "sum", "MIN": "min", "MAX": "max"}[table.aggregation or ""]
    values = [value for value in outputs if value is not None]
    if not values:
        return None
    return feelcalls.evaluate(f"{function}(values)", {"values": values}, table.id)


def _numbers(matched: list[int]) -> str:
    return ", ".join(str(index + 1) for index in matched)
