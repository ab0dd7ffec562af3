"""Conversion built-ins: date, time, date and time, durations, number, string, context."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from bpmn.feel.builtins.registry import ABSENT, Invalid, builtin, integer, num, text
from bpmn.feel.operators import add_months
from bpmn.feel.temporal import (
    duration_to_timedelta,
    parse_date,
    parse_date_and_time,
    parse_duration,
    parse_time,
    temporal_text,
)
from bpmn.feel.values import DaysTimeDuration, FeelFunction, Range, YearsMonthsDuration, number

_NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,4})?")


@builtin("date", ("from",), required=1, overloads=(("year", "month", "day"),))
def date(value: Any, month: Any = None, day: Any = None) -> dt.date:
    """date(from) or date(year, month, day)."""
    if month is not None or day is not None:
        return dt.date(integer(value), integer(month), integer(day))
    if isinstance(value, str):
        return parse_date(value)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise Invalid("date: expected a string or a date")


@builtin("date and time", ("from",), required=1, overloads=(("date", "time"),))
def date_and_time(value: Any, clock: Any = ABSENT) -> dt.datetime:
    """date and time(from) or date and time(date, time)."""
    if clock is not ABSENT:
        if not isinstance(value, dt.date) or not isinstance(clock, dt.time):
            raise Invalid("date and time: expected a date and a time")
        if isinstance(clock, dt.datetime):
            raise Invalid("date and time: expected a time")
        return (
            dt.datetime.combine(value, clock)
            if not isinstance(value, dt.datetime)
            else (dt.datetime.combine(value.date(), clock))
        )
    if isinstance(value, str):
        return parse_date_and_time(value)
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)  # noqa: DTZ001 - FEEL local
    raise Invalid("date and time: expected a string")


@builtin(
    "time",
    ("from",),
    required=1,
    overloads=(("hour", "minute", "second", "offset"), ("hour", "minute", "second")),
)
def time(value: Any, minute: Any = None, second: Any = None, offset: Any = None) -> dt.time:
    """time(from) or time(hour, minute, second, offset?)."""
    if minute is not None or second is not None:
        seconds = num(second)
        whole = int(seconds)
        micro = int((seconds - whole) * 1_000_000)
        zone = None
        if offset is not None:
            if not isinstance(offset, DaysTimeDuration):
                raise Invalid("time: offset must be a days and time duration")
            zone = dt.timezone(duration_to_timedelta(offset))
        return dt.time(integer(value), integer(minute), whole, micro, tzinfo=zone)
    if isinstance(value, str):
        return parse_time(value)
    if isinstance(value, dt.datetime):
        return value.timetz()
    if isinstance(value, dt.date):
        return dt.time(0, 0, 0, tzinfo=dt.UTC)
    if isinstance(value, dt.time):
        return value
    raise Invalid("time: expected a string")


@builtin("duration", ("from",))
def duration(value: Any) -> DaysTimeDuration | YearsMonthsDuration:
    """duration(from): an ISO 8601 duration."""
    return parse_duration(text(value))


@builtin("years and months duration", ("from", "to"))
def years_and_months_duration(start: Any, end: Any) -> YearsMonthsDuration:
    """The whole years and months from one date to another."""
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        raise Invalid("years and months duration: expected dates")
    first = start.date() if isinstance(start, dt.datetime) else start
    last = end.date() if isinstance(end, dt.datetime) else end
    months = (last.year - first.year) * 12 + last.month - first.month
    if months > 0 and add_months(first, months) > last:
        months -= 1
    elif months < 0 and add_months(first, months) < last:
        months += 1
    return YearsMonthsDuration(months)


@builtin("number", ("from", "grouping separator", "decimal separator"), required=1)
def number_of(value: Any, grouping: Any = None, decimal: Any = None) -> Decimal | None:
    """number(from, grouping separator?, decimal separator?)."""
    source = text(value)
    if grouping not in (None, " ", ",", ".") or decimal not in (None, ",", "."):
        raise Invalid("number: unknown separators")
    if grouping is not None and grouping == decimal:
        raise Invalid("number: separators must differ")
    if grouping:
        source = source.replace(grouping, "")
    if decimal:
        source = source.replace(decimal, ".")
    if not _NUMBER_TEXT.fullmatch(source):
        raise Invalid("number: not a number")
    try:
        return number(Decimal(source))
    except InvalidOperation:
        raise Invalid("number: not a number") from None


def feel_string(value: Any) -> str | None:
    """The FEEL ``string()`` of a value (null stays null)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_number(value)
    if isinstance(value, dt.date | dt.time):
        return temporal_text(value)
    if isinstance(value, list):
        return "[" + ", ".join(_nested(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_nested(item)}" for key, item in value.items()) + "}"
    if isinstance(value, Range):
        left = "[" if value.start_included else "("
        right = "]" if value.end_included else ")"
        return f"{left}{_nested(value.start)}..{_nested(value.end)}{right}"
    if isinstance(value, FeelFunction):
        return str(value)
    return str(value)


def _nested(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return feel_string(value) or ""


def format_number(value: Decimal) -> str:
    """A number without exponent nor trailing zeros."""
    if not value:
        return "0"
    if value == value.to_integral_value():
        return (
            format(value.quantize(Decimal(1)), "f")
            if value.adjusted() < 40
            else (format(value, "f"))
        )
    return format(value.normalize(), "f")


@builtin("string", ("from",))
def string(value: Any) -> str | None:
    """string(from): the text form of any value."""
    return feel_string(value)


@builtin("context", ("entries",))
def context(entries: Any) -> dict[str, Any]:
    """context(entries): a context from a list of {key, value} contexts."""
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        raise Invalid("context: expected a list")
    result: dict[str, Any] = {}
    for entry in entries:
        if not isinstance(entry, dict) or "key" not in entry or "value" not in entry:
            raise Invalid("context: each entry needs a key and a value")
        key = text(entry["key"])
        if key in result:
            raise Invalid("context: a key appears twice")
        result[key] = entry["value"]
    return result
