"""Raw SQL written once for both databases: named parameters and the few spellings that differ.

Set-based statements are written with ``:name`` parameters; :func:`bind` turns them into the
connection's placeholders (``$1`` on PostgreSQL, ``?`` on SQLite) and the list of values in
the order they appear, a name used twice giving two values. ``::`` casts are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from pypika_tortoise.context import SqlContext
from tortoise import connections
from tortoise.expressions import Subquery

_NAME = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def postgres() -> bool:
    """Whether the default connection is PostgreSQL."""
    return str(connections.get("default").capabilities.dialect) == "postgres"


class AnyOf(Subquery):
    """A filter's value `= ANY(ARRAY(subquery))` (PostgreSQL): the keys a subquery returns, as
    one array. Beside other conditions under OR, `key IN (subquery)` is a hashed subplan
    PostgreSQL tests row by row (every row read, in key order, to fill a page); compared with
    an array, the key is one more index condition the OR can combine (`BitmapOr`)."""

    def get_sql(self, ctx: SqlContext) -> str:
        return f"ANY(ARRAY({super().get_sql(ctx)}))"


def bind(sql: str, values: Mapping[str, Any], *, pg: bool) -> tuple[str, list[Any]]:
    """``sql`` with its ``:name`` parameters as placeholders of the dialect, and their values.

    Raises KeyError naming a parameter that ``values`` lacks.
    """
    text, names = _placed(sql, pg)
    for name in names:
        if name not in values:
            raise KeyError(f"the statement's parameter :{name} has no value")
    return text, [values[name] for name in names]


@lru_cache(maxsize=512)
def _placed(sql: str, pg: bool) -> tuple[str, tuple[str, ...]]:
    """The statement with its placeholders, and the parameter each one takes, in order: found
    once per statement (those of the paths every request takes are sent again and again)."""
    names: list[str] = []

    def placeholder(found: re.Match[str]) -> str:
        names.append(found.group(1))
        return f"${len(names)}" if pg else "?"

    return _NAME.sub(placeholder, sql), tuple(names)


@lru_cache(maxsize=256)
def prefixed(sql: str, prefix: str, given: tuple[tuple[str, str], ...] = ()) -> str:
    """``sql`` with each parameter ``:name`` renamed ``:{prefix}name``, but for those named in
    `given` (name, text), which become that text: for several statements made one."""
    texts = dict(given)

    def rename(found: re.Match[str]) -> str:
        name = found.group(1)
        return texts.get(name, f":{prefix}{name}")

    return _NAME.sub(rename, sql)


def days_between(later: str, earlier: str, *, pg: bool) -> str:
    """The expression of whole days from the date ``earlier`` to the date ``later``."""
    if pg:
        return f"(({later})::date - ({earlier})::date)"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def bucket_case(
    dpd: str, buckets: Sequence[Any], prefix: str = "bucket"
) -> tuple[str, dict[str, str]]:
    """A CASE naming the DPD bucket of the expression ``dpd`` (bounds inlined as integers,
    names as parameters ``:{prefix}_n``), and those parameters."""
    cases, names = [], {}
    for n, bucket in enumerate(buckets):
        upper = f" AND {dpd} <= {int(bucket.max_dpd)}" if bucket.max_dpd is not None else ""
        cases.append(f"WHEN {dpd} >= {int(bucket.min_dpd)}{upper} THEN :{prefix}_{n}")
        names[f"{prefix}_{n}"] = bucket.name
    return f"CASE {' '.join(cases)} END", names


async def execute(sql: str, values: Mapping[str, Any]) -> tuple[int, list[Any]]:
    """Run ``sql`` with named parameters on the default connection: (rows affected, rows)."""
    conn = connections.get("default")
    text, ordered = bind(sql, values, pg=str(conn.capabilities.dialect) == "postgres")
    count, rows = await conn.execute_query(text, ordered)
    return int(count or 0), list(rows)
