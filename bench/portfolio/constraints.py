"""Bulk loading without indexes and constraints, put back (and checked) in the same transaction.

Indexes and foreign keys maintained row by row make a bulk insert of millions of rows several
times slower than building them once afterwards. The definitions are read from the catalog,
so whatever the migrations made is what comes back; re-adding a foreign key or a unique
constraint checks every row, so the loaded data is proven to satisfy them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

_CONSTRAINTS = """
SELECT c.conrelid::regclass::text AS tbl, c.conname AS name, c.contype::text AS kind,
       pg_get_constraintdef(c.oid) AS def
FROM pg_constraint c
WHERE c.contype IN ('p', 'u', 'f')
  AND (c.conrelid = ANY(($1::text[])::regclass[]) OR c.confrelid = ANY(($1::text[])::regclass[]))
ORDER BY c.contype, c.conrelid::regclass::text, c.conname
"""
_INDEXES = """
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
FROM pg_index i
WHERE i.indrelid = ANY(($1::text[])::regclass[])
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY 1
"""


@dataclass(frozen=True, slots=True)
class Saved:
    """The constraints and indexes taken off the tables, to put back."""

    constraints: list[tuple[str, str, str, str]]
    indexes: list[tuple[str, str]]


async def take_off(conn: BaseDBAsyncClient, tables: Sequence[str]) -> Saved:
    """Drop the tables' indexes, keys and the foreign keys from or to them; return them."""
    names = list(tables)
    _, rows = await conn.execute_query(_CONSTRAINTS, [names])
    constraints = [(r["tbl"], r["name"], r["kind"], r["def"]) for r in rows]
    _, rows = await conn.execute_query(_INDEXES, [names])
    indexes = [(r["name"], r["def"]) for r in rows]
    statements = [f"DROP INDEX {name}" for name, _ in indexes]
    # foreign keys first: a key cannot go while a foreign key leans on it
    for kind in ("f", "u", "p"):
        statements += [
            f'ALTER TABLE {tbl} DROP CONSTRAINT "{name}"'
            for tbl, name, k, _ in constraints
            if k == kind
        ]
    await conn.execute_script(";\n".join(statements))
    return Saved(constraints, indexes)


async def put_back(conn: BaseDBAsyncClient, saved: Saved) -> None:
    """Rebuild keys, then indexes, then foreign keys (each checked over every row)."""
    statements = [
        f'ALTER TABLE {tbl} ADD CONSTRAINT "{name}" {definition}'
        for kind in ("p", "u")
        for tbl, name, k, definition in saved.constraints
        if k == kind
    ]
    statements += [definition for _, definition in saved.indexes]
    statements += [
        f'ALTER TABLE {tbl} ADD CONSTRAINT "{name}" {definition}'
        for tbl, name, k, definition in saved.constraints
        if k == "f"
    ]
    for statement in statements:
        await conn.execute_script(statement)
