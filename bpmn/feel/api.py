"""The FEEL entry points: parse (cached), evaluate, and run unary tests."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from functools import lru_cache
from typing import Any

from bpmn.feel import nodes as n
from bpmn.feel.builtins import BUILTINS
from bpmn.feel.calls import budget_scope
from bpmn.feel.convert import to_feel
from bpmn.feel.errors import FeelError, FeelLimitError, FeelSyntaxError
from bpmn.feel.evaluator import evaluate_node, run_test
from bpmn.feel.parser import parse_expression_tree, parse_unary_tests_tree
from bpmn.feel.scope import InputScope, Scope
from bpmn.feel.values import Range

Clock = Callable[[], dt.datetime]
_BUILTIN_SCOPE = Scope(BUILTINS)
_MAX_KNOWN_NAMES = 2_000


@dataclass(frozen=True)
class FeelExpression:
    """A parsed FEEL expression; names with spaces or symbols are bound when evaluated."""

    text: str
    tree: n.Node


@dataclass(frozen=True)
class FeelUnaryTests:
    """Parsed FEEL unary tests (a decision table input entry)."""

    text: str
    tree: n.Node


@lru_cache(maxsize=4096)
def _expression_tree(text: str, names: frozenset[str]) -> n.Node:
    return _with_local_names(parse_expression_tree, text, names)


@lru_cache(maxsize=4096)
def _tests_tree(text: str, names: frozenset[str]) -> n.Node:
    return _with_local_names(parse_unary_tests_tree, text, names)


def _with_local_names(
    parse: Callable[[str, frozenset[str]], n.Node], text: str, names: frozenset[str]
) -> n.Node:
    """Context keys and parameters with blanks, keywords or symbols are names in the rest of
    the text too: a second reading knows them (the first stands if the second fails)."""
    tree = parse(text, names)
    local = _local_names(tree) - names
    if not local:
        return tree
    try:
        return parse(text, names | local)
    except FeelSyntaxError:
        return tree


def _local_names(tree: n.Node) -> frozenset[str]:
    """Names the text itself defines (context keys, parameters, loop variables) that are
    not plain identifiers."""
    found: set[str] = set()
    pending: list[object] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, tuple):
            pending.extend(node)
            continue
        if isinstance(node, n.ContextLiteral):
            found.update(key for key, _ in node.entries)
        elif isinstance(node, n.FunctionDefinition):
            found.update(name for name, _ in node.params)
        elif isinstance(node, n.Iteration):
            found.add(node.name)
        if isinstance(node, n.Node | n.Iteration) and is_dataclass(node):
            pending.extend(getattr(node, field.name) for field in fields(node))
    return frozenset(name for name in found if not name.isidentifier() and name.strip())


def parse_expression(text: str) -> FeelExpression:
    """A FEEL expression, parsed once (bounded cache); FeelSyntaxError when it is not one."""
    return FeelExpression(text, _expression_tree(text, frozenset()))


def parse_unary_tests(text: str) -> FeelUnaryTests:
    """FEEL unary tests, parsed once (bounded cache); FeelSyntaxError when they are not."""
    return FeelUnaryTests(text, _tests_tree(text, frozenset()))


# A word, then a blank or a name symbol, then a letter: where a name may hold more than one word.
_JOINED_WORDS = re.compile(r"[^\W\d][\w']*(?:\s+|[./\-+*'])[^\W\d]")


@lru_cache(maxsize=4096)
def _may_hold_joined_names(text: str) -> bool:
    return _JOINED_WORDS.search(text) is not None


def _special_names(text: str, context: Mapping[str, Any]) -> frozenset[str]:
    """Names of the context (and its nested contexts) that hold blanks or symbols and
    occur in ``text``: the lexer must read them as one name."""
    if not context or not _may_hold_joined_names(text):
        return frozenset()
    found: set[str] = set()
    pending: list[tuple[Mapping[str, Any], int]] = [(context, 0)]
    seen = 0
    while pending and seen < _MAX_KNOWN_NAMES:
        mapping, depth = pending.pop()
        for key, value in mapping.items():
            seen += 1
            if isinstance(key, str) and not key.isidentifier() and key in text:
                found.add(key)
            if isinstance(value, Mapping) and depth < 3:
                pending.append((value, depth + 1))
            elif isinstance(value, list) and value and isinstance(value[0], Mapping) and depth < 3:
                pending.append((value[0], depth + 1))
    return frozenset(found)


def _guarded(run: Callable[[], Any], clock: Clock | None) -> Any:
    """Run one evaluation in a fresh budget; Python's own limits become FeelLimitError."""
    try:
        with budget_scope(clock):
            return run()
    except RecursionError:
        raise FeelLimitError("expression nested too deeply") from None
    except MemoryError:
        raise FeelLimitError("expression used too much memory") from None


def evaluate(
    expr: str | FeelExpression, context: Mapping[str, Any], *, clock: Clock | None = None
) -> Any:
    """The FEEL value of ``expr`` with ``context``'s names in scope; ``clock`` feeds now()."""
    text = expr if isinstance(expr, str) else expr.text
    names = _special_names(text, context)
    if isinstance(expr, FeelExpression) and not names:
        tree = expr.tree
    else:
        tree = _expression_tree(text, names)
    scope = InputScope(context, _BUILTIN_SCOPE)
    return _guarded(lambda: evaluate_node(tree, scope), clock)


def unary_test_value(
    tests: str | FeelUnaryTests,
    value: Any,
    context: Mapping[str, Any],
    *,
    clock: Clock | None = None,
) -> bool | None:
    """A decision table input entry against the input value: True, False or None."""
    text = tests if isinstance(tests, str) else tests.text
    names = _special_names(text, context)
    if isinstance(tests, FeelUnaryTests) and not names:
        tree = tests.tree
    else:
        tree = _tests_tree(text, names)
    scope = InputScope(context, _BUILTIN_SCOPE)
    verdict = _guarded(lambda: run_test(tree, to_feel(value), scope), clock)
    return verdict if isinstance(verdict, bool) else None


def unary_test(
    tests: str | FeelUnaryTests,
    value: Any,
    context: Mapping[str, Any],
    *,
    clock: Clock | None = None,
) -> bool:
    """Whether the input value passes the unary tests (unknown counts as no)."""
    return unary_test_value(tests, value, context, clock=clock) is True


def range_from_text(text: str) -> Range | None:
    """The range written in ``text`` with literal ends (the ``range()`` built-in), or None."""
    try:
        tree = _expression_tree(text, frozenset())
    except FeelError:
        return None
    if not isinstance(tree, n.RangeLiteral):
        return None
    ends = (tree.start, tree.end)
    if not all(end is None or _literal_end(end) for end in ends):
        return None
    found = _guarded(lambda: evaluate_node(tree, _BUILTIN_SCOPE), None)
    return found if isinstance(found, Range) else None


def _literal_end(node: n.Node) -> bool:
    if isinstance(node, n.Literal):
        return True
    if isinstance(node, n.Negate):
        return _literal_end(node.operand)
    if isinstance(node, n.Call) and isinstance(node.function, n.Name):
        return node.function.name in (
            "date", "time", "date and time", "duration", "number", "string",
        ) and all(isinstance(arg, n.Literal) for arg in node.args)  # fmt: skip
    return False
