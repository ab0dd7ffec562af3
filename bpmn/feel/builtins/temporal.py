"""Temporal built-ins: day/week/month of a date, and now/today from the injected clock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from bpmn.feel.builtins.registry import Invalid, builtin
from bpmn.feel.calls import current_budget

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)  # fmt: skip


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    raise Invalid("expected a date")


@builtin("day of year", ("date",))
def day_of_year(value: Any) -> Decimal:
    """The day's number in its year, from 1."""
    return Decimal(_date(value).timetuple().tm_yday)


@builtin("day of week", ("date",))
def day_of_week(value: Any) -> str:
    """The English name of the weekday."""
    return _DAYS[_date(value).weekday()]


@builtin("month of year", ("date",))
def month_of_year(value: Any) -> str:
    """The English name of the month."""
    return _MONTHS[_date(value).month - 1]


@builtin("week of year", ("date",))
def week_of_year(value: Any) -> Decimal:
    """The ISO 8601 week number."""
    return Decimal(_date(value).isocalendar()[1])


def _moment() -> dt.datetime:
    clock = current_budget().clock
    if clock is None:
        raise Invalid("no clock was given to the evaluation")
    moment = clock()
    if not isinstance(moment, dt.datetime):
        raise Invalid("the clock must give a date and time")
    return moment


@builtin("now", ())
def now() -> dt.datetime:
    """The moment of the caller's clock."""
    return _moment()


@builtin("today", ())
def today() -> dt.date:
    """The date of the caller's clock."""
    return _moment().date()
