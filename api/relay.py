"""Relay conventions: opaque global ids, keyset cursors, connections."""

import base64
import re
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry
from tortoise.models import Model
from tortoise.queryset import QuerySet

from api.dataloader import DataLoader
from domain.errors import ValidationError
from domain.pagination import page

T = TypeVar("T")
_INTEGER = re.compile(r"-?[0-9]{1,20}")


def id_models() -> dict[str, type[Model]]:
    """The table behind each global id type (its primary key bounds the ids we accept)."""
    from domain.application.models import Application
    from domain.campaign.models import Campaign
    from domain.customer.models import Customer
    from domain.interaction.models import Interaction
    from domain.loan.models import Loan, Payment
    from domain.outreach.models import OutboxMessage
    from domain.process.models import ProcessDefinition, ProcessInstance, WorkTask
    from domain.reports.models import Board
    from domain.user.models import User

    return {"Application": Application, "Board": Board, "Campaign": Campaign,
            "Customer": Customer, "Interaction": Interaction, "Loan": Loan,
            "Message": OutboxMessage, "Payment": Payment, "ProcessDefinition": ProcessDefinition,
            "ProcessInstance": ProcessInstance, "Task": WorkTask, "User": User}  # fmt: skip


ID_MODELS = id_models()


def to_global_id(type_name: str, pk: int) -> strawberry.ID:
    """The opaque global id of a row."""
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode())


def key_range(model: type[Model]) -> tuple[int, int]:
    """The smallest and largest primary key a table's column can hold (ids start at 1)."""
    return 1, int(model._meta.pk.constraints.get("le", 2**63 - 1))


def _pk(text: str, model: type[Model] | None) -> int | None:
    if not (text.isascii() and text.isdigit()) or (len(text) > 1 and text[0] == "0"):
        return None  # only the canonical spelling: no sign, blanks, leading zeros, other digits
    low, high = key_range(model) if model is not None else (1, 2**63 - 1)
    value = int(text) if len(text) <= 20 else 0
    return value if low <= value <= high else None


def parse_global_id(value: object) -> tuple[str, int] | None:
    """(type name, primary key) of a global id of ours (in its table's key range), else None."""
    if not isinstance(value, str) or not value or len(value) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(value.encode()).decode()
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None
    type_name, _, text = raw.partition(":")
    model = ID_MODELS.get(type_name)
    pk = _pk(text, model) if model is not None else None
    if pk is None or to_global_id(type_name, pk) != value:
        return None
    return type_name, pk


def decode_id(value: object, field: str, *types: str) -> tuple[str, int]:
    """The (type, primary key) of a global id of one of `types` (any, when none are named).

    The one place ids from clients are read: an empty, malformed, unknown-type, wrong-type or
    out-of-range id is a validation error naming the field ("taskId: is not a Task id").
    """
    parsed = parse_global_id(value)
    if parsed is None or (types and parsed[0] not in types):
        kinds = " or ".join(types) if types else "known object's"
        raise ValidationError.single(field, f"is not a {kinds} id")
    return parsed


def expect_id(value: object, type_name: str, field: str) -> int:
    """The primary key of a global id of the given type, or a validation error on the field."""
    return decode_id(value, field, type_name)[1]


def optional_id(value: object | None, type_name: str, field: str) -> int | None:
    """None for null, else as `expect_id`: an id that is sent ("" too) must be one of ours."""
    return None if value is None else expect_id(value, type_name, field)


def expect_raw_id(value: object, model: type[Model], field: str) -> int:
    """A plain numeric id (such as an API key's) of a row of `model`, or a validation error."""
    pk = _pk(value, model) if isinstance(value, str) else None
    if pk is None:
        raise ValidationError.single(field, "is not a valid id")
    return pk


def encode_cursor(*parts: object) -> str:
    """An opaque cursor from sort-key parts."""
    return base64.urlsafe_b64encode("|".join(map(str, parts)).encode()).decode()


def decode_cursor(cursor: str | None, field: str = "after") -> list[str] | None:
    """The sort-key parts of a cursor, or a validation error when it is not one of ours."""
    if cursor is None:
        return None
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
    except ValueError as exc:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise ValidationError.single(field, "is not a valid cursor") from exc


def cursor_numbers(cursor: str | None, count: int, field: str = "after") -> list[int] | None:
    """The `count` integer sort keys of a cursor, or a validation error when it has not those."""
    parts = decode_cursor(cursor, field)
    if parts is None:
        return None
    if len(parts) != count or not all(_INTEGER.fullmatch(p) for p in parts):
        raise ValidationError.single(field, "is not a valid cursor")
    return [int(p) for p in parts]


def id_after(cursor: str | None, model: type[Model] | None = None) -> int | None:
    """The primary key a keyset cursor points after (within `model`'s key range when given)."""
    parts = decode_cursor(cursor)
    if parts is None:
        return None
    pk = _pk(parts[0], model) if len(parts) == 1 else None
    if pk is None:
        raise ValidationError.single("after", "is not a valid cursor")
    return pk


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
    after_id = id_after(after, query.model)
    return await keyset_page(query, 50 if first is None else first, after_id, view)


async def keyset_page(
    query: QuerySet[M], first: int, after_id: int | None, view: Callable[[M], T],
    loader: "DataLoader[int, M | None] | None" = None,
) -> Connection[T]:  # fmt: skip
    """The page of `first` rows after a key as a connection; `loader` learns the rows."""
    result = await page(query, first=first, after_id=after_id)
    if loader is not None:
        for row in result.rows:
            loader.prime(row.pk, row)
    return connection(
        [view(r) for r in result.rows],
        [encode_cursor(r.pk) for r in result.rows],
        result.has_next,
        query.count,
    )
