"""Python values into FEEL values (Decimal numbers, lists, dicts), refusing anything else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bpmn.feel.errors import MAX_COLLECTION_LENGTH, MAX_STRING_LENGTH, FeelError, FeelLimitError
from bpmn.feel.temporal import timedelta_to_duration
from bpmn.feel.values import DaysTimeDuration, FeelFunction, Range, YearsMonthsDuration, number

_KEPT = (str, bool, dt.date, dt.time, DaysTimeDuration, YearsMonthsDuration, FeelFunction, Range)


def to_feel(value: Any, _depth: int = 0) -> Any:
    """``value`` as a FEEL value: ints and floats become Decimal (via str), tuples lists."""
    if value is None or isinstance(value, _KEPT):
        if isinstance(value, str) and len(value) > MAX_STRING_LENGTH:
            raise FeelLimitError("string too long")
        return value
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, int):
        return number(Decimal(value))
    if isinstance(value, float):
        return number(Decimal(str(value)))
    if _depth > 64:
        raise FeelLimitError("value nested too deeply")
    if isinstance(value, list | tuple):
        if len(value) > MAX_COLLECTION_LENGTH:
            raise FeelLimitError("collection too large")
        return [to_feel(item, _depth + 1) for item in value]
    if isinstance(value, Mapping):
        if len(value) > MAX_COLLECTION_LENGTH:
            raise FeelLimitError("collection too large")
        return {str(key): to_feel(item, _depth + 1) for key, item in value.items()}
    if isinstance(value, dt.timedelta):
        return timedelta_to_duration(value)
    raise FeelError(f"a {type(value).__name__} cannot be a FEEL value")


from_python = to_feel
