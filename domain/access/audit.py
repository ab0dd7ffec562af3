"""The audit log: who changed or unmasked what, when and from where. Append-only.

This module offers only appending and reading. The database refuses UPDATE and DELETE on the
table too (triggers from migration 0002_access).
"""

import dataclasses
import enum
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import lru_cache
from typing import Any

from tortoise.queryset import QuerySet

from domain import byhand
from domain.access.models import AuditEntry
from domain.pagination import Page, check_first


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts and from where: the identity and request details an audit entry keeps."""

    user_id: int | None
    username: str
    via: str = ""
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


SYSTEM = Actor(user_id=None, username="system", via="system")


def jsonable(value: Any) -> Any:
    """A JSON-ready copy of a value: decimals as strings, dates in ISO 8601, enums by value."""
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((jsonable(v) for v in value), key=str)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


def _clip(text: str | None, size: int) -> str | None:
    return None if text is None else text[:size]


def _entry(
    actor: Actor,
    *,
    action: str,
    object_type: str,
    object_id: object | None,
    at: datetime | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    fields_read: Sequence[str] | None = None,
) -> AuditEntry:
    return AuditEntry(
        at=at or datetime.now(UTC),
        user_id=actor.user_id,
        username=actor.username[:64],
        via=actor.via[:16],
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id)[:64],
        fields_read=list(fields_read) if fields_read is not None else None,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        ip=_clip(actor.ip, 64),
        user_agent=_clip(actor.user_agent, 400),
        request_id=_clip(actor.request_id, 64),
    )


async def record(
    actor: Actor,
    *,
    action: str,
    object_type: str,
    object_id: object | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry for a change (call it inside the change's transaction)."""
    entry = _entry(
        actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        at=at,
        before=before,
        after=after,
    )
    return await byhand.create(entry)  # as `entry.save()`, its statement written once


async def record_each(
    actor: Actor,
    *,
    action: str,
    object_type: str,
    changes: Sequence[tuple[object, Mapping[str, Any], Mapping[str, Any]]],
    at: datetime | None = None,
) -> int:
    """Append one entry per (object id, before, after), in bulk, inside the change's transaction."""
    moment = at or datetime.now(UTC)
    entries = [
        _entry(actor, action=action, object_type=object_type, object_id=object_id, at=moment,
               before=before, after=after)
        for object_id, before, after in changes
    ]  # fmt: skip
    if entries:
        await AuditEntry.bulk_create(entries, batch_size=500)
    return len(entries)


READ_SENSITIVE = "read_sensitive"
READ_SENSITIVE_OBJECT = "customer"
# the columns of a read's entry that its objects give: which one, which of its fields were shown
READ_VARYING = ("object_id", "fields_read")


def sensitive_read_columns(actor: Actor, at: datetime) -> dict[str, Any]:
    """The database values of an unmasked read's entry, every column but the id and those
    of `READ_VARYING`, as Tortoise stores them: the same for every object the read showed."""
    template = _entry(actor, action=READ_SENSITIVE, object_type=READ_SENSITIVE_OBJECT,
                      object_id=None, at=at, fields_read=[])  # fmt: skip
    fields = AuditEntry._meta.fields_map
    return {
        n: fields[n].to_db_value(getattr(template, n), template) for n in sensitive_read_names()
    }


def sensitive_read_names() -> tuple[str, ...]:
    """The columns `sensitive_read_columns` gives the values of, in its order."""
    return tuple(sorted(n for n in AuditEntry._meta.db_fields if n not in ("id", *READ_VARYING)))


async def record_sensitive_reads(
    actor: Actor,
    object_type: str,
    reads: Mapping[object, Sequence[str]],
    *,
    at: datetime | None = None,
) -> int:
    """Append one entry per object whose sensitive fields were shown unmasked. Returns the count.

    A page of fifty customers read by an administrator is fifty entries on every request: they
    go in as rows of one INSERT whose values common to all rows (who, when, from where) are
    sent once and named by every row, each value converted by its column's own field (as
    Tortoise stores it; each distinct list of fields once), without a model object per entry.
    """
    fixed = {**sensitive_read_columns(actor, at or datetime.now(UTC)), "object_type": object_type}
    meta = AuditEntry._meta
    object_field, fields_field = (meta.fields_map[n] for n in READ_VARYING)
    shown: dict[tuple[str, ...], Any] = {}
    rows: list[tuple[Any, Any]] = []
    for object_id, fields in reads.items():
        if not fields:
            continue
        key = tuple(sorted(fields))
        if key not in shown:
            shown[key] = fields_field.to_db_value(list(key), AuditEntry)
        rows.append((object_field.to_db_value(str(object_id)[:64], AuditEntry), shown[key]))
    client = meta.db
    postgres = client.capabilities.dialect == "postgres"
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        insert = _reads_insert(meta.db_table, tuple(fixed), len(chunk), postgres)
        await client.execute_query(insert, [*fixed.values(), *(v for row in chunk for v in row)])
    return len(rows)


@lru_cache(maxsize=64)
def _reads_insert(table: str, fixed: tuple[str, ...], rows: int, postgres: bool) -> str:
    """INSERT of `rows` read entries: parameters 1..len(fixed) hold the columns every row
    shares, named again by each row; then each row's own `READ_VARYING` values."""
    mark = "${}" if postgres else "?{}"
    shared = [mark.format(i) for i in range(1, len(fixed) + 1)]
    own = len(fixed)
    tuples = ", ".join(
        "(" + ", ".join([*shared, mark.format(own + 2 * r + 1), mark.format(own + 2 * r + 2)]) + ")"
        for r in range(rows)
    )
    columns = ", ".join(f'"{n}"' for n in (*fixed, *READ_VARYING))
    return f'INSERT INTO "{table}" ({columns}) VALUES {tuples}'  # noqa: S608


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Conditions on audit entries; all given ones must hold. `until` is exclusive."""

    user_id: int | None = None
    username: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(flt: AuditFilter | None) -> QuerySet[AuditEntry]:
    query = AuditEntry.all()
    if flt is None:
        return query
    conditions: dict[str, Any] = {
        "user_id": flt.user_id,
        "username": flt.username,
        "action": flt.action,
        "object_type": flt.object_type,
        "object_id": flt.object_id,
        "at__gte": flt.since,
        "at__lt": flt.until,
    }
    return query.filter(**{k: v for k, v in conditions.items() if v is not None})


async def list_(
    flt: AuditFilter | None = None, *, first: int = 50, before_id: int | None = None
) -> Page[AuditEntry]:
    """A page of entries, newest first, keyset-paginated: pass the last id seen as before_id."""
    check_first(first)
    query = _filtered(flt)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    rows = await query.order_by("-id").limit(first + 1)
    return Page(rows[:first], len(rows) > first)


async def count(flt: AuditFilter | None = None) -> int:
    """How many entries match."""
    return await _filtered(flt).count()
