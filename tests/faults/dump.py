"""The state of a whole database as plain rows, to compare a run with its reference row for row.

Every table but the engine's bookkeeping is read in full; what differs between two correct runs
is left out: surrogate ids (a row the run created is named by its natural key wherever another
row points at it), wall-clock timestamps and claim bookkeeping, and the engine's serialized
state (its task ids are random). The rest (DPD, ratings, tags, instances, tasks, messages with
their status, reason, times on the business clock and attempts) must be equal.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from typing import Any

import asyncpg

Rows = dict[str, list[tuple[Any, ...]]]

SKIP_TABLES = frozenset({"tortoise_migrations", "sqlite_sequence"})
WALL_CLOCK = frozenset({
    "created_at", "updated_at", "started_at", "finished_at", "deployed_at", "completed_at",
    "lease_until", "claimed_by", "at", "worker", "seconds", "computed_at", "statements",
})  # fmt: skip
# columns that are the run's own random or id-derived values
OPAQUE = {"process_instance": {"state"}, "work_task": {"task_id"}, "process_wait": {"task_id"},
          "outbox_message": {"provider_ref"}}  # fmt: skip
# columns that point at rows the run creates: shown as the row's natural key
POINTERS = {
    "definition_id": "process_definition", "instance_id": "process_instance",
    "process_instance_id": "process_instance", "tag_id": "tag", "segment_id": "segment",
}  # fmt: skip
NATURAL = {
    "process_definition": ("process_id", "version"), "process_instance": ("business_key",),
    "tag": ("name",), "segment": ("name",), "work_task": ("instance_id", "element_id"),
}  # fmt: skip


# a process's message is keyed by its instance, element and engine task (a random uuid)
PROCESS_KEY = re.compile(r"process:(\d+):([^:]+):[0-9a-f-]{36}")


def _plain(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.dumps(json.loads(value), sort_keys=True, ensure_ascii=False)
        except ValueError:
            return value
    return value


async def _read(url: str) -> dict[str, list[dict[str, Any]]]:
    if url.startswith("sqlite://"):
        conn = sqlite3.connect(url.removeprefix("sqlite://"))
        conn.row_factory = sqlite3.Row
        try:
            names = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            return {n: [dict(r) for r in conn.execute(f'SELECT * FROM "{n}"')] for n in names}
        finally:
            conn.close()
    pg = await asyncpg.connect(url.replace("postgres://", "postgresql://").split("?")[0])
    try:
        names = [r[0] for r in await pg.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]  # fmt: skip
        return {n: [dict(r) for r in await pg.fetch(f'SELECT * FROM "{n}"')] for n in names}
    finally:
        await pg.close()


def _keys(tables: dict[str, list[dict[str, Any]]]) -> dict[str, dict[Any, Any]]:
    keys: dict[str, dict[Any, Any]] = {}
    for table in ("process_definition", "process_instance", "tag", "segment"):
        keys[table] = {r["id"]: tuple(r[c] for c in NATURAL[table]) for r in tables.get(table, [])}
    keys["work_task"] = {
        r["id"]: (keys["process_instance"].get(r["instance_id"]), r["element_id"])
        for r in tables.get("work_task", [])
    }
    return keys


async def dump(url: str) -> Rows:
    """Every table's rows (sorted, ids and wall-clock columns left out) of the database at url."""
    tables = await _read(url)
    keys = _keys(tables)
    out: Rows = {}
    for name, rows in sorted(tables.items()):
        if name in SKIP_TABLES:
            continue
        dropped = WALL_CLOCK | OPAQUE.get(name, set()) | {"id"}
        plain = []
        for row in rows:
            values = []
            for column, value in sorted(row.items()):
                if column in dropped:
                    continue
                target = POINTERS.get(column)
                if name == "task_event" and column == "task_id":
                    target = "work_task"
                if target is not None and value is not None:
                    value = keys[target].get(value, ("missing", value))
                if column == "dedupe_key" and (found := PROCESS_KEY.fullmatch(value)):
                    value = ("process", keys["process_instance"].get(int(found[1])), found[2])
                values.append((column, _plain(value)))
            plain.append(tuple(values))
        out[name] = sorted(plain, key=repr)
    return out


def differences(got: Rows, want: Rows, limit: int = 12) -> list[str]:
    """Readable differences between two dumps: rows missing or extra, per table."""
    said: list[str] = []
    for table in sorted(set(got) | set(want)):
        extra = Counter(got.get(table, [])) - Counter(want.get(table, []))
        missing = Counter(want.get(table, [])) - Counter(got.get(table, []))
        said += [f"{table}: extra x{n} {dict(row)}" for row, n in extra.items()]
        said += [f"{table}: missing x{n} {dict(row)}" for row, n in missing.items()]
    return said[:limit] + ([f"... {len(said) - limit} more"] if len(said) > limit else [])
