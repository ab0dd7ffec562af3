"""Every table's row count and a digest of its rows, to show what a run left untouched."""

from __future__ import annotations

import hashlib

from tortoise import Tortoise, connections


async def tables() -> dict[str, tuple[int, str]]:
    """Per table of the app: (rows, SHA-256 of every row in key order)."""
    conn = connections.get("default")
    found = {}
    for model in Tortoise.apps["lendgraph"].values():
        table = model._meta.db_table
        _, rows = await conn.execute_query(f'SELECT * FROM "{table}" ORDER BY 1')
        digest = hashlib.sha256()
        for row in rows:
            digest.update(repr(sorted(dict(row).items())).encode())
        found[table] = (len(rows), digest.hexdigest())
    return found
