"""Rows read and updated by statements written once, for the paths every request or step takes.

Tortoise builds a query's text anew at every call, which costs more than sending it (a row by
key with its definition joined: 0.7 ms of building against 0.3 ms of sending and reading, on
the benchmark's machine). A statement written once costs only the sending. `select_list`
names a model's columns for such a statement (prefixed, when a second model shares the row) and
`hydrate` makes the model of a row exactly as Tortoise makes those of its own queries
(`Model._init_from_db`: each column converted by its field, per database). `by_id` and
`update` are the two such statements the step path of a process sends most. (Rows inserted in
bulk: `domain.process.rows`.)
"""

from collections.abc import Mapping
from functools import cache
from typing import Any, TypeVar

from tortoise.models import Model

from domain import sqltext

M = TypeVar("M", bound=Model)


@cache
def _columns(model: type[Model]) -> tuple[str, ...]:
    return tuple(sorted(model._meta.db_fields))


@cache
def select_list(model: type[Model], alias: str, prefix: str = "") -> str:
    """The model's columns of the table named `alias`, each named `prefix` + its column."""
    if not prefix:
        return ", ".join(f'{alias}."{c}"' for c in _columns(model))
    return ", ".join(f'{alias}."{c}" AS "{prefix}{c}"' for c in _columns(model))


def hydrate(model: type[M], row: Mapping[str, Any], prefix: str = "") -> M:
    """The saved model of a row read with `select_list(model, …, prefix)`."""
    return model._init_from_db(**{c: row[prefix + c] for c in _columns(model)})


async def by_id(model: type[M], pk: int) -> M | None:
    """The row of `model` with key `pk`, or None."""
    _, found = await sqltext.execute(_by_id_sql(model), {"id": pk})
    return hydrate(model, found[0]) if found else None


@cache
def _by_id_sql(model: type[Model]) -> str:
    table = model._meta.db_table
    return f"SELECT {select_list(model, 't')} FROM {table} t WHERE t.id = :id"  # noqa: S608


async def update(model: type[Model], pk: int, **values: Any) -> int:
    """Set columns of the row with key `pk`, each value checked and converted by its field as
    Tortoise's `filter(id=pk).update(...)` does. Returns the rows changed (0 or 1)."""
    named = checked(model, **values)
    changed, _ = await sqltext.execute(_update_sql(model, tuple(named)), {**named, "id": pk})
    return changed


def checked(model: type[Model], **values: Any) -> dict[str, Any]:
    """Values for a statement written by hand, each checked and converted by its field of
    `model` as Tortoise checks a value it saves or filters by (ValidationError when refused)."""
    fields = model._meta.fields_map
    return {name: fields[name].to_db_value(value, model) for name, value in values.items()}


@cache
def _update_sql(model: type[Model], names: tuple[str, ...]) -> str:
    columns = model._meta.fields_db_projection
    changes = ", ".join(f'"{columns[n]}" = :{n}' for n in names)
    return f"UPDATE {model._meta.db_table} SET {changes} WHERE id = :id"  # noqa: S608
