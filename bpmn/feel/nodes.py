"""The FEEL syntax tree: one frozen class per construct."""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from typing import Any


class Node:
    """Base of every syntax node."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """A number, string, boolean, null or @-literal value."""

    value: Any


@dataclass(frozen=True, slots=True)
class Name(Node):
    """A name to look up in scope (it may hold spaces)."""

    name: str


@dataclass(frozen=True, slots=True)
class Negate(Node):
    """Arithmetic negation ``-x``."""

    operand: Node


@dataclass(frozen=True, slots=True)
class Arithmetic(Node):
    """``+ - * / **`` between two operands."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Comparison(Node):
    """``= != < <= > >=`` between two operands."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Conjunction(Node):
    """``a and b`` (three-valued)."""

    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Disjunction(Node):
    """``a or b`` (three-valued)."""

    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Between(Node):
    """``x between low and high``."""

    value: Node
    low: Node
    high: Node


@dataclass(frozen=True, slots=True)
class In(Node):
    """``x in tests``: true when one of the unary tests holds."""

    value: Node
    tests: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A type in ``instance of`` or a parameter: a name, or list/context/function/range."""

    name: str
    args: tuple[TypeRef, ...] = ()
    fields: tuple[tuple[str, TypeRef], ...] = ()


@dataclass(frozen=True, slots=True)
class InstanceOf(Node):
    """``x instance of type``."""

    value: Node
    type: TypeRef


@dataclass(frozen=True, slots=True)
class If(Node):
    """``if c then a else b``: any condition but true takes the else branch."""

    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Iteration:
    """``name in domain`` or ``name in start..end`` of a for or quantified expression."""

    name: str
    domain: Node
    end: Node | None


@dataclass(frozen=True, slots=True)
class For(Node):
    """``for x in domain return body``, building a list."""

    iterations: tuple[Iteration, ...]
    body: Node


@dataclass(frozen=True, slots=True)
class Quantified(Node):
    """``some``/``every x in domain satisfies condition``."""

    every: bool
    iterations: tuple[Iteration, ...]
    condition: Node


@dataclass(frozen=True, slots=True)
class FunctionDefinition(Node):
    """``function(a, b) body``; external ones are refused (null)."""

    params: tuple[tuple[str, TypeRef | None], ...]
    body: Node
    external: bool = False


@dataclass(frozen=True, slots=True)
class ListLiteral(Node):
    """``[a, b, c]``."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class ContextLiteral(Node):
    """``{key: value, ...}``; later entries see the earlier ones."""

    entries: tuple[tuple[str, Node], ...]


@dataclass(frozen=True, slots=True)
class RangeLiteral(Node):
    """``[a..b]``, ``(a..b)``, ``]a..b[`` and their mixes."""

    start: Node | None
    end: Node | None
    start_included: bool
    end_included: bool


@dataclass(frozen=True, slots=True)
class Filter(Node):
    """``list[condition]`` or ``list[index]``."""

    base: Node
    condition: Node


@dataclass(frozen=True, slots=True)
class Path(Node):
    """``value.name``: a context entry or a documented property."""

    base: Node
    name: str


@dataclass(frozen=True, slots=True)
class Call(Node):
    """``f(a, b)`` or ``f(name: a)``."""

    function: Node
    args: tuple[Node, ...]
    named: tuple[tuple[str, Node], ...] | None


@dataclass(frozen=True, slots=True)
class UnaryComparison(Node):
    """``< 5`` in a unary test or after ``in``: compares the tested value with ``endpoint``."""

    op: str
    endpoint: Node


@dataclass(frozen=True, slots=True)
class AnyValue(Node):
    """``-`` as a whole unary test: matches every value."""


@dataclass(frozen=True, slots=True)
class NotTests(Node):
    """``not(tests)``: the negation of unary tests."""

    tests: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class TestList(Node):
    """Unary tests separated by commas: any of them matching is a match."""

    tests: tuple[Node, ...]


def tree_depth(root: Node) -> int:
    """The depth of a tree, walked without recursion."""
    deepest = 0
    pending: list[tuple[object, int]] = [(root, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, tuple):
            pending.extend((part, depth) for part in node)
        elif is_dataclass(node) and not isinstance(node, type | TypeRef):
            deepest = max(deepest, depth)
            pending.extend((getattr(node, field.name), depth + 1) for field in fields(node))
    return deepest
