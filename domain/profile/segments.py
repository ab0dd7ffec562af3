"""Segments: administrators' filters over profile fields, their members and movements."""

from __future__ import annotations

from datetime import date
from typing import Any

from tortoise.expressions import Q

from domain.batching import chunks
from domain.enums import LifecycleStage, RiskRating
from domain.errors import ConflictError, Problems
from domain.profile.models import Segment, SegmentMember, SegmentMovement
from domain.profile.rfm import SEGMENTS

FIELDS: dict[str, frozenset[str] | None] = {
    "rfm_segment": frozenset(name for name, _, _ in SEGMENTS),
    "risk_rating": frozenset(r.value for r in RiskRating),
    "lifecycle_stage": frozenset(s.value for s in LifecycleStage),
    "tag": None,  # any tag name
    "branch": None,
}


def validate(rules: Any) -> dict[str, list[str]]:
    """The rules, checked: known fields, lists of allowed values, at least one field."""
    problems = Problems()
    if not isinstance(rules, dict) or not rules:
        problems.add("rules", f"must map one or more of {', '.join(FIELDS)} to lists of values")
        problems.raise_if_any()
    clean: dict[str, list[str]] = {}
    for name, values in rules.items():
        if name not in FIELDS:
            problems.add(f"rules.{name}", f"is not a segment field ({', '.join(FIELDS)})")
            continue
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) and 0 < len(v) <= 64 for v in values)
        ):
            problems.add(f"rules.{name}", "must be a non-empty list of names")
            continue
        allowed = FIELDS[name]
        unknown = sorted(set(values) - allowed) if allowed is not None else []
        if unknown:
            problems.add(f"rules.{name}", f"unknown values {unknown}: use {sorted(allowed or [])}")
        clean[name] = sorted(set(values))
    problems.raise_if_any()
    return clean


def member_filter(rules: dict[str, list[str]]) -> Q:
    """The customers a segment's rules select."""
    q = Q()
    for name, values in rules.items():
        if name == "tag":
            q &= Q(tag_links__tag__name__in=values)
        else:
            condition: dict[str, Any] = {f"{name}__in": values}
            q &= Q(**condition)
    return q


async def define(name: str, description: str, rules: Any, *, by: str) -> Segment:
    """A new segment (names are unique)."""
    clean = validate(rules)
    if not 0 < len(name) <= 64:
        problems = Problems()
        problems.add("name", "must be 1..64 characters")
        problems.raise_if_any()
    if await Segment.exists(name=name):
        raise ConflictError(f"a segment named {name!r} exists")
    return await Segment.create(name=name, description=description[:400], rules=clean,
                                created_by=by)  # fmt: skip


async def refresh(day: date) -> dict[str, int]:
    """Bring every segment's members to ``day`` and record how it moved (once per date)."""
    from domain.customer.models import Customer

    moved = 0
    for segment in await Segment.all():
        found = Customer.filter(member_filter(segment.rules)).distinct().values_list("id")
        now = {int(row[0]) for row in await found}
        held = SegmentMember.filter(segment_id=segment.id).values_list("customer_id")
        before = {int(row[0]) for row in await held}
        joined, left = now - before, before - now
        for batch in chunks(sorted(left)):
            await SegmentMember.filter(segment_id=segment.id, customer_id__in=batch).delete()
        if joined:
            await SegmentMember.bulk_create(
                [SegmentMember(segment_id=segment.id, customer_id=c, since=day) for c in joined],
                batch_size=1000,
            )
        await SegmentMovement.update_or_create(
            segment_id=segment.id, business_date=day,
            defaults={"count": len(now), "joined": len(joined), "left": len(left)},
        )  # fmt: skip
        moved += len(joined) + len(left)
    return {"segments": await Segment.all().count(), "moved": moved}
