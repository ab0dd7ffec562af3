"""Range built-ins (DMN 1.3 10.3.4.9): before, after, meets, overlaps, includes, and range()."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bpmn.feel.builtins.registry import Invalid, builtin, text
from bpmn.feel.operators import compare
from bpmn.feel.ranges import range_contains
from bpmn.feel.values import Range

_POINT_RANGE = (("point1", "point2"), ("point", "range"), ("range", "point"), ("range1", "range2"))
_RANGES_ONLY = (("range1", "range2"),)


def _cmp(a: Any, b: Any) -> int:
    order = compare(a, b)
    if order is None:
        raise Invalid("range ends cannot be compared")
    return order


def _lt(a: Any, b: Any) -> bool:
    return _cmp(a, b) < 0


def _eq(a: Any, b: Any) -> bool:
    return _cmp(a, b) == 0


def _before(a: Any, b: Any) -> bool:
    if isinstance(a, Range) and isinstance(b, Range):
        closed = a.end_included and b.start_included
        return _lt(a.end, b.start) or (not closed and _eq(a.end, b.start))
    if isinstance(b, Range):
        return _lt(a, b.start) or (not b.start_included and _eq(a, b.start))
    if isinstance(a, Range):
        return _lt(a.end, b) or (not a.end_included and _eq(a.end, b))
    return _lt(a, b)


def _ranges(a: Any, b: Any) -> tuple[Range, Range]:
    if isinstance(a, Range) and isinstance(b, Range):
        return a, b
    raise Invalid("expected two ranges")


def _meets(a: Any, b: Any) -> bool:
    r1, r2 = _ranges(a, b)
    return r1.end_included and r2.start_included and _eq(r1.end, r2.start)


def _overlaps(a: Any, b: Any) -> bool:
    r1, r2 = _ranges(a, b)
    reach_right = _lt(r2.start, r1.end) or (
        _eq(r1.end, r2.start) and r1.end_included and r2.start_included
    )
    reach_left = _lt(r1.start, r2.end) or (
        _eq(r1.start, r2.end) and r1.start_included and r2.end_included
    )
    return reach_right and reach_left


def _overlaps_before(a: Any, b: Any) -> bool:
    r1, r2 = _ranges(a, b)
    starts_first = _lt(r1.start, r2.start) or (
        _eq(r1.start, r2.start) and r1.start_included and not r2.start_included
    )
    reaches = _lt(r2.start, r1.end) or (
        _eq(r1.end, r2.start) and r1.end_included and r2.start_included
    )
    ends_first = _lt(r1.end, r2.end) or (
        _eq(r1.end, r2.end) and (not r1.end_included or r2.end_included)
    )
    return starts_first and reaches and ends_first


def _finishes(a: Any, b: Any) -> bool:
    if not isinstance(b, Range):
        raise Invalid("finishes: the second argument is a range")
    if not isinstance(a, Range):
        return b.end_included and _eq(a, b.end)
    return (
        a.end_included == b.end_included
        and _eq(a.end, b.end)
        and (
            _lt(b.start, a.start)
            or (_eq(a.start, b.start) and (b.start_included or not a.start_included))
        )
    )


def _includes(a: Any, b: Any) -> bool:
    if not isinstance(a, Range):
        raise Invalid("includes: the first argument is a range")
    if not isinstance(b, Range):
        verdict = range_contains(a, b)
        if verdict is None:
            raise Invalid("includes: not comparable")
        return verdict
    left = _lt(a.start, b.start) or (
        _eq(a.start, b.start) and (a.start_included or not b.start_included)
    )
    right = _lt(b.end, a.end) or (_eq(a.end, b.end) and (a.end_included or not b.end_included))
    return left and right


def _starts(a: Any, b: Any) -> bool:
    if not isinstance(b, Range):
        raise Invalid("starts: the second argument is a range")
    if not isinstance(a, Range):
        return b.start_included and _eq(a, b.start)
    return (
        _eq(a.start, b.start)
        and a.start_included == b.start_included
        and (_lt(a.end, b.end) or (_eq(a.end, b.end) and (b.end_included or not a.end_included)))
    )


def _coincides(a: Any, b: Any) -> bool:
    if isinstance(a, Range) and isinstance(b, Range):
        return (
            _eq(a.start, b.start)
            and _eq(a.end, b.end)
            and a.start_included == b.start_included
            and a.end_included == b.end_included
        )
    if isinstance(a, Range) or isinstance(b, Range):
        raise Invalid("coincides: two points or two ranges")
    return _eq(a, b)


def _swap(relation: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return lambda a, b: relation(b, a)


def _register(
    name: str, relation: Callable[[Any, Any], bool], signatures: tuple[tuple[str, ...], ...]
) -> None:
    def body(a: Any, b: Any) -> bool:
        if a is None or b is None:
            raise Invalid(f"{name}: null argument")
        return relation(a, b)

    builtin(name, signatures[0], overloads=signatures[1:])(body)


_register("before", _before, _POINT_RANGE)
_register("after", _swap(_before), _POINT_RANGE)
_register("meets", _meets, _RANGES_ONLY)
_register("met by", _swap(_meets), _RANGES_ONLY)
_register("overlaps", _overlaps, _RANGES_ONLY)
_register("overlaps before", _overlaps_before, _RANGES_ONLY)
_register("overlaps after", _swap(_overlaps_before), _RANGES_ONLY)
_register("finishes", _finishes, (("point", "range"), ("range1", "range2")))
_register("finished by", _swap(_finishes), (("range", "point"), ("range1", "range2")))
_register("includes", _includes, (("range", "point"), ("range1", "range2")))
_register("during", _swap(_includes), (("point", "range"), ("range1", "range2")))
_register("starts", _starts, (("point", "range"), ("range1", "range2")))
_register("started by", _swap(_starts), (("range", "point"), ("range1", "range2")))
_register("coincides", _coincides, (("point1", "point2"), ("range1", "range2")))


@builtin("range", ("from",))
def range_of(value: Any) -> Range:
    """range(from): a range written as text, its ends literals (``"[1..10)"``, ``"<5"``)."""
    from bpmn.feel.api import range_from_text

    found = range_from_text(text(value))
    if found is None:
        raise Invalid("range: not a range")
    return found
