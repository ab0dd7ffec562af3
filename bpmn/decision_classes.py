"""Classes of inputs a deployed decision table cannot tell apart, read from the table itself.

A cell such as ``> 30``, ``? is not None and ? < 600``, ``600 <= ? < 700``, ``in (1, 2)`` or
``"A"`` compares its input with constants. Two numbers that lie on the same side of, or equal
the same one of, every constant an input's cells name match the same cells, hence the same
rules, and get the same outputs: one member of a class stands for all of it. A class is the
tuple of the inputs' interval indices among their constants (None a class of its own).

The classes are derived from the version in force each time, so an analyst's edit moves them.
What the analysis cannot read (a function call, arithmetic, another input in a cell, an output
that reads the data, a process doing more than the table, a Decimal that changes how the
engine reads float constants) leaves every combination of inputs its own class, as before.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
from bisect import bisect_left
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bpmn import engine, feel_classes

Number = int | float

# How SpiffWorkflow's DMNEngine reads a cell: '?' outside quotes names the input as this.
_QUESTION = re.compile(r"(\?)(?=(?:[^\'\"]|[\'\"][^\'\"]*[\'\"])*$)")
_SPIFF_INPUT = "dmninputexpr"
_ORDER = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_LARGEST_INT = 2**63  # far inside the evaluator's integer limit


class _Unreadable(Exception):
    """A cell or output the analysis does not read: every combination is its own class."""


@dataclass(frozen=True)
class Classes:
    """Per input, the sorted constants its cells compare with; None: no classes (every
    combination of inputs is its own)."""

    cuts: Mapping[str, tuple[Number, ...]] | Mapping[str, tuple[Decimal, ...]] | None
    feel: bool = False  # a FEEL table: every number compares as the decimal it is

    @property
    def analysed(self) -> bool:
        return self.cuts is not None

    def key(self, values: Mapping[str, Any]) -> Hashable:
        """The class of one set of inputs: inputs of the same key get the same decision."""
        if self.feel and self.cuts is not None:
            return _feel_key(self.cuts, values)
        if self.cuts is None or not _plain(values):
            return _exact(values)
        parts = []
        for name, cuts in self.cuts.items():
            if name not in values:
                return _exact(values)
            value = values[name]
            if value is None:
                parts.append(-1)
            elif _number(value):
                at = bisect_left(cuts, value)
                parts.append(2 * at + int(at < len(cuts) and cuts[at] == value))
            else:
                return _exact(values)
        return ("class", tuple(parts))


def of(bundle: engine.ParsedBundle, process_id: str) -> Classes:
    """The classes of ``process_id``'s inputs; no classes unless it is one readable table."""
    decision = engine.sole_decision(bundle, process_id)
    if decision is None:
        found = engine.decisions.sole_feel_decision(bundle, process_id)
        if found is None:
            return Classes(None)
        table = found[1]
        return Classes(feel_classes.cuts(table.models, table.decision_id), feel=True)
    script = engine.make_engine()
    cuts: dict[str, set[Number]] = {}
    try:
        for rule in decision.rules:
            for _, text in rule.outputs:
                _check_output(script, text)
            for cell in rule.cells:
                for test in cell.tests:
                    if test is None:  # '-' or empty: the engine does not look at the input
                        continue
                    name = _input_name(script, cell.input_expression)
                    cuts.setdefault(name, set()).update(_constants(script, name, test))
    except _Unreadable:
        return Classes(None)
    return Classes({name: tuple(sorted(found)) for name, found in cuts.items()})


def _feel_key(cuts: Mapping[str, tuple[Any, ...]], values: Mapping[str, Any]) -> Hashable:
    parts = []
    for name, found in cuts.items():
        if name not in values:
            return _exact(values)
        value = values[name]
        if type(value) is float and math.isfinite(value):
            value = Decimal(repr(value))  # as FEEL reads a float it is given
        if value is None:
            parts.append(-1)
        elif (type(value) is int and abs(value) < _LARGEST_INT) or (
            type(value) is Decimal and value.is_finite()
        ):
            at = bisect_left(found, value)
            parts.append(2 * at + int(at < len(found) and found[at] == value))
        else:
            return _exact(values)
    return ("class", tuple(parts))


def _exact(values: Mapping[str, Any]) -> Hashable:
    return ("exact", tuple((k, type(v).__name__, v) for k, v in values.items()))


def _plain(values: Mapping[str, Any]) -> bool:
    # a Decimal anywhere in the data makes the engine read float constants as Decimals
    return _SPIFF_INPUT not in values and not any(isinstance(v, Decimal) for v in values.values())


def _number(value: Any) -> bool:
    if type(value) is int:  # not bool, not an enum
        return abs(value) < _LARGEST_INT
    return type(value) is float and math.isfinite(value)


def _parses(script: engine.SafeScriptEngine, text: str) -> bool:
    try:
        script.validate(text)
    except SyntaxError:
        return False
    return True


def _input_name(script: engine.SafeScriptEngine, expression: str | None) -> str:
    """The data key an input reads; only a bare name is read (else the engine's label rules)."""
    if (
        not expression
        or not expression.isidentifier()
        or keyword.iskeyword(expression)
        or expression.startswith("_")
        or expression == _SPIFF_INPUT
        or expression in script.evaluator.functions
        or expression == "today"
    ):
        raise _Unreadable(expression)
    return expression


def _check_output(script: engine.SafeScriptEngine, text: str | None) -> None:
    """An output that reads no name is the same for every input."""
    if not text:
        return
    if script.evaluator.parse_check(text) is not None:
        raise _Unreadable(text)
    tree = ast.parse(text.strip(), mode="eval")
    if any(isinstance(node, ast.Name) for node in ast.walk(tree)):
        raise _Unreadable(text)


def _constants(script: engine.SafeScriptEngine, name: str, test: str) -> set[Number]:
    """The numbers a cell compares its input with, built into the expression the engine runs."""
    text = _QUESTION.sub(_SPIFF_INPUT, test)
    if _SPIFF_INPUT in text:
        expression, variable = text, _SPIFF_INPUT
    elif _parses(script, text):
        expression, variable = f"({name}) == ({text})", name
    elif _parses(script, f"v {text}"):
        expression, variable = name + text, name
    else:
        raise _Unreadable(test)
    if script.evaluator.parse_check(expression) is not None:
        raise _Unreadable(test)
    return _predicate(ast.parse(expression.strip(), mode="eval").body, variable)


def _predicate(node: ast.expr, variable: str) -> set[Number]:
    """A cell made of comparisons of the input with constants, joined by and/or/not."""
    if isinstance(node, ast.BoolOp):
        return set().union(*(_predicate(value, variable) for value in node.values))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _predicate(node.operand, variable)
    if isinstance(node, ast.Compare):
        found: set[Number] = set()
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
            found |= _comparison(op, left, right, variable)
        return found
    raise _Unreadable(ast.unparse(node))


def _comparison(op: ast.cmpop, left: ast.expr, right: ast.expr, variable: str) -> set[Number]:
    def is_input(node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and node.id == variable

    if is_input(left) and not is_input(right):
        other = right
    elif is_input(right) and not is_input(left) and not isinstance(op, ast.In | ast.NotIn):
        other = left
    else:
        raise _Unreadable(ast.unparse(left) + " ? " + ast.unparse(right))
    if isinstance(op, _ORDER):
        value = _scalar(other)
        if not _number(value):
            raise _Unreadable(ast.unparse(other))
        return {value}
    if isinstance(op, ast.Eq | ast.NotEq):
        return _equal_to(_scalar(other))
    if isinstance(op, ast.Is | ast.IsNot):
        if isinstance(other, ast.Constant) and other.value is None:
            return set()
        raise _Unreadable(ast.unparse(other))
    if isinstance(op, ast.In | ast.NotIn) and isinstance(other, ast.Tuple | ast.List | ast.Set):
        return set().union(*(_equal_to(_scalar(item)) for item in other.elts))
    raise _Unreadable(ast.unparse(other))


def _scalar(node: ast.expr) -> Any:
    """A literal number, text or None (a sign allowed on numbers)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _scalar(node.operand)
        if not _number(value):
            raise _Unreadable(ast.unparse(node))
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Constant) and (
        _number(node.value) or node.value is None or type(node.value) is str
    ):
        return node.value
    raise _Unreadable(ast.unparse(node))


def _equal_to(value: Any) -> set[Number]:
    # a number never equals None or a text: those split nothing among numbers
    return {value} if _number(value) else set()
