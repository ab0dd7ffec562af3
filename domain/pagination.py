"""Keyset pagination by primary key: stable under inserts, cheap at any depth."""

from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from domain.errors import ValidationError

M = TypeVar("M", bound=Model)
MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class Page(Generic[M]):
    """One page of rows and whether more follow."""

    rows: list[M]
    has_next: bool


def check_first(first: int, *, maximum: int = MAX_PAGE) -> int:
    """A valid page size or a validation error naming the cap."""
    if first < 0 or first > maximum:
        raise ValidationError.single("first", f"must be between 0 and {maximum}")
    return first


async def page(query: QuerySet[M], *, first: int, after_id: int | None) -> Page[M]:
    """Rows after a key, in key order, one more fetched to know whether a next page exists."""
    check_first(first)
    if after_id is not None:
        query = query.filter(id__gt=after_id)
    rows = await query.order_by("id").limit(first + 1)
    return Page(rows[:first], len(rows) > first)
