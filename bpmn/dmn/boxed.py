"""Boxed expressions: literal, context, invocation, relation, list, function definition,
and the DMN 1.4 conditional, filter, for, some and every."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol

from bpmn import feel
from bpmn.dmn import feelcalls
from bpmn.dmn.errors import DmnErrorCode, DmnEvaluationError
from bpmn.dmn.model import (
    BoxedContext,
    Conditional,
    DecisionTable,
    Expression,
    Filter,
    FunctionDefinition,
    Invocation,
    Iteration,
    ListExpression,
    LiteralExpression,
    Relation,
)
from bpmn.dmn.tables import TableExplanation, evaluate_table


class Env(Protocol):
    """What an evaluation needs from the DRG around it."""

    def coerce(self, value: Any, type_ref: str | None, element_id: str) -> Any:
        """The value as its declared type takes it (null, recorded, when it does not conform)."""

    def conform(self, value: Any, type_ref: str | None, element_id: str) -> Any:
        """The value as its declared type takes it; raises when it does not conform."""

    def explain(self, explanation: TableExplanation) -> None:
        """Keep which rules of a decision table fired."""

    def enter(self, element_id: str) -> None:
        """Guard one more nested call (depth and time bounds)."""

    def leave(self) -> None:
        """Leave the nested call entered last."""


def evaluate(expression: Expression | None, scope: Mapping[str, Any], env: Env) -> Any:
    """The value of a boxed expression in a scope, as its typeRef takes it (None is null)."""
    if expression is None:
        return None
    value = _value(expression, scope, env)
    if expression.type_ref and not isinstance(expression, FunctionDefinition):
        return env.coerce(value, expression.type_ref, expression.id)
    return value


def _value(expression: Expression, scope: Mapping[str, Any], env: Env) -> Any:
    if isinstance(expression, LiteralExpression):
        return feelcalls.evaluate(expression.text, scope, expression.id)
    if isinstance(expression, DecisionTable):
        return evaluate_table(expression, scope, env.coerce, env.explain)
    if isinstance(expression, BoxedContext):
        return _context(expression, scope, env)
    if isinstance(expression, Invocation):
        return _invocation(expression, scope, env)
    if isinstance(expression, Relation):
        return [
            {
                column: evaluate(cell, scope, env)
                for column, cell in zip(expression.columns, row, strict=True)
            }
            for row in expression.rows
        ]
    if isinstance(expression, ListExpression):
        return [evaluate(item, scope, env) for item in expression.items]
    if isinstance(expression, FunctionDefinition):
        return function_value(expression, scope, env, expression.id)
    if isinstance(expression, Conditional):
        condition = evaluate(expression.condition, scope, env)
        if condition is not None and not isinstance(condition, bool):
            raise DmnEvaluationError("the condition is not a boolean", expression.id)
        return evaluate(expression.then if condition else expression.otherwise, scope, env)
    if isinstance(expression, Filter):
        return _filter(expression, scope, env)
    return _iteration(expression, scope, env)


def _context(expression: BoxedContext, scope: Mapping[str, Any], env: Env) -> Any:
    local = dict(scope)
    result: dict[str, Any] = {}
    for entry in expression.entries:
        value = evaluate(entry.expression, local, env)
        if entry.name is None:
            return env.coerce(value, entry.type_ref, expression.id)
        value = env.coerce(value, entry.type_ref, expression.id)
        result[entry.name] = value
        local[entry.name] = value
    return result


def _invocation(expression: Invocation, scope: Mapping[str, Any], env: Env) -> Any:
    function = feelcalls.evaluate(expression.callee, scope, expression.id)
    if function is None:
        raise DmnEvaluationError(
            f"no function named {expression.callee!r}", expression.id, DmnErrorCode.NOT_FOUND
        )
    args = {
        binding.name: evaluate(binding.expression, scope, env) for binding in expression.bindings
    }
    env.enter(expression.id)
    try:
        return feelcalls.call(function, args, expression.id)
    finally:
        env.leave()


def function_value(
    definition: FunctionDefinition,
    closure: Mapping[str, Any],
    env: Env,
    name: str,
    result_type: str | None = None,
) -> feel.FeelFunction:
    """A FEEL function whose body is the definition's boxed expression over its closure."""
    if definition.kind != "FEEL":
        raise DmnEvaluationError(
            f"function kind {definition.kind} is not supported (only FEEL)",
            definition.id,
            DmnErrorCode.UNSUPPORTED,
        )

    def body(args: Mapping[str, Any]) -> Any:
        local = dict(closure)
        for param in definition.params:
            local[param.name] = env.conform(args.get(param.name), param.type_ref, definition.id)
        env.enter(definition.id)
        try:
            value = evaluate(definition.body, local, env)
        finally:
            env.leave()
        return env.coerce(value, result_type or definition.type_ref, definition.id)

    return feel.FeelFunction(
        params=tuple(param.name for param in definition.params),
        body=body,
        name=name,
        param_types={param.name: param.type_ref for param in definition.params if param.type_ref},
    )


def _items(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, feel.Range) and isinstance(value.start, Decimal):
        # a range of integers iterates as FEEL's ``for i in 1..3`` does
        return feelcalls.evaluate("for i in r return i", {"r": value}, "") or []
    return [value]


def _filter(expression: Filter, scope: Mapping[str, Any], env: Env) -> Any:
    source = evaluate(expression.source, scope, env)
    if source is None:
        return None
    kept = []
    for item in _items(source):
        local = dict(scope)
        if isinstance(item, Mapping):
            local.update(item)
        local["item"] = item
        if _truth(evaluate(expression.match, local, env), expression.id):
            kept.append(item)
    return kept


def _truth(value: Any, element_id: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise DmnEvaluationError("the expression is not a boolean", element_id)
    return value


def _iteration(expression: Iteration, scope: Mapping[str, Any], env: Env) -> Any:
    source = evaluate(expression.source, scope, env)
    if source is None:
        return None
    results = []
    for item in _items(source):
        local = dict(scope)
        local[expression.variable] = item
        results.append(evaluate(expression.body, local, env))
    if expression.kind == "for":
        return results
    for result in results:
        _truth(result, expression.id)
    if expression.kind == "some":
        return True if any(r is True for r in results) else (None if None in results else False)
    return False if any(r is False for r in results) else (None if None in results else True)
