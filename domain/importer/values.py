"""Reading typed values out of a row's columns; every bad value becomes a row problem."""

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from domain.customer.validation import parse_decimal
from domain.importer import normalise
from domain.importer.rows import Row
from domain.loan.schedule import CENT

E = TypeVar("E", bound=StrEnum)
_RATE_PLACES = Decimal("0.000001")
_MAX_RATE = Decimal("99.999999")


def raw(row: Row, column: str, *, required: bool = False) -> Any:
    """The value of a column, None when missing or empty (a problem if required or not scalar)."""
    value = row.data.get(column)
    if isinstance(value, dict | list):
        row.add(column, "must be a single value, not a list or object")
        return None
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            row.add(column, "is required")
        return None
    return value


def text(row: Row, column: str, *, max_len: int, required: bool = False) -> str | None:
    """Trimmed text of at most `max_len` characters."""
    value = raw(row, column, required=required)
    if value is None:
        return None
    result = str(value).strip()
    if len(result) > max_len:
        row.add(column, f"must be at most {max_len} characters")
        return None
    return result


def decimal(row: Row, column: str, value: Any) -> Decimal | None:
    """A given value as a decimal number (text may group thousands: 1,234.50)."""
    if isinstance(value, bool):
        row.add(column, f"'{value}' is not a number")
        return None
    if isinstance(value, str):
        try:
            return normalise.amount(value)
        except ValueError as exc:
            row.add(column, str(exc))
            return None
    return parse_decimal(value, column, row.problems)


def number(row: Row, column: str, *, required: bool = False) -> Decimal | None:
    """A decimal number."""
    value = raw(row, column, required=required)
    if value is None:
        return None
    return decimal(row, column, value)


def money(
    row: Row, column: str, *, required: bool = False, positive: bool = False
) -> Decimal | None:
    """An amount of money in whole cents, zero or more (more than zero if `positive`)."""
    amount = number(row, column, required=required)
    if amount is None:
        return None
    if positive and amount <= 0:
        row.add(column, "must be more than zero")
    elif amount < 0:
        row.add(column, "must not be negative")
    elif amount != amount.quantize(CENT):
        row.add(column, "must be in whole cents")
    else:
        return amount.quantize(CENT)
    return None


def integer(row: Row, column: str, *, low: int, high: int, required: bool = False) -> int | None:
    """A whole number between `low` and `high`."""
    value = number(row, column, required=required)
    if value is None:
        return None
    if value != value.to_integral_value():
        row.add(column, f"'{row.data[column]}' is not a whole number")
        return None
    if not low <= value <= high:
        row.add(column, f"must be between {low} and {high}")
        return None
    return int(value)


def day(row: Row, column: str, *, required: bool = False) -> date | None:
    """A calendar date: 2026-01-05, 2026/1/5, 2026.1.5, 2026年1月5日, or the declared format."""
    value = raw(row, column, required=required)
    if value is None:
        return None
    try:
        return normalise.day(str(value), row.date_format)
    except ValueError as exc:
        row.add(column, str(exc))
        return None


def moment(row: Row, column: str, *, required: bool = False) -> datetime | None:
    """A point in time: ISO 8601, or a date as `day` reads it and H:MM[:SS]; no offset: UTC."""
    value = raw(row, column, required=required)
    if value is None:
        return None
    try:
        parsed = normalise.moment(str(value), row.date_format)
    except ValueError as exc:
        row.add(column, str(exc))
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def choice(row: Row, column: str, enum: type[E], *, required: bool = False) -> E | None:
    """One of an enumeration's values (case-insensitive)."""
    value = raw(row, column, required=required)
    if value is None:
        return None
    name = str(value).strip().upper()
    if name not in enum.__members__:
        row.add(column, f"'{value}' is not one of {', '.join(enum)}")
        return None
    return enum[name]


def rate(row: Row, column: str, *, required: bool = False) -> Decimal | None:
    """An annual rate as a fraction: 0.12, or '12%'."""
    value = raw(row, column, required=required)
    if value is None:
        return None
    written = normalise.text(str(value))
    percent = written.endswith("%")
    found = decimal(row, column, written.removesuffix("%").strip())
    if found is None:
        return None
    if percent:
        found /= 100
    elif found > 1:
        row.add(column, f"'{value}' looks like a percentage: write it as a fraction or '{value}%'")
        return None
    if found < 0 or found > _MAX_RATE:
        row.add(column, "must be between 0 and 9999.9999%")
        return None
    if found != found.quantize(_RATE_PLACES):
        row.add(column, "must have at most 6 decimal places as a fraction")
        return None
    return found.quantize(_RATE_PLACES)
