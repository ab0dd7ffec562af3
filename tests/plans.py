"""The plan a statement gets, as text, with the planner told what a large table would tell it."""

from collections.abc import Sequence
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from domain import sqltext


async def plan(sql: str, values: Sequence[Any] = (), *, off: Sequence[str] = ("seqscan",)) -> str:
    """PostgreSQL's EXPLAIN with the `enable_…` settings named in `off` turned off for it (a
    small table is read whole, or sorted, whatever its indexes); SQLite's EXPLAIN QUERY PLAN."""
    if not sqltext.postgres():
        rows = await connections.get("default").execute_query_dict(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(r["detail"] for r in rows)
    async with in_transaction() as conn:
        await conn.execute_script("; ".join(f"SET LOCAL enable_{name} = off" for name in off))
        rows = await conn.execute_query_dict(f"EXPLAIN {sql}", list(values))
    return "\n".join(r["QUERY PLAN"] for r in rows)
