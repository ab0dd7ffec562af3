"""Upsert by (source, external_id) for kinds stored in one table with their own key columns."""

from collections.abc import Sequence
from typing import Any

from tortoise.models import Model

from domain.importer.rows import Key, Row, Tally, by_key, key_filter
from domain.importer.store import UPDATE_BATCH, insert, unsaved


async def load_existing(
    model: type[Model], rows: Sequence[Row], fields: Sequence[str]
) -> dict[Key, dict[str, Any]]:
    """Stored rows (id and `fields`) with the keys of the given rows, in one query."""
    keys = [row.key for row in rows]
    if not keys:
        return {}
    query = model.filter(**key_filter(keys)).values("id", "source", "external_id", *fields)
    return by_key(await query)


def changed_fields(stored: dict[str, Any], new: dict[str, Any], fields: Sequence[str]) -> list[str]:
    """The fields whose new value differs from the stored one."""
    return [name for name in fields if stored[name] != new[name]]


async def write(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Row],
    existing: dict[Key, dict[str, Any]],
    tally: Tally,
) -> None:
    """Create new rows, update changed ones, count the rest unchanged; then count the failed."""
    creates: list[Model] = []
    changes: dict[int, tuple[Row, list[str]]] = {}
    for row in rows:
        if not row.ok:
            continue
        stored = existing.get(row.key)
        if stored is None:
            creates.append(
                unsaved(model, source=row.source, external_id=row.external_id, **row.values)
            )
            continue
        changed = changed_fields(stored, row.values, fields)
        if changed:
            changes[int(stored["id"])] = (row, changed)
        else:
            tally.unchanged += 1
    if creates:
        await insert(model, creates)
        tally.created += len(creates)
    if changes:
        objects = await model.filter(id__in=sorted(changes))
        touched: set[str] = set()
        for obj in objects:
            row, changed = changes[int(obj.pk)]
            obj.update_from_dict({name: row.values[name] for name in changed})
            touched.update(changed)
        await model.bulk_update(objects, fields=sorted(touched), batch_size=UPDATE_BATCH)
        tally.updated += len(objects)
    tally.settle(rows)
