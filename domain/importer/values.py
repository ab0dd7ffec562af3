"""Reading typed values out of a row's columns; every bad value becomes a row problem."""

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from domain.customer.validation import parse_decimal
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


def number(row: Row, column: str, *, required: bool = False) -> Decimal | None:
    """A decimal number."""
    value = raw(row, column, required=required)
    if value is None:
        return None
    if isinstance(value, bool):
        row.add(column, f"'{value}' is not a number")
        return None
    return parse_decimal(value, column, row.problems)


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
    """A calendar date, YYYY-MM-DD."""
    value = raw(row, column, required=required)
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        row.add(column, f"'{value}' is not a date (YYYY-MM-DD)")
        return None


def moment(row: Row, column: str, *, required: bool = False) -> datetime | None:
    """A point in time, ISO 8601; without an offset it is UTC."""
    value = raw(row, column, required=required)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).strip())
    except ValueError:
        row.add(column, f"'{value}' is not a date and time (ISO 8601, e.g. 2024-05-01T09:30:00Z)")
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
    written = str(value).strip()
    percent = written.endswith("%")
    found = parse_decimal(written.removesuffix("%").strip(), column, row.problems)
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
