"""What a dashboard measure is asked (scope, dimension, filters, date) and what it answers,
with the helpers every measure shares: scoping to the caller's customers, date ranges,
grouping in SQL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tortoise import connections
from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.queryset import QuerySet

from domain.customer.models import Customer
from domain.errors import ValidationError
from domain.profile.models import SegmentMember

MONTH = "month"


@dataclass(frozen=True)
class Filters:
    """Conditions every measure understands (those that do not apply are ignored)."""

    date_from: date | None = None
    date_to: date | None = None
    branch: str | None = None
    product_code: str | None = None
    channel: str | None = None
    segment: str | None = None  # an administrator's segment, by name


@dataclass(frozen=True)
class Point:
    """One bar or slice: the dimension's value, the series, the figure and how many rows."""

    key: str
    value: Decimal | float | int | None
    count: int
    series: str = ""


@dataclass(frozen=True)
class Ask:
    """What a measure is asked for: the scope, the dimension, the filters and the date."""

    dimension: str
    filters: Filters
    customers: Q | None  # the caller's customers; None is everyone
    today: date


Compute = Callable[[Ask], Awaitable[list[Point]]]


@dataclass(frozen=True)
class Measure:
    """A figure the dashboard can draw, with the dimensions it can be broken down by."""

    name: str
    title: str
    unit: str  # count, money, ratio, hours
    dimensions: tuple[str, ...]
    drill: str | None  # the list behind a point: loans, customers or applications
    compute: Compute
    description: str = ""
    filters: tuple[str, ...] = field(default=("date", "branch", "product", "segment"))


def dialect() -> str:
    return str(connections.get("default").capabilities.dialect)


def month_of(column: str) -> RawSQL:
    """``YYYY-MM`` of a date or timestamp column (``table.column``: joins may repeat names)."""
    if dialect() == "postgres":
        return RawSQL(f"to_char({column}, 'YYYY-MM')")
    return RawSQL(f"strftime('%Y-%m', {column})")


def scoped(query: QuerySet[Any], ask: Ask, customer: str = "customer_id") -> QuerySet[Any]:
    """Restrict to the caller's customers, a segment and a branch."""
    f = ask.filters
    if ask.customers is not None:
        ids = Customer.filter(ask.customers).values("id")
        query = query.filter(**{f"{customer}__in": Subquery(ids)})
    if f.segment:
        members = SegmentMember.filter(segment__name=f.segment).values("customer_id")
        query = query.filter(**{f"{customer}__in": Subquery(members)})
    if f.branch:
        of_branch = Customer.filter(branch=f.branch).values("id")
        query = query.filter(**{f"{customer}__in": Subquery(of_branch)})
    return query


def dated(query: QuerySet[Any], ask: Ask, column: str, moment: bool) -> QuerySet[Any]:
    f = ask.filters
    if f.date_from is not None:
        start: Any = datetime.combine(f.date_from, time.min, UTC) if moment else f.date_from
        query = query.filter(**{f"{column}__gte": start})
    if f.date_to is not None:
        end: Any = datetime.combine(f.date_to, time.max, UTC) if moment else f.date_to
        query = query.filter(**{f"{column}__lte": end})
    return query


async def grouped(
    query: QuerySet[Any], by: str | RawSQL, values: dict[str, Any]
) -> list[dict[str, Any]]:
    """Rows of ``values`` grouped by a field path or a SQL expression, as ``key`` + values."""
    if isinstance(by, RawSQL):
        query = query.annotate(key=by)
        rows = await query.annotate(**values).group_by("key").values("key", *values)
    else:
        rows = await query.annotate(**values).group_by(by).values(by, *values)
        for row in rows:
            row["key"] = row.pop(by)
    for row in rows:
        row["key"] = label_of(row["key"])
    return sorted(rows, key=lambda r: r["key"])


def label_of(value: Any) -> str:
    """A dimension value as text: enums by value, nothing as a dash."""
    return "—" if value is None else str(getattr(value, "value", value))


def checked_channel(value: str, kind: type[StrEnum], what: str) -> str:
    """A channel filter that means something for ``what``, or a clear refusal."""
    allowed = [c.value for c in kind]
    if value not in allowed:
        raise ValidationError.single(
            "filter.channel", f"{what} come by {', '.join(allowed)}, not {value!r}"
        )
    return value


def ratio(part: Decimal | int, whole: Decimal | int) -> float | None:
    return float(Decimal(part) / Decimal(whole)) if whole else None


def bucket_order(key: str) -> tuple[int, str]:
    return (0, key) if key.startswith("M") else (1, key)
