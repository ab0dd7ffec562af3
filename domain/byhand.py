"""Rows read and updated by statements written once, for the paths every request or step takes.

Tortoise builds a query's text anew at every call, which costs more than sending it (a row by
key with its definition joined: 0.7 ms of building against 0.3 ms of sending and reading, on
the benchmark's machine). A statement written once costs only the sending. `select_list`
names a model's columns for such a statement (prefixed, when a second model shares the row) and
`hydrate` makes the model of a row exactly as Tortoise makes those of its own queries
(`Model._init_from_db`: each column converted by its field, per database). `by_id` and
`update` are the two such statements the step path of a process sends most. `create` inserts
a new row as Tortoise's `save` does and, on PostgreSQL, the statements that go with it in the
same statement (a loan with its schedule and its application's new status: one round trip,
not three). `together` (sent by `send`) makes any statements one there (a step's state with
the decision it records); `inserting_from` inserts a row for each row a relation gives (an
instance for the version in force the same statement finds). (Rows inserted in bulk:
`domain.process.rows`.)
"""

from collections.abc import Mapping
from functools import cache
from typing import Any, TypeAlias, TypeVar

from tortoise.models import Model

from domain import sqltext

M = TypeVar("M", bound=Model)
Statement: TypeAlias = tuple[str, Mapping[str, Any]]  # SQL with :name parameters, their values
NEW_ID = "lg_new_id"  # the parameter that names the key of the row `create` inserts


@cache
def _columns(model: type[Model]) -> tuple[str, ...]:
    return tuple(sorted(model._meta.db_fields))


@cache
def select_list(
    model: type[Model], alias: str, prefix: str = "", without: tuple[str, ...] = ()
) -> str:
    """The model's columns of the table named `alias`, each named `prefix` + its column; those
    named in `without` left out (`hydrate` is then given their values)."""
    columns = [c for c in _columns(model) if c not in without]
    if not prefix:
        return ", ".join(f'{alias}."{c}"' for c in columns)
    return ", ".join(f'{alias}."{c}" AS "{prefix}{c}"' for c in columns)


def hydrate(model: type[M], row: Mapping[str, Any], prefix: str = "", **given: Any) -> M:
    """The saved model of a row read with `select_list(model, …, prefix)`; the columns it left
    out are `given`, as the database driver would give them."""
    return model._init_from_db(
        **{c: given[c] if c in given else row[prefix + c] for c in _columns(model)}
    )


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
    changed, _ = await sqltext.execute(*updating(model, pk, **values))
    return changed


async def save(row: Model, *names: str) -> None:
    """Store fields `names` of a saved row as Tortoise's `save(update_fields=…)` does (each
    value converted and checked by its field, an `auto_now` one set to now on the row too),
    with a statement written once per model and fields."""
    await sqltext.execute(*saving(row, *names))


def saving(row: Model, *names: str) -> Statement:
    """The statement of `save(row, *names)`, to send with another."""
    fields = row._meta.fields_map
    values = {n: fields[n].to_db_value(getattr(row, n), row) for n in names}
    return _update_sql(type(row), names), {**values, "id": row.pk}


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


def updating(model: type[Model], pk: int, **values: Any) -> Statement:
    """The statement of `update(model, pk, **values)`, to send with another (`create`)."""
    named = checked(model, **values)
    return _update_sql(model, tuple(named)), {**named, "id": pk}


async def create(row: M, *also: Statement) -> M:
    """Insert `row`, a model made and not saved, as Tortoise's `save` of a new row does (each
    column's value converted and checked by its field), then the statements `also`, which may
    name the new row's key as `:lg_new_id`. On PostgreSQL all of them are one statement (the
    others as data-modifying common table expressions): one round trip, all or nothing; they
    run on one snapshot there, so they may name the new row, not change it."""
    if not sqltext.postgres():
        await row.save(force_create=True)
        for sql, given in also:
            await sqltext.execute(sql, {**given, NEW_ID: row.pk})
        return row
    insert, own = inserting(row)
    values = {**own, **_also_values(also)}
    _, found = await sqltext.execute(_create_sql(insert, tuple(sql for sql, _ in also)), values)
    row.pk = found[0]["id"]
    row._saved_in_db = True
    return row


def inserting(row: Model) -> Statement:
    """The INSERT of `row` (a model made, not saved) as Tortoise's `save` of a new row writes
    it, each value converted and checked by its field, without a RETURNING clause."""
    return inserting_from(row, None)


def inserting_from(row: Model, source: str | None, **taken: str) -> Statement:
    """The INSERT of `row` as `inserting` writes it, but (a `source` given) one row per row of
    the relation `source`, none when it has none: the fields named in `taken` take the
    expressions given (its columns), the others `row`'s values, each converted and checked by
    its field."""
    fields = row._meta.fields_map
    values = {
        f"v_{n}": fields[n].to_db_value(getattr(row, n), row)
        for n in _inserted(type(row))
        if n not in taken
    }
    return _insert_sql(type(row), source, tuple(sorted(taken.items()))), values


@cache
def _inserted(model: type[Model]) -> tuple[str, ...]:
    """The fields an insert of `model` writes: all but its generated key, as Tortoise's."""
    meta = model._meta
    if meta.pk_attr != "id" or not meta.fields_map["id"].generated:
        raise TypeError(f"{model.__name__}: create() writes models keyed by a generated id")
    return tuple(n for n in meta.fields_db_projection if not meta.fields_map[n].generated)


@cache
def _insert_sql(
    model: type[Model], source: str | None = None, taken: tuple[tuple[str, str], ...] = ()
) -> str:
    meta = model._meta
    given = dict(taken)
    names = _inserted(model)
    columns = ", ".join(f'"{meta.fields_db_projection[n]}"' for n in names)
    marks = ", ".join(given.get(n, f":v_{n}") for n in names)
    rows = f"VALUES ({marks})" if source is None else f"SELECT {marks} FROM {source}"  # noqa: S608
    return f'INSERT INTO "{meta.db_table}" ({columns}) {rows}'


@cache
def _create_sql(insert: str, also: tuple[str, ...]) -> str:
    parts = "".join(f", {p}" for p in _ctes(also, ((NEW_ID, '(SELECT "id" FROM lg_new)'),)))
    return f'WITH lg_new AS ({insert} RETURNING "id"){parts} SELECT "id" FROM lg_new'  # noqa: S608


def _ctes(also: tuple[str, ...], given: tuple[tuple[str, str], ...] = ()) -> list[str]:
    """Statements as data-modifying common table expressions `lg_<i> AS (…)`, each one's
    parameters renamed `a<i>_<name>` (those in `given` replaced by their text)."""
    return [f"lg_{i} AS ({sqltext.prefixed(sql, f'a{i}_', given)})" for i, sql in enumerate(also)]


def _also_values(also: tuple[Statement, ...]) -> dict[str, Any]:
    return {f"a{i}_{n}": value for i, (_, part) in enumerate(also) for n, value in part.items()}


def preceded(also: tuple[Statement, ...]) -> tuple[str, dict[str, Any]]:
    """The statements `also` (PostgreSQL) as the first common table expressions of a `WITH`:
    the text `lg_0 AS (…), lg_1 AS (…), ` to put after `WITH`, and their parameters. Run on the
    statement's snapshot, they may write what the statement does not read."""
    return _preceding(tuple(sql for sql, _ in also)), _also_values(also)


@cache
def _preceding(also: tuple[str, ...]) -> str:
    return "".join(f"{p}, " for p in _ctes(also))


@cache
def _together_sql(statement: str, also: tuple[str, ...]) -> str:
    return f"WITH {', '.join(_ctes(also))} {statement}"


async def send(*statements: Statement) -> None:
    """Send the statements: on PostgreSQL as one (`together`), on SQLite one by one."""
    if not statements:
        return
    if sqltext.postgres():
        await sqltext.execute(*together(*statements))
        return
    for statement in statements:
        await sqltext.execute(*statement)


def together(statement: Statement, *also: Statement) -> Statement:
    """`statement` with the statements `also` sent in it (PostgreSQL, when there are any): one
    round trip, all or nothing; `statement` must not begin with WITH."""
    if not also:
        return statement
    sql = _together_sql(statement[0], tuple(sql for sql, _ in also))
    return sql, {**statement[1], **_also_values(also)}
