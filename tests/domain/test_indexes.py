"""The migrated schema holds the indexes a lender's size needs, on both databases.

Every index the models declare is in the schema the migrations build: on SQLite, Tortoise remakes
a table to alter or add a column and the copy lost the table's indexes (migrations 0007, 0015
and 0020 took the outbox's, the process instances' and the campaign responses' on SQLite, two
unique ones among them, until 0032 restored them).

Every foreign key a lender's size would scan is the first column of an index.

A foreign key without an index is found out at a million customers: a signature looking up its
application's contract read every contract, and deleting a parent row (installments, when a
prepayment shortens a schedule or an import rebuilds it) reads the whole child table for each. The migrated schema itself
is read (PostgreSQL's catalog, SQLite's pragmas), so a new foreign key has to be indexed or named
here with the reason it needs none.
"""

from typing import Any

from tortoise import Tortoise, connections

from domain.db import is_postgres
from tests.plans import plan

# as when the table is large: neither read whole nor a page sorted out of all its rows
NEITHER_READ_WHOLE_NOR_SORTED = ("seqscan", "sort")

# (table, column): why no index is needed
UNINDEXED = {
    ("api_key", "user_id"): "a few rows a user; users are deactivated, never deleted",
    ("app_user", "manager_id"): "staff, thousands of rows at most",
    ("application", "product_id"): "products are retired, never deleted; no page lists by product",
    ("board", "owner_id"): "dashboards, a few a user",
    ("campaign", "product_id"): "campaigns, hundreds of rows",
    ("campaign", "segment_id"): "campaigns, hundreds of rows",
    ("campaign_response", "application_id"): "applications are never deleted; read by customer",
    ("campaign_response", "message_id"): "outbox messages are kept, never deleted",
    ("custom_field_value", "field_id"): "definitions are never deleted; filters go by value_text",
    ("interaction", "agent_id"): "users are deactivated, never deleted; nothing lists by agent",
    ("loan", "product_id"): "products are retired, never deleted; no page lists by product",
    (
        "loan_month_end",
        "loan_id",
    ): "loans are never deleted; positions are read by month, then loan",
}

_PG_FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text AS "table", a.attname AS "column"
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
"""

_PG_INDEXES = """
SELECT t.relname AS "table", i.indisunique AS "unique",
       array_agg(a.attname ORDER BY k.n) AS "columns"
FROM pg_index i
JOIN pg_class t ON t.oid = i.indrelid AND t.relnamespace = 'public'::regnamespace
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indpred IS NULL
GROUP BY i.indexrelid, t.relname, i.indisunique
"""

Index = tuple[str, tuple[str, ...], bool]  # table, columns in order, unique


def _column(meta: Any, name: str) -> str:
    if name in meta.fk_fields or name in meta.o2o_fields:
        name = meta.fields_map[name].source_field
    return str(meta.fields_db_projection.get(name, name))


def _declared() -> set[Index]:
    declared: set[Index] = set()
    for model in Tortoise.apps["lendgraph"].values():
        meta, table = model._meta, model._meta.db_table
        for index in meta.indexes:
            names = index if isinstance(index, (tuple, list)) else index.fields
            declared.add((table, tuple(_column(meta, n) for n in names), False))
        for names in meta.unique_together:
            declared.add((table, tuple(_column(meta, n) for n in names), True))
        for name, field in meta.fields_map.items():
            if not field.pk and name in meta.fields_db_projection and (field.index or field.unique):
                declared.add((table, (_column(meta, name),), bool(field.unique)))
    return declared


async def _built(url: str) -> set[Index]:
    conn = connections.get("default")
    if is_postgres(url):
        rows = await conn.execute_query_dict(_PG_INDEXES)
        return {(r["table"], tuple(r["columns"]), r["unique"]) for r in rows}
    built: set[Index] = set()
    tables = await conn.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'table'")
    for table in (t["name"] for t in tables):
        for index in await conn.execute_query_dict(f'PRAGMA index_list("{table}")'):
            if index["partial"]:
                continue
            columns = await conn.execute_query_dict(f'PRAGMA index_info("{index["name"]}")')
            names = tuple(c["name"] for c in sorted(columns, key=lambda c: c["seqno"]))
            built.add((table, names, bool(index["unique"])))
    return built


async def test_every_declared_index_is_built_by_the_migrations(orm: str) -> None:
    built = await _built(orm)
    missing = [
        (table, columns, unique) for table, columns, unique in _declared()
        if (table, columns, True) not in built and (unique or (table, columns, False) not in built)
    ]  # fmt: skip
    assert sorted(missing) == []


async def _foreign_keys(url: str) -> set[tuple[str, str]]:
    conn = connections.get("default")
    if is_postgres(url):
        return {(r["table"], r["column"]) for r in await conn.execute_query_dict(_PG_FOREIGN_KEYS)}
    tables = await conn.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {
        (table, key["from"])
        for table in (t["name"] for t in tables)
        for key in await conn.execute_query_dict(f'PRAGMA foreign_key_list("{table}")')
    }


async def _unindexed(url: str) -> set[tuple[str, str]]:
    """Foreign keys that lead no index (a partial one serves only some lookups)."""
    leading = {(table, columns[0]) for table, columns, _ in await _built(url)}
    return await _foreign_keys(url) - leading


async def test_every_foreign_key_is_indexed_or_named(orm: str) -> None:
    unindexed = await _unindexed(orm)
    assert sorted(unindexed - UNINDEXED.keys()) == []
    assert sorted(UNINDEXED.keys() - unindexed) == []  # indexed since: take it off the list


async def test_a_queue_of_applications_is_read_from_its_own_index(orm: str) -> None:
    # the undecided ones (a risk officer's queue) and those in one status, a page and a count
    undecided = "FROM application WHERE decided_at IS NULL"
    for sql in (f"SELECT id {undecided} ORDER BY id LIMIT 51", f"SELECT COUNT(*) {undecided}"):
        assert "idx_application_undecided" in await plan(sql, off=NEITHER_READ_WHOLE_NOR_SORTED)
    in_review = "SELECT id FROM application WHERE status = 'IN_REVIEW' ORDER BY id LIMIT 51"
    found = await plan(in_review, off=NEITHER_READ_WHOLE_NOR_SORTED)
    # the page is the first entries of (status, id): not a walk of every application in key
    # order, nor all of that status sorted
    assert "idx_application_status_109cee" in found, found
    assert "application_pkey" not in found and "TEMP B-TREE" not in found.upper(), found
