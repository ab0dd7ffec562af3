"""Whether a value lies in a FEEL range (null when it cannot be compared with the ends)."""

from __future__ import annotations

from typing import Any

from bpmn.feel.operators import compare
from bpmn.feel.values import Range


def range_contains(scope: Range, value: Any) -> bool | None:
    """True, False, or None when ``value`` is not comparable with the range's ends."""
    if scope.start is not None:
        order = compare(value, scope.start)
        if order is None:
            return None
        if order < 0 or (order == 0 and not scope.start_included):
            return False
    if scope.end is not None:
        order = compare(value, scope.end)
        if order is None:
            return None
        if order > 0 or (order == 0 and not scope.end_included):
            return False
    return True


def make_range(start: Any, end: Any, start_included: bool, end_included: bool) -> Range | None:
    """A range whose ends are of one ordered kind (either may be absent), else None."""
    if start is None and end is None:
        return None
    if start is not None and end is not None:
        order = compare(start, end)
        if order is None or order > 0:
            return None
    for end_value in (start, end):
        if end_value is not None and compare(end_value, end_value) is None:
            return None
    return Range(start, end, start_included, end_included)
