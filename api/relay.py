"""Relay conventions: opaque global ids, keyset cursors, connections."""

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry
from tortoise.models import Model
from tortoise.queryset import QuerySet

from domain.errors import ValidationError
from domain.pagination import page

T = TypeVar("T")


def to_global_id(type_name: str, pk: int) -> strawberry.ID:
    """The opaque global id of a row."""
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode())


def parse_global_id(value: str) -> tuple[str, int] | None:
    """(type name, primary key) of a global id, or None when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(value.encode()).decode()
        type_name, _, pk = raw.partition(":")
        return (type_name, int(pk)) if type_name and pk.isdigit() else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def expect_id(value: str, type_name: str, field: str) -> int:
    """The primary key of a global id of the given type, or a validation error on the field."""
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != type_name:
        raise ValidationError.single(field, f"is not a {type_name} id")
    return parsed[1]


def encode_cursor(*parts: object) -> str:
    """An opaque cursor from sort-key parts."""
    return base64.urlsafe_b64encode("|".join(map(str, parts)).encode()).decode()


def decode_cursor(cursor: str | None, field: str = "after") -> list[str] | None:
    """The sort-key parts of a cursor, or a validation error when it is not one of ours."""
    if cursor is None:
        return None
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationError.single(field, "is not a valid cursor") from exc


def id_after(cursor: str | None) -> int | None:
    """The primary key a keyset cursor points after."""
    parts = decode_cursor(cursor)
    if parts is None:
        return None
    if len(parts) != 1 or not parts[0].isdigit():
        raise ValidationError.single("after", "is not a valid cursor")
    return int(parts[0])


@strawberry.interface(description="An object with a global id, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID


@strawberry.type(description="Where a page of a connection stands.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="One item of a connection and its cursor.")
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of items, with cursors stable under inserts.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items match, over all pages.")
    async def total_count(self) -> int:
        return await self.count()


def connection(
    items: list[T], cursors: list[str], has_next: bool, count: Callable[[], Awaitable[int]]
) -> Connection[T]:
    """A connection from one page of items and their cursors."""
    edges = [Edge(cursor=c, node=n) for c, n in zip(cursors, items, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=has_next, end_cursor=cursors[-1] if cursors else None),
        count=count,
    )


M = TypeVar("M", bound=Model)


async def paged(
    query: QuerySet[M], first: int | None, after: str | None, view: Callable[[M], T]
) -> Connection[T]:
    """One keyset page of an id-ordered query as a connection (50 rows unless asked)."""
    result = await page(query, first=50 if first is None else first, after_id=id_after(after))
    return connection(
        [view(r) for r in result.rows],
        [encode_cursor(r.pk) for r in result.rows],
        result.has_next,
        query.count,
    )
