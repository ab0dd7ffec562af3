"""Tree-walking FEEL evaluator: every node kind, null-aware, within the evaluation budget."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import fields, is_dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from bpmn.feel import nodes as n
from bpmn.feel.calls import budget_scope, current_budget, invoke
from bpmn.feel.errors import MAX_COLLECTION_LENGTH, FeelLimitError
from bpmn.feel.operators import arithmetic, compare_op, feel_equal, negate
from bpmn.feel.ranges import make_range, range_contains
from bpmn.feel.scope import MISSING, Scope
from bpmn.feel.temporal import temporal_property
from bpmn.feel.types import conforms
from bpmn.feel.values import DaysTimeDuration, FeelFunction, Range, YearsMonthsDuration

_Handler = Callable[[Any, Scope], Any]
_HANDLERS: dict[type[n.Node], _Handler] = {}


def evaluate_node(node: n.Node, scope: Scope) -> Any:
    """The value of ``node`` in ``scope``."""
    current_budget().tick()
    return _HANDLERS[type(node)](node, scope)


def _handles(kind: type[n.Node]) -> Callable[[_Handler], _Handler]:
    def register(handler: _Handler) -> _Handler:
        _HANDLERS[kind] = handler
        return handler

    return register


def truth(value: Any) -> bool | None:
    """A boolean as itself; anything else is null in three-valued logic."""
    return value if isinstance(value, bool) else None


@_handles(n.Literal)
def _literal(node: n.Literal, scope: Scope) -> Any:
    return node.value


@_handles(n.Name)
def _name(node: n.Name, scope: Scope) -> Any:
    found = scope.lookup(node.name)
    return None if found is MISSING else found


@_handles(n.Negate)
def _negate(node: n.Negate, scope: Scope) -> Any:
    return negate(evaluate_node(node.operand, scope))


@_handles(n.Arithmetic)
def _arithmetic(node: n.Arithmetic, scope: Scope) -> Any:
    return arithmetic(node.op, evaluate_node(node.left, scope), evaluate_node(node.right, scope))


@_handles(n.Comparison)
def _comparison(node: n.Comparison, scope: Scope) -> Any:
    return compare_op(node.op, evaluate_node(node.left, scope), evaluate_node(node.right, scope))


@_handles(n.Conjunction)
def _conjunction(node: n.Conjunction, scope: Scope) -> Any:
    left = truth(evaluate_node(node.left, scope))
    if left is False:
        return False
    right = truth(evaluate_node(node.right, scope))
    if right is False:
        return False
    return True if left and right else None


@_handles(n.Disjunction)
def _disjunction(node: n.Disjunction, scope: Scope) -> Any:
    left = truth(evaluate_node(node.left, scope))
    if left is True:
        return True
    right = truth(evaluate_node(node.right, scope))
    if right is True:
        return True
    return False if left is False and right is False else None


@_handles(n.Between)
def _between(node: n.Between, scope: Scope) -> Any:
    value = evaluate_node(node.value, scope)
    low = compare_op(">=", value, evaluate_node(node.low, scope))
    high = compare_op("<=", value, evaluate_node(node.high, scope))
    if low is False or high is False:
        return False
    return True if low and high else None


@_handles(n.In)
def _in(node: n.In, scope: Scope) -> Any:
    return any_test(node.tests, evaluate_node(node.value, scope), scope)


@_handles(n.InstanceOf)
def _instance_of(node: n.InstanceOf, scope: Scope) -> Any:
    return conforms(evaluate_node(node.value, scope), node.type)


@_handles(n.If)
def _if(node: n.If, scope: Scope) -> Any:
    if evaluate_node(node.condition, scope) is True:
        return evaluate_node(node.then, scope)
    return evaluate_node(node.otherwise, scope)


def _domain(iteration: n.Iteration, scope: Scope) -> list[Any] | None:
    start = evaluate_node(iteration.domain, scope)
    if start is None:
        return None
    if iteration.end is not None:
        return _integer_span(start, evaluate_node(iteration.end, scope), True, True)
    if isinstance(start, Range):
        return _integer_span(start.start, start.end, start.start_included, start.end_included)
    return start if isinstance(start, list) else [start]


def _integer_span(start: Any, end: Any, start_in: bool, end_in: bool) -> list[Any] | None:
    if _plain_date(start) and _plain_date(end):
        days = (end - start).days
        if abs(days) >= MAX_COLLECTION_LENGTH:
            raise FeelLimitError("iteration range too large")
        step = 1 if days >= 0 else -1
        span = [start + dt.timedelta(days=i) for i in range(0, days + step, step)]
        return span[0 if start_in else 1 : None if end_in else -1]
    if not all(isinstance(v, Decimal) and v == v.to_integral_value() for v in (start, end)):
        return None
    first, last = int(start), int(end)
    if abs(last - first) >= MAX_COLLECTION_LENGTH:
        raise FeelLimitError("iteration range too large")
    step = 1 if last >= first else -1
    span = [Decimal(i) for i in range(first, last + step, step)]
    return span[0 if start_in else 1 : None if end_in else -1]


def _plain_date(value: Any) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _bindings(
    iterations: tuple[n.Iteration, ...], scope: Scope, bound: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    if not iterations:
        yield dict(bound)
        return
    first, rest = iterations[0], iterations[1:]
    domain = _domain(first, scope.child(bound))
    if domain is None:
        raise _NullDomain
    for item in domain:
        bound[first.name] = item
        yield from _bindings(rest, scope, bound)
    bound.pop(first.name, None)


class _NullDomain(Exception):
    """An iteration domain that is not a list nor an integer range: the result is null."""


@_handles(n.For)
def _for(node: n.For, scope: Scope) -> Any:
    results: list[Any] = []
    try:
        for bound in _bindings(node.iterations, scope, {}):
            bound["partial"] = results
            results.append(evaluate_node(node.body, scope.child(bound)))
            if len(results) > MAX_COLLECTION_LENGTH:
                raise FeelLimitError("for produced too many items")
    except _NullDomain:
        return None
    return results


@_handles(n.Quantified)
def _quantified(node: n.Quantified, scope: Scope) -> Any:
    try:
        for bound in _bindings(node.iterations, scope, {}):
            holds = evaluate_node(node.condition, scope.child(bound)) is True
            if holds != node.every:
                return holds
    except _NullDomain:
        return None
    return node.every


@_handles(n.FunctionDefinition)
def _function(node: n.FunctionDefinition, scope: Scope) -> Any:
    if node.external:
        return None  # Java and PMML externals are not offered: nothing may reach the host
    names = tuple(name for name, _ in node.params)
    typed = {name: kind for name, kind in node.params if kind is not None}

    def body(args: dict[str, Any]) -> Any:
        for name, kind in typed.items():
            if args.get(name) is not None and conforms(args[name], kind) is not True:
                return None
        with budget_scope(None):  # called back from Python, it still runs within a budget
            return evaluate_node(node.body, scope.child(args))

    return FeelFunction(names, body)


@_handles(n.ListLiteral)
def _list(node: n.ListLiteral, scope: Scope) -> Any:
    return [evaluate_node(item, scope) for item in node.items]


@_handles(n.ContextLiteral)
def _context(node: n.ContextLiteral, scope: Scope) -> Any:
    result: dict[str, Any] = {}
    inner = scope.child(result)
    for key, value in node.entries:
        if key in result:
            return None
        result[key] = evaluate_node(value, inner)
    return result


@_handles(n.RangeLiteral)
def _range(node: n.RangeLiteral, scope: Scope) -> Any:
    start = None if node.start is None else evaluate_node(node.start, scope)
    end = None if node.end is None else evaluate_node(node.end, scope)
    if start is None or end is None:
        return None
    return make_range(start, end, node.start_included, node.end_included)


@_handles(n.UnaryComparison)
def _unary_range(node: n.UnaryComparison, scope: Scope) -> Any:
    endpoint = evaluate_node(node.endpoint, scope)
    if endpoint is None:
        return None
    if node.op in ("<", "<="):
        return make_range(None, endpoint, False, node.op == "<=")
    if node.op in (">", ">="):
        return make_range(endpoint, None, node.op == ">=", False)
    if node.op == "=":
        return make_range(endpoint, endpoint, True, True)
    return None


@_handles(n.Filter)
def _filter(node: n.Filter, scope: Scope) -> Any:
    base = evaluate_node(node.base, scope)
    if base is None:
        return None
    items = base if isinstance(base, list) else [base]
    if isinstance(node.condition, n.Literal | n.Negate):
        index = evaluate_node(node.condition, scope)
        if isinstance(index, Decimal):
            return _at_index(items, index)
    kept = []
    for position, item in enumerate(items):
        bound = {"item": item}
        if isinstance(item, dict):
            bound.update(item)
        verdict = evaluate_node(node.condition, scope.child(bound))
        if isinstance(verdict, Decimal) and position == 0 and not isinstance(verdict, bool):
            return _at_index(items, verdict)
        if verdict is True:
            kept.append(item)
    return kept


def _at_index(items: list[Any], index: Decimal) -> Any:
    if index != index.to_integral_value():
        return None
    position = int(index)
    if position > 0 and position <= len(items):
        return items[position - 1]
    if position < 0 and -position <= len(items):
        return items[position]
    return None


@_handles(n.Path)
def _path(node: n.Path, scope: Scope) -> Any:
    return member(evaluate_node(node.base, scope), node.name)


def member(value: Any, name: str) -> Any:
    """``value.name``: a context entry, a projection over a list, or a documented property."""
    if isinstance(value, dict):
        return value.get(name)
    if isinstance(value, list):
        return [member(item, name) for item in value]
    if isinstance(value, Range):
        fields = {"start": value.start, "end": value.end}
        fields |= {"start included": value.start_included, "end included": value.end_included}
        return fields.get(name)
    if isinstance(value, dt.date | dt.time | DaysTimeDuration | YearsMonthsDuration):
        try:
            return temporal_property(value, name)
        except KeyError:
            return None
    return None


@_handles(n.Call)
def _call(node: n.Call, scope: Scope) -> Any:
    function = evaluate_node(node.function, scope)
    if node.named is not None:
        named = {key: evaluate_node(value, scope) for key, value in node.named}
        return invoke(function, None, named)
    return invoke(function, [evaluate_node(arg, scope) for arg in node.args])


@_handles(n.AnyValue)
def _any_value(node: n.AnyValue, scope: Scope) -> Any:
    return True


# -- unary tests ---------------------------------------------------------------------------
def any_test(tests: tuple[n.Node, ...], value: Any, scope: Scope) -> bool | None:
    """Whether ``value`` passes one of ``tests``: True, False, or None when unknown."""
    unknown = False
    for test in tests:
        verdict = run_test(test, value, scope)
        if verdict is True:
            return True
        unknown = unknown or verdict is None
    return None if unknown else False


def run_test(test: n.Node, value: Any, scope: Scope) -> bool | None:
    """One unary test against ``value`` (bound to ``?`` while it runs)."""
    current_budget().tick()
    if isinstance(test, n.AnyValue):
        return True
    if isinstance(test, n.TestList):
        return any_test(test.tests, value, scope)
    if isinstance(test, n.NotTests):
        verdict = any_test(test.tests, value, scope)
        return None if verdict is None else not verdict
    inner = scope.child({"?": value})
    if isinstance(test, n.UnaryComparison):
        return compare_op(test.op, value, evaluate_node(test.endpoint, inner))
    expected = evaluate_node(test, inner)
    if expected is None and isinstance(test, n.RangeLiteral):
        return None
    if isinstance(expected, bool) and (uses_input(test) or not isinstance(value, bool)):
        return expected
    return matches(expected, value)


def matches(expected: Any, value: Any) -> bool | None:
    """An expression's value used as a test: a range holds, a list contains, else equality."""
    if isinstance(expected, Range):
        return range_contains(expected, value)
    if isinstance(expected, list):
        if isinstance(value, list) and feel_equal(expected, value):
            return True
        # Membership: an item of another kind is simply not the value.
        return any(
            (matches(item, value) if isinstance(item, Range) else feel_equal(item, value)) is True
            for item in expected
        )
    return feel_equal(expected, value)


@lru_cache(maxsize=2048)
def uses_input(node: object) -> bool:
    """Whether a test refers to ``?`` (then its boolean value is its verdict)."""
    if isinstance(node, n.Name):
        return node.name == "?"
    if isinstance(node, tuple):
        return any(uses_input(part) for part in node)
    if is_dataclass(node) and not isinstance(node, type):
        return any(uses_input(getattr(node, field.name)) for field in fields(node))
    return False
