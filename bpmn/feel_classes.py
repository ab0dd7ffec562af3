"""The numbers a FEEL decision table compares each input with, read from its cells.

The FEEL counterpart of :mod:`bpmn.decision_classes`: a cell such as ``< 550``, ``[1..30]``,
``>= 0.35``, ``0``, ``"M1","M2"``, ``null``, ``not(null)`` or ``-`` compares its input with
constants only. Two numbers on the same side of, or equal to the same one of, every constant an
input's cells and allowed values name match the same rules and get the same outputs. Whatever
the reading cannot vouch for (a name or a call in a cell, an output that is not a literal, a
decision with requirements, a type that is not a plain one, a boolean literal, which FEEL reads
by the input's type) leaves the table unread: every combination of inputs is then its own class.
"""

from __future__ import annotations

from decimal import Decimal

from bpmn import feel
from bpmn.dmn import DmnModels
from bpmn.dmn.model import Decision, DecisionTable
from bpmn.feel import nodes as n

# the built-in types a value is only checked against (number spellings of XML Schema too)
_PLAIN_TYPES = frozenset(
    {"number", "string", "boolean", "integer", "decimal", "double", "Any", "any"}
)
_ORDER = frozenset({"<", "<=", ">", ">=", "=", "!="})


class _Unread(Exception):
    """Something in the table the reading does not vouch for."""


def cuts(models: DmnModels, decision_id: str) -> dict[str, tuple[Decimal, ...]] | None:
    """Per input name, the sorted numbers its cells compare with; None when unread."""
    element = models.element(models.find(decision_id))
    if not isinstance(element, Decision) or element.required_decisions:
        return None
    table = element.expression
    if element.required_knowledge or not isinstance(table, DecisionTable):
        return None
    defined = {name for model in models.models.values() for name in model.item_definitions}
    try:
        return _read(table, defined)
    except (_Unread, feel.FeelError):
        return None


def _plain(type_ref: str | None, defined: set[str]) -> bool:
    """A type the input is only checked against, not one the model defines (with its own
    allowed values)."""
    if type_ref is None:
        return True
    name = type_ref.strip().removeprefix("feel:")
    return name in _PLAIN_TYPES and type_ref.strip() not in defined


def _read(table: DecisionTable, defined: set[str]) -> dict[str, tuple[Decimal, ...]]:
    for output in table.outputs:
        if output.default is not None:
            _literal(output.default)
    for rule in table.rules:
        for text in rule.outputs:
            _literal(text)
    found: dict[str, set[Decimal]] = {}
    names = []
    for clause in table.inputs:
        tree = feel.parse_expression(clause.text).tree
        if not isinstance(tree, n.Name) or not _plain(clause.type_ref, defined):
            raise _Unread(clause.text)
        names.append(tree.name)
        constants = found.setdefault(tree.name, set())
        if clause.input_values:
            _constants(feel.parse_unary_tests(clause.input_values).tree, constants)
    for rule in table.rules:
        for name, text in zip(names, rule.inputs, strict=True):
            if text.strip() not in ("", "-"):
                _constants(feel.parse_unary_tests(text).tree, found[name])
    return {name: tuple(sorted(numbers)) for name, numbers in found.items()}


def _literal(text: str) -> None:
    """An output the same for every input: a literal (or nothing)."""
    if text.strip() and not isinstance(feel.parse_expression(text).tree, n.Literal):
        raise _Unread(text)


def _constants(node: n.Node, into: set[Decimal]) -> None:
    if isinstance(node, n.TestList | n.NotTests):
        for test in node.tests:
            _constants(test, into)
    elif isinstance(node, n.AnyValue):
        return
    elif isinstance(node, n.UnaryComparison) and node.op in _ORDER:
        into.add(_number(node.endpoint))
    elif isinstance(node, n.RangeLiteral):
        for end in (node.start, node.end):
            if end is not None:
                into.add(_number(end))
    elif isinstance(node, n.Literal) and (node.value is None or isinstance(node.value, str)):
        return  # null has a class of its own; a text equals no number
    elif isinstance(node, n.Literal | n.Negate):
        into.add(_number(node))
    else:
        raise _Unread(type(node).__name__)


def _number(node: n.Node) -> Decimal:
    if isinstance(node, n.Negate):
        return -_number(node.operand)
    if isinstance(node, n.Literal) and type(node.value) is Decimal and node.value.is_finite():
        return node.value
    raise _Unread(type(node).__name__)
