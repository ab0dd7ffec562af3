"""Rows as plain lists, written in batches with the ORM's own INSERT; explicit primary keys.

Tortoise's `Model.__init__` plus `bulk_create` costs about 30 µs a row in Python, most of the
seed's time. The seed instead builds each row as a tuple in the column order Tortoise uses and
hands batches of 1,000 to the connection's `execute_many` with the executor's prepared INSERT,
which is what `bulk_create` does underneath. Values are passed in their Python types (the
drivers adapt int, str, Decimal, date, aware datetime and bool); enum members are stored by
value and JSON goes through the field's own encoder. Unlike the ORM, nothing checks string
lengths here: the generators keep within them, and the seed's tests check every column.
"""

from collections.abc import Callable, Sequence
from enum import Enum
from operator import itemgetter
from typing import Any

from tortoise import connections, fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

BATCH_SIZE = 1000

Convert = Callable[[Any], Any]


def _enum_value(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _json(field: fields.Field[Any], model: type[Model]) -> Convert:
    def encode(value: Any) -> Any:
        return field.to_db_value(value, model)

    return encode


class Layout:
    """A model's insert columns, defaults and the conversions its values need."""

    def __init__(self, model: type[Model]) -> None:
        meta = model._meta
        self.model = model
        self.columns = tuple(meta.fields_db_projection)  # the order of the prepared INSERT
        self.defaults: dict[str, Any] = {}
        self.required: set[str] = set()
        self.converts: list[tuple[int, Convert]] = []
        for position, name in enumerate(self.columns):
            field = meta.fields_map[name]
            if isinstance(field, fields.DatetimeField) and (field.auto_now or field.auto_now_add):
                self.required.add(name)  # stamped by the seed, never by the wall clock
            elif field.pk or (field.default is None and not field.null):
                self.required.add(name)
            elif callable(field.default):
                self.defaults[name] = field.default()
            else:
                self.defaults[name] = field.default
            if isinstance(field, fields.data.CharEnumFieldInstance):
                self.converts.append((position, _enum_value))
            elif isinstance(field, fields.JSONField):
                self.converts.append((position, _json(field, model)))
        self.known = frozenset(self.columns)
        self.pick = itemgetter(*self.columns)

    def values(self, given: dict[str, Any]) -> list[Any]:
        """The row in column order, defaults filled in and values converted."""
        if not (self.required <= given.keys() <= self.known):
            missing, unknown = self.required - given.keys(), given.keys() - self.known
            raise ValueError(
                f"{self.model.__name__}: missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
        values = list(self.pick(self.defaults | given))
        for position, convert in self.converts:
            values[position] = convert(values[position])
        return values


_LAYOUTS: dict[type[Model], Layout] = {}


class Shape:
    """All columns of a model in an order of our choosing, for rows given as plain tuples.

    The hottest tables (installments, payments, allocations) skip building a dict per row.
    Checked on first use: the foreign-key columns exist only once Tortoise is initialised.
    """

    def __init__(self, model: type[Model], *names: str) -> None:
        self.model = model
        self.names = names
        self._order: Convert | None = None
        self._converts: list[tuple[int, Convert]] = []

    def _prepare(self) -> Convert:
        found = layout(self.model)
        if sorted(self.names) != sorted(found.columns):
            raise ValueError(f"{self.model.__name__} has the columns {sorted(found.columns)}")
        self._converts = found.converts
        self._order = itemgetter(*(self.names.index(column) for column in found.columns))
        return self._order

    def values(self, given: tuple[Any, ...]) -> list[Any]:
        """The row in column order, converted."""
        values = list((self._order or self._prepare())(given))
        for position, convert in self._converts:
            values[position] = convert(values[position])
        return values


def layout(model: type[Model]) -> Layout:
    """The cached layout of a model."""
    found = _LAYOUTS.get(model)
    if found is None:
        found = _LAYOUTS[model] = Layout(model)
    return found


async def insert(model: type[Model], rows: Sequence[list[Any]], conn: BaseDBAsyncClient) -> int:
    """Insert prepared rows in batches of 1,000 with the executor's INSERT of all columns."""
    if not rows:
        return 0
    executor = conn.executor_class(model=model, db=conn)
    if tuple(executor.regular_columns_all) != layout(model).columns:
        raise RuntimeError(f"unexpected insert columns for {model.__name__}")
    for start in range(0, len(rows), BATCH_SIZE):
        await conn.execute_many(executor.insert_query_all, list(rows[start : start + BATCH_SIZE]))
    return len(rows)


class Batch:
    """Rows of one chunk, grouped by model, written in dependency order."""

    def __init__(self) -> None:
        self.rows: dict[type[Model], list[list[Any]]] = {}

    def add(self, model: type[Model], **values: Any) -> None:
        """Queue one row given by column name (foreign keys as `<name>_id`)."""
        self.rows.setdefault(model, []).append(layout(model).values(values))

    def put(self, shape: Shape, values: tuple[Any, ...]) -> None:
        """Queue one row given in the shape's column order."""
        self.rows.setdefault(shape.model, []).append(shape.values(values))

    def count(self, model: type[Model]) -> int:
        """How many rows of a model are queued."""
        return len(self.rows.get(model, ()))

    async def write(
        self, order: Sequence[type[Model]], conn: BaseDBAsyncClient
    ) -> dict[type[Model], int]:
        """Insert every queued row, parents first; returns the count per model."""
        unordered = set(self.rows) - set(order)
        if unordered:
            raise ValueError(f"no write order for {sorted(m.__name__ for m in unordered)}")
        return {model: await insert(model, self.rows.get(model, []), conn) for model in order}


class Ids:
    """The next free primary key per table: max(id) + 1 when the seed starts."""

    def __init__(self, start: dict[type[Model], int]) -> None:
        self._next = dict(start)

    @classmethod
    async def load(cls, models: Sequence[type[Model]]) -> "Ids":
        """Read max(id) of each table once."""
        start: dict[type[Model], int] = {}
        for model in models:
            top = await model.all().order_by("-id").limit(1).values("id")
            start[model] = (int(top[0]["id"]) if top else 0) + 1
        return cls(start)

    def take(self, model: type[Model]) -> int:
        """Reserve one id."""
        value = self._next[model]
        self._next[model] = value + 1
        return value


async def sync_sequences(models: Sequence[type[Model]]) -> None:
    """On PostgreSQL, move each serial sequence past the ids the seed wrote explicitly."""
    conn = connections.get("default")
    if conn.capabilities.dialect != "postgres":
        return  # SQLite keeps AUTOINCREMENT counters up to date on explicit inserts
    for model in models:
        table = model._meta.db_table
        await conn.execute_script(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
            f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
        )
