"""Writing in bulk: batch session settings, inserts, explicit ids, cheap unsaved instances."""

from collections.abc import Callable, Sequence
from copy import deepcopy
from decimal import Decimal
from typing import Any, TypeVar

from tortoise import connections
from tortoise.models import Model

M = TypeVar("M", bound=Model)
UPDATE_BATCH = 100  # objects per UPDATE ... CASE statement (keeps bind parameters in bounds)


async def _plan_mode(mode: str) -> None:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script(f"SET LOCAL plan_cache_mode = {mode}")


async def prepare_batch() -> None:
    """Session settings for one batch transaction (call right after it begins)."""
    # asyncpg prepares every query, and after a few runs PostgreSQL may switch to a generic plan
    # made while the tables were still small (a sequential scan) and keep it as they grow: each
    # batch's lookups got slower than the last. Lookups are planned for their real arguments.
    await _plan_mode("force_custom_plan")


async def insert(model: type[M], objects: Sequence[M]) -> None:
    """bulk_create, without planning each inserted row anew on PostgreSQL."""
    if not objects:
        return
    await _plan_mode("auto")
    await model.bulk_create(objects)
    await _plan_mode("force_custom_plan")


async def allocate_ids(model: type[Model], count: int) -> list[int]:
    """Reserve `count` primary keys of a table, inside the caller's transaction."""
    if count == 0:
        return []
    conn = connections.get("default")
    table = model._meta.db_table
    if conn.capabilities.dialect == "postgres":
        # Drawn from the table's own sequence: safe beside concurrent inserts, nothing to fix later.
        sequence = f"pg_get_serial_sequence('\"{table}\"', 'id')"
        sql = f"SELECT nextval({sequence}) AS id FROM generate_series(1, $1)"  # noqa: S608
        rows = await conn.execute_query_dict(sql, [count])
        return sorted(int(r["id"]) for r in rows)
    # SQLite has one writer at a time: another writer that commits after this read makes our
    # insert fail (busy or duplicate key), never silently share an id. Taking the AUTOINCREMENT
    # counter into account keeps ids of deleted rows from being reused.
    top = await conn.execute_query_dict(f'SELECT MAX(id) AS top FROM "{table}"')  # noqa: S608
    seq = await conn.execute_query_dict("SELECT seq FROM sqlite_sequence WHERE name = ?", [table])
    start = max(int(top[0]["top"] or 0), int(seq[0]["seq"]) if seq else 0) + 1
    return list(range(start, start + count))


_Defaults = tuple[dict[str, Any], dict[str, Any], list[tuple[str, Callable[[], Any]]]]
_DEFAULTS: dict[type[Model], _Defaults] = {}


def _defaults(model: type[Model]) -> _Defaults:
    """Per model: constant defaults, defaults to copy per instance, default factories."""
    cached = _DEFAULTS.get(model)
    if cached is None:
        constant: dict[str, Any] = {}
        mutable: dict[str, Any] = {}
        factories: list[tuple[str, Callable[[], Any]]] = []
        for name in model._meta.fields_db_projection:
            default = model._meta.fields_map[name].default
            if callable(default):
                factories.append((name, default))
            elif default is None or isinstance(default, int | float | str | bytes | Decimal):
                constant[name] = default
            else:
                mutable[name] = default
        cached = _DEFAULTS[model] = (constant, mutable, factories)
    return cached


def unsaved(model: type[M], **values: Any) -> M:
    """An unsaved instance for bulk_create, several times cheaper than `model(**values)`."""
    # Values must already have their Python types (the importer's cleaned values do);
    # bulk_create still converts and validates each one on insert. A test checks that the
    # result matches what the model's own constructor builds.
    constant, mutable, factories = _defaults(model)
    unknown = values.keys() - model._meta.fields_db_projection.keys()
    if unknown:
        raise ValueError(f"{model.__name__} has no column(s) {sorted(unknown)}")
    instance = model.__new__(model)
    state = instance.__dict__
    state.update(_partial=False, _saved_in_db=False, _await_when_save={})
    state["_custom_generated_pk"] = model._meta.pk_attr in values
    state.update(constant)
    for name, default in mutable.items():
        state[name] = deepcopy(default)
    for name, factory in factories:
        state[name] = factory()
    state.update(values)
    return instance
