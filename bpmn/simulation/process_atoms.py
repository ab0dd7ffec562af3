"""The comparisons a diagram's conditions make, read so that a name compared and nothing
else need not split a whole-process simulation's key by its exact value.

A gateway condition in lendgraph's own expression language (Python's syntax) such as
``report_age_days is None or report_age_days > max_report_age_days`` reads its names only
through single comparisons, each between a name and a constant or another name. Two start
data that give every such comparison the same answer (or the same failure) take the same
branches, so the key keeps the answers, not the values. A name used in a condition any other
way (arithmetic, a call, a chained comparison) is read exactly, as is a FEEL condition's.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from bpmn.engine import languages

_OPERATORS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
}  # fmt: skip
_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Side:
    """One operand of a comparison: a name of the data, or a constant."""

    name: str | None
    constant: Any = None

    def value(self, values: Mapping[str, Any]) -> Any:
        """The operand's value in these start data."""
        return self.constant if self.name is None else values.get(self.name, _MISSING)


@dataclass(frozen=True, slots=True)
class Atom:
    """A single comparison a condition makes."""

    op: type[ast.cmpop]
    left: Side
    right: Side

    def answer(self, values: Mapping[str, Any]) -> Hashable:
        """True, False, or how it fails (a missing name, values that do not compare)."""
        left, right = self.left.value(values), self.right.value(values)
        if left is _MISSING or right is _MISSING:
            return "missing"
        try:
            return bool(_OPERATORS[self.op](left, right))
        except Exception as exc:  # the engine fails the same way: the run is an ERROR
            return type(exc).__name__


def python_condition(node: Any) -> bool:
    """Whether a conditionExpression is in lendgraph's own language (not FEEL)."""
    text = (node.text or "").strip()
    declared = languages.declared(node.get("language"))
    root = node.getroottree().getroot()
    default = languages.bpmn_language(root)
    return (
        bool(text)
        and not languages.is_feel_expression(text)
        and (declared or default) is languages.Language.LENDGRAPH
    )


def atoms_of(text: str) -> tuple[list[Atom], set[str]] | None:
    """The comparisons of a condition and the names it reads otherwise; None when it does
    not parse (every word of it is then read exactly)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return None
    found: list[Atom] = []
    compared: set[int] = set()  # ids of the Name nodes read through an atom
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare) or len(node.ops) != 1:
            continue
        op = type(node.ops[0])
        left, right = _side(node.left), _side(node.comparators[0])
        if op not in _OPERATORS or left is None or right is None:
            continue
        found.append(Atom(op, left, right))
        compared.update(id(n) for n in (node.left, node.comparators[0]) if isinstance(n, ast.Name))
    others = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in compared}
    return found, others


def _side(node: ast.expr) -> Side | None:
    # a float literal is left out: the engine may read it as the decimal it is written as,
    # which compares with a decimal otherwise than the float does
    if isinstance(node, ast.Name):
        return Side(node.id)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | str | None):
        return Side(None, node.value)
    return None
