"""FEEL operators on values: equality, ordering and arithmetic, null where types mismatch."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal, DecimalException
from typing import Any

from bpmn.feel.errors import MAX_STRING_LENGTH, FeelError, FeelLimitError
from bpmn.feel.temporal import duration_to_timedelta, timedelta_to_duration
from bpmn.feel.types import type_name
from bpmn.feel.values import (
    NUMBER_CONTEXT,
    DaysTimeDuration,
    FeelFunction,
    Range,
    YearsMonthsDuration,
    number,
)

_ORDERED = (Decimal, str, DaysTimeDuration, YearsMonthsDuration)


def feel_equal(a: Any, b: Any) -> bool | None:
    """FEEL ``=``: True, False, or None when the two values are not comparable."""
    if a is None or b is None:
        return a is None and b is None
    ka, kb = type_name(a), type_name(b)
    if ka != kb:
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return False
        return _all_equal(zip(a, b, strict=True))
    if isinstance(a, dict):
        if set(a) != set(b):
            return False
        return _all_equal((a[key], b[key]) for key in a)
    if isinstance(a, Range):
        if (a.start_included, a.end_included) != (b.start_included, b.end_included):
            return False
        return _all_equal(((a.start, b.start), (a.end, b.end)))
    if isinstance(a, FeelFunction):
        return a is b
    if isinstance(a, dt.datetime | dt.time) and (a.tzinfo is None) != (b.tzinfo is None):
        return False
    try:
        return bool(a == b)
    except TypeError:
        return None


def _all_equal(pairs: Any) -> bool | None:
    unknown = False
    for left, right in pairs:
        same = feel_equal(left, right)
        if same is False:
            return False
        unknown = unknown or same is None
    return None if unknown else True


def compare(a: Any, b: Any) -> int | None:
    """-1, 0 or 1 ordering two values of one ordered kind, else None."""
    if a is None or b is None or type_name(a) != type_name(b):
        return None
    if not isinstance(a, (*_ORDERED, dt.date, dt.time)):
        return None
    try:
        return -1 if a < b else (1 if a > b else 0)
    except TypeError:
        return None


def compare_op(op: str, a: Any, b: Any) -> bool | None:
    """FEEL comparison ``a op b`` with null for mismatched types."""
    if op == "=":
        return feel_equal(a, b)
    if op == "!=":
        same = feel_equal(a, b)
        return None if same is None else not same
    order = compare(a, b)
    if order is None:
        return None
    return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[op]


def negate(value: Any) -> Any:
    """Arithmetic negation; null for what is not a number or duration."""
    if isinstance(value, Decimal):
        return -value
    if isinstance(value, DaysTimeDuration):
        return DaysTimeDuration(-value.seconds)
    if isinstance(value, YearsMonthsDuration):
        return YearsMonthsDuration(-value.months)
    return None


def arithmetic(op: str, a: Any, b: Any) -> Any:
    """FEEL ``+ - * / **``; null on mismatched types, overflow, or division by zero."""
    if a is None or b is None:
        return None
    try:
        if isinstance(a, Decimal) and not isinstance(b, bool) and isinstance(b, Decimal):
            return _numbers(op, a, b)
        return _mixed(op, a, b)
    except FeelLimitError:
        raise
    except (DecimalException, OverflowError, ValueError, FeelError):
        return None  # out of the representable range: FEEL has no value for it


def _numbers(op: str, a: Decimal, b: Decimal) -> Decimal | None:
    if op == "+":
        result = NUMBER_CONTEXT.add(a, b)
    elif op == "-":
        result = NUMBER_CONTEXT.subtract(a, b)
    elif op == "*":
        result = NUMBER_CONTEXT.multiply(a, b)
    elif op == "/":
        result = NUMBER_CONTEXT.divide(a, b)
    else:
        if abs(b) > 999_999_999:
            return None
        result = NUMBER_CONTEXT.power(a, b)
    return number(result)


def _mixed(op: str, a: Any, b: Any) -> Any:
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        if len(a) + len(b) > MAX_STRING_LENGTH:
            raise FeelLimitError("string too long")
        return a + b
    if op in ("+", "-"):
        return _add(a, b if op == "+" else negate(b), op, b)
    if op == "*":
        return _scale(a, b) if isinstance(b, Decimal) else _scale(b, a)
    if op == "/":
        return _divide(a, b)
    return None


def _add(a: Any, b: Any, op: str, original_b: Any) -> Any:
    if isinstance(a, DaysTimeDuration) and isinstance(b, DaysTimeDuration):
        return DaysTimeDuration(a.seconds + b.seconds)
    if isinstance(a, YearsMonthsDuration) and isinstance(b, YearsMonthsDuration):
        return YearsMonthsDuration(a.months + b.months)
    if op == "-" and isinstance(a, dt.date | dt.time) and isinstance(original_b, dt.date | dt.time):
        return _difference(a, original_b)
    if op == "+" and isinstance(b, dt.date | dt.time) and isinstance(a, _DURATIONS):
        a, b = b, a
    if isinstance(b, YearsMonthsDuration) and isinstance(a, dt.date):
        return add_months(a, b.months)
    if isinstance(b, DaysTimeDuration):
        delta = duration_to_timedelta(b)
        if isinstance(a, dt.datetime):
            return a + delta
        if isinstance(a, dt.date):
            return (dt.datetime(a.year, a.month, a.day) + delta).date()  # noqa: DTZ001
        if isinstance(a, dt.time):
            moved = dt.datetime.combine(dt.date(2000, 1, 1), a.replace(tzinfo=None)) + delta
            return moved.time().replace(tzinfo=a.tzinfo)
    return None


_DURATIONS = (DaysTimeDuration, YearsMonthsDuration)


def _difference(a: Any, b: Any) -> DaysTimeDuration | None:
    if isinstance(a, dt.time) != isinstance(b, dt.time):
        return None
    if isinstance(a, dt.time):
        day = dt.date(2000, 1, 1)
        a, b = dt.datetime.combine(day, a), dt.datetime.combine(day, b)
    a, b = _as_datetime(a, b), _as_datetime(b, a)
    if (a.tzinfo is None) != (b.tzinfo is None):
        return None
    return timedelta_to_duration(a - b)


def _as_datetime(value: dt.date, other: dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    # A date facing a date and time is its midnight in UTC (the TCK's reading of the spec).
    tz = dt.UTC if isinstance(other, dt.datetime) else None
    return dt.datetime(value.year, value.month, value.day, tzinfo=tz)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the month's last day."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    last = calendar.monthrange(year, month0 + 1)[1] if 1 <= year <= 9999 else 28
    return day.replace(year=year, month=month0 + 1, day=min(day.day, last))


def _scale(duration: Any, factor: Any) -> Any:
    if not isinstance(factor, Decimal) or isinstance(factor, bool):
        return None
    if isinstance(duration, DaysTimeDuration):
        return DaysTimeDuration(NUMBER_CONTEXT.multiply(duration.seconds, factor))
    if isinstance(duration, YearsMonthsDuration):
        return YearsMonthsDuration(int(NUMBER_CONTEXT.multiply(duration.months, factor)))
    return None


def _divide(a: Any, b: Any) -> Any:
    if isinstance(a, DaysTimeDuration) and isinstance(b, DaysTimeDuration):
        return number(NUMBER_CONTEXT.divide(a.seconds, b.seconds))
    if isinstance(a, YearsMonthsDuration) and isinstance(b, YearsMonthsDuration):
        return number(NUMBER_CONTEXT.divide(Decimal(a.months), Decimal(b.months)))
    if isinstance(b, Decimal) and not isinstance(b, bool):
        if isinstance(a, DaysTimeDuration):
            return DaysTimeDuration(NUMBER_CONTEXT.divide(a.seconds, b))
        if isinstance(a, YearsMonthsDuration):
            return YearsMonthsDuration(int(NUMBER_CONTEXT.divide(Decimal(a.months), b)))
    return None
