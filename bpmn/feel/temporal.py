"""FEEL dates, times and durations: parsing their text forms, printing, and properties."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal
from typing import Any

from bpmn.feel.errors import FeelError
from bpmn.feel.values import DaysTimeDuration, YearsMonthsDuration

_DATE = re.compile(r"(-?\d{4,9})-(\d\d)-(\d\d)")
_TIME = re.compile(
    r"(\d\d):(\d\d):(\d\d)(?:\.(\d+))?"
    r"(?:(Z|z)|([+-])(\d\d):(\d\d)(?::(\d\d))?|@([A-Za-z][\w/+\-]{0,60}))?"
)
_DURATION = re.compile(
    r"(-)?P(?:(\d{1,9})Y)?(?:(\d{1,9})M)?(?:(\d{1,9})D)?"
    r"(?:T(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,12})(?:\.(\d{0,9}))?S)?)?"
)
_DATE_TIME = re.compile(r"-?\d{4,9}-\d\d-\d\dT")
_ZONE_CACHE: dict[str, dt.tzinfo] = {}


def zone(name: str) -> dt.tzinfo:
    """The IANA zone ``name``; FeelError when unknown."""
    found = _ZONE_CACHE.get(name)
    if found is None:
        try:
            found = zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            raise FeelError(f"unknown time zone {name!r}") from None
        if len(_ZONE_CACHE) < 1_000:
            _ZONE_CACHE[name] = found
    return found


def parse_date(text: str) -> dt.date:
    """A FEEL date from ``YYYY-MM-DD``."""
    found = _DATE.fullmatch(text)
    if not found:
        raise FeelError(f"not a date: {text[:40]!r}")
    year, month, day = (int(part) for part in found.groups())
    if len(found.group(1).lstrip("-")) > 4 and found.group(1).lstrip("-").startswith("0"):
        raise FeelError("a year of more than four digits may not start with 0")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise FeelError(f"date out of range: {text[:40]!r}") from None


def parse_time(text: str) -> dt.time:
    """A FEEL time from ``hh:mm:ss[.fff][Z|+hh:mm|@zone]``."""
    found = _TIME.fullmatch(text)
    if not found:
        raise FeelError(f"not a time: {text[:40]!r}")
    hour, minute, second = int(found[1]), int(found[2]), int(found[3])
    # Milliseconds, as the DMN TCK compares times (10:30:00.0001 = 10:30:00.0002).
    micro = int((found[4] or "0")[:3].ljust(3, "0")) * 1000
    if hour == 24 and minute == 0 and second == 0 and micro == 0:
        hour = 0
    if hour > 23 or minute > 59 or second > 59:
        raise FeelError(f"time out of range: {text[:40]!r}")
    return dt.time(hour, minute, second, micro, tzinfo=_time_zone(found))


def _time_zone(found: re.Match[str]) -> dt.tzinfo | None:
    if found[5]:
        return dt.UTC
    if found[6]:
        hours, minutes, seconds = int(found[7]), int(found[8]), int(found[9] or 0)
        if hours > 14 or minutes > 59:
            raise FeelError("time offset out of range")
        offset = dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)
        return dt.timezone(-offset if found[6] == "-" else offset)
    if found[10]:
        return zone(found[10])
    return None


def parse_date_and_time(text: str) -> dt.datetime:
    """A FEEL date and time from ``date'T'time`` or a bare date (at midnight)."""
    day_text, sep, time_text = text.partition("T")
    day = parse_date(day_text)
    if not sep:
        return dt.datetime(day.year, day.month, day.day)  # noqa: DTZ001 - FEEL local time
    clock = parse_time(time_text)
    if time_text.startswith("24"):
        day = day + dt.timedelta(days=1)
    return dt.datetime.combine(day, clock)


def parse_duration(text: str) -> DaysTimeDuration | YearsMonthsDuration:
    """A FEEL duration from ISO 8601 ``PnYnM`` or ``PnDTnHnMnS``."""
    found = _DURATION.fullmatch(text)
    if not found or text.endswith(("P", "T")):
        raise FeelError(f"not a duration: {text[:40]!r}")
    sign, years, months, days, hours, minutes, seconds, fraction = found.groups()
    ym = years is not None or months is not None
    dtd = any(part is not None for part in (days, hours, minutes, seconds))
    if ym and dtd:
        raise FeelError("a duration mixes years or months with days or time")
    if ym:
        total_months = int(years or 0) * 12 + int(months or 0)
        return YearsMonthsDuration(-total_months if sign else total_months)
    total = Decimal(int(days or 0) * 86_400 + int(hours or 0) * 3_600 + int(minutes or 0) * 60)
    total += Decimal(f"{seconds or 0}.{fraction or 0}").normalize()
    return DaysTimeDuration(-total if sign else total)


def parse_at_literal(text: str) -> Any:
    """The value of ``@"..."``: a date, a time, a date and time or a duration."""
    if text.startswith(("P", "-P")):
        return parse_duration(text)
    if _DATE_TIME.match(text):
        return parse_date_and_time(text)
    if _DATE.fullmatch(text):
        return parse_date(text)
    return parse_time(text)


def timedelta_to_duration(delta: dt.timedelta) -> DaysTimeDuration:
    """A Python timedelta as a FEEL days and time duration."""
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return DaysTimeDuration(Decimal(micros).scaleb(-6).normalize() + Decimal(0))


def duration_to_timedelta(duration: DaysTimeDuration) -> dt.timedelta:
    """A FEEL days and time duration as a Python timedelta (microseconds kept)."""
    if abs(duration.seconds) > 999_999_999 * 86_400:
        raise FeelError("duration out of range")
    return dt.timedelta(seconds=int(duration.seconds)) + dt.timedelta(
        microseconds=int((duration.seconds - int(duration.seconds)) * 1_000_000)
    )


def _clock_text(value: dt.time | dt.datetime) -> str:
    text = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    return text + _zone_text(value.tzinfo, value)


def _zone_text(tz: dt.tzinfo | None, value: dt.time | dt.datetime) -> str:
    if tz is None:
        return ""
    if isinstance(tz, zoneinfo.ZoneInfo):
        return f"@{tz.key}"
    offset = tz.utcoffset(None)
    if offset is None:
        return ""
    if not offset:
        return "Z"
    sign = "-" if offset < dt.timedelta(0) else "+"
    seconds = int(abs(offset).total_seconds())
    text = f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}"
    return text + (f":{seconds % 60:02d}" if seconds % 60 else "")


def temporal_text(value: Any) -> str:
    """The FEEL string form of a date, time or date and time."""
    if isinstance(value, dt.datetime):
        return f"{_date_text(value)}T{_clock_text(value)}"
    if isinstance(value, dt.date):
        return _date_text(value)
    return _clock_text(value)


def _date_text(value: dt.date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def time_offset(value: dt.time | dt.datetime) -> DaysTimeDuration | None:
    """The offset from UTC of a time or date and time, or None when it has none."""
    if value.tzinfo is None:
        return None
    offset = value.utcoffset()
    return None if offset is None else timedelta_to_duration(offset)


def timezone_name(value: dt.time | dt.datetime) -> str | None:
    """The IANA zone id of a time or date and time, or None."""
    tz = value.tzinfo
    return tz.key if isinstance(tz, zoneinfo.ZoneInfo) else None


def temporal_property(value: Any, name: str) -> Any:
    """A documented property of a date, time or duration; KeyError when there is none."""
    if isinstance(value, DaysTimeDuration):
        table: dict[str, Any] = {
            "days": value.days, "hours": value.hours, "minutes": value.minutes,
            "seconds": value.second_part,
        }  # fmt: skip
        return table[name]
    if isinstance(value, YearsMonthsDuration):
        return {"years": value.years, "months": value.month_part}[name]
    if isinstance(value, dt.date) and name in ("year", "month", "day", "weekday"):
        if name == "weekday":
            return Decimal(value.isoweekday())
        return Decimal(getattr(value, name))
    if isinstance(value, dt.time | dt.datetime):
        if name in ("hour", "minute", "second"):
            return Decimal(getattr(value, name))
        if name == "time offset":
            return time_offset(value)
        if name == "timezone":
            return timezone_name(value)
    raise KeyError(name)
