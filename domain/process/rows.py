"""Rows inserted in bulk without building model objects (one prepared statement, many rows).

Tortoise's ``bulk_create`` builds and validates a model object per row (about 0.1 ms each);
starting thousands of process instances writes several rows apiece, so those go straight in.
Values are written as the ORM writes them: enums by value, JSON as text, the rest as given
(the callers give aware datetimes and values that fit their columns).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from tortoise import connections
from tortoise.fields import Field
from tortoise.fields.data import JSON_DUMPS, JSONField
from tortoise.models import Model


def _enum(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _json(value: Any) -> Any:
    return None if value is None else JSON_DUMPS(value)


def _plain(value: Any) -> Any:
    return value


def _writer(field: Field[Any]) -> Callable[[Any], Any]:
    if isinstance(field, JSONField):
        return _json
    if getattr(field, "enum_type", None) is not None:
        return _enum
    return _plain


async def insert(
    model: type[Model], rows: list[dict[str, Any]], *, skip_conflicts: bool = False
) -> None:
    """Insert ``rows`` (values by field name, every row the same fields) into the model's table.

    ``skip_conflicts`` leaves out a row that would break a unique index (ON CONFLICT DO NOTHING).
    """
    if not rows:
        return
    meta = model._meta
    names = list(rows[0])
    fields = [meta.fields_map[name] for name in names]
    columns = ", ".join(
        f'"{field.source_field or name}"' for field, name in zip(fields, names, strict=True)
    )
    connection = connections.get("default")
    marks = ", ".join(placeholders(connection, len(names)))
    conflicts = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    writers = [(name, _writer(field)) for field, name in zip(fields, names, strict=True)]
    values = [[write(row[name]) for name, write in writers] for row in rows]
    # names from the model's metadata, values bound as parameters
    sql = f'INSERT INTO "{meta.db_table}" ({columns}) VALUES ({marks}){conflicts}'  # noqa: S608
    await connection.execute_many(sql, values)


def placeholders(connection: Any, count: int) -> list[str]:
    """The connection's parameter marks: $1, $2 … on PostgreSQL, ? on SQLite."""
    if connection.capabilities.dialect == "postgres":
        return [f"${n}" for n in range(1, count + 1)]
    return ["?"] * count
