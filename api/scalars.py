"""Scalars that refuse, as request errors, the values no column or computation of ours can hold.

A `Decimal` must be finite and below the widest decimal column (so money arithmetic and
rounding cannot overflow); a `JSON` value must be of bounded depth and size with numbers
that fit 64 bits (so it can be stored and written back); a `Date` or `DateTime` must lie in
a calendar window with room for date arithmetic on either side. Everything else about a value is
checked where it lands, by the column it lands in (`domain.columns`).
"""

import functools
from datetime import UTC, date, datetime
from decimal import Decimal, DecimalException
from typing import Any

import strawberry
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.scalars import JSON
from strawberry.types.scalar import ScalarDefinition

from domain import columns
from domain.db import MODEL_MODULES

# Dates a client may send: far enough from date.min and date.max that zone conversion and
# schedule arithmetic (terms, grace periods, reminders) cannot leave the calendar.
CALENDAR = (date(1000, 1, 1), date(8999, 12, 31))


@functools.cache
def _decimal_limit() -> tuple[int, Decimal]:
    digits = columns.decimal_whole_digits(MODEL_MODULES)
    return digits, Decimal(10) ** digits


def parse_decimal(value: object) -> Decimal:
    """A client's decimal (a string, or a number), finite and within the widest column."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise StrawberryInputCoercionError(f"Decimal cannot represent {value!r}: not a number")
    try:
        number = Decimal(str(value).strip())
    except DecimalException:
        raise StrawberryInputCoercionError(f"Decimal cannot represent {value!r}") from None
    if not number.is_finite():
        raise StrawberryInputCoercionError(f"Decimal cannot represent {value!r}: not finite")
    digits, limit = _decimal_limit()
    if abs(number) >= limit:
        raise StrawberryInputCoercionError(
            f"Decimal cannot represent {str(value)[:40]!r}: more than {digits} digits before "
            "the decimal point"
        )
    return number


def _within_calendar(kind: str, value: str, moment: date) -> None:
    if not CALENDAR[0] <= moment <= CALENDAR[1]:
        low, high = (d.isoformat() for d in CALENDAR)
        raise StrawberryInputCoercionError(
            f"{kind} cannot represent {value[:40]!r}: outside {low}..{high}"
        )


def parse_date(value: object) -> date:
    """A client's ISO date inside the calendar window."""
    if not isinstance(value, str):
        raise StrawberryInputCoercionError(f"Date cannot represent {value!r}: not a string")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise StrawberryInputCoercionError(f"Date cannot represent {value[:40]!r}") from None
    _within_calendar("Date", value, day)
    return day


def parse_datetime(value: object) -> datetime:
    """A client's ISO date and time inside the calendar window (UTC when it has no offset)."""
    if not isinstance(value, str):
        raise StrawberryInputCoercionError(f"DateTime cannot represent {value!r}: not a string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise StrawberryInputCoercionError(f"DateTime cannot represent {value[:40]!r}") from None
    _within_calendar("DateTime", value, moment.date())
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # API.md: UTC


def parse_json(value: Any) -> Any:
    """A client's JSON value, when it is one we can store and write back."""
    problem = columns.json_problem(value)
    if problem is not None:
        raise StrawberryInputCoercionError(f"JSON value {problem}")
    return value


DECIMAL: ScalarDefinition = strawberry.scalar(
    name="Decimal",
    description='Decimal (fixed-point), as a string such as "1234.50".',
    serialize=str,
    parse_value=parse_decimal,
)
JSON_VALUE: ScalarDefinition = strawberry.scalar(
    name="JSON",
    description="A JSON value (ECMA-404), of bounded depth and size.",
    specified_by_url="https://ecma-international.org/wp-content/uploads/ECMA-404_2nd_edition_december_2017.pdf",
    serialize=lambda v: v,
    parse_value=parse_json,
)
DATE: ScalarDefinition = strawberry.scalar(
    name="Date",
    description="Date (ISO 8601, e.g. 2026-06-15), from 1000-01-01 to 8999-12-31.",
    serialize=date.isoformat,
    parse_value=parse_date,
)
DATETIME: ScalarDefinition = strawberry.scalar(
    name="DateTime",
    description="Date with time (ISO 8601, UTC when no offset), from 1000 to 8999.",
    serialize=datetime.isoformat,
    parse_value=parse_datetime,
)
SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {
    Decimal: DECIMAL, JSON: JSON_VALUE, date: DATE, datetime: DATETIME,
}  # fmt: skip
