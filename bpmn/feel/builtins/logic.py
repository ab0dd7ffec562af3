"""Boolean built-ins: not and is."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bpmn.feel.builtins.registry import builtin
from bpmn.feel.operators import feel_equal
from bpmn.feel.types import type_name


@builtin("not", ("negand",))
def negation(value: Any) -> bool | None:
    """Logical negation; null for what is not a boolean."""
    return (not value) if isinstance(value, bool) else None


@builtin("is", ("value1", "value2"), required=0)
def same(first: Any = None, second: Any = None) -> bool:
    """Whether two values are the same kind and equal, time zones included."""
    if first is None or second is None:
        return first is None and second is None
    if type_name(first) != type_name(second):
        return False
    if isinstance(first, dt.time | dt.datetime) and isinstance(second, dt.time | dt.datetime):
        if str(first.tzinfo) != str(second.tzinfo):
            return False
        return first.replace(tzinfo=None) == second.replace(tzinfo=None)
    return feel_equal(first, second) is True
