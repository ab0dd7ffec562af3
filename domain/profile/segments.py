"""Segments: administrators' filters over profile fields, their members and movements."""

from __future__ import annotations

from datetime import date
from typing import Any

from tortoise.expressions import F, Q, Subquery
from tortoise.functions import Count

from domain.batching import chunks
from domain.enums import LifecycleStage, RiskRating
from domain.errors import ConflictError, Problems
from domain.profile.models import Segment, SegmentMember, SegmentMovement
from domain.profile.ranges import within
from domain.profile.rfm import SEGMENTS

MAX_VALUES = 200  # values one field may allow: a rule, not a list of customers
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
        if len(values) > MAX_VALUES:
            given = f"names at most {MAX_VALUES} values ({len(values)} given)"
            problems.add(f"rules.{name}", given)
            continue
        if any("\x00" in v for v in values):
            # the member filter's columns refuse it (PostgreSQL cannot hold it): refused here,
            # a preview would count what the daily run and the member lists cannot select
            problems.add(f"rules.{name}", "must not contain NUL characters")
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
    """Bring every segment's members to ``day`` and record how it moved."""
    await open_movements(day)
    moved = await refresh_range(day)
    await close_movements(day)
    return {"segments": await Segment.all().count(), "moved": moved}


async def open_movements(day: date) -> int:
    """Start the movement of every segment on ``day`` (kept when started already).

    The segments with a movement of the date are the ones the ranges bring up to date, so a
    segment defined while the date's ranges are under way waits for the next date.
    """
    started = set(
        await SegmentMovement.filter(business_date=day).values_list("segment_id", flat=True)
    )  # fmt: skip
    fresh = [SegmentMovement(segment_id=pk, business_date=day, count=0, joined=0, left=0)
             for pk in await Segment.all().order_by("id").values_list("id", flat=True)
             if pk not in started]  # fmt: skip
    if fresh:
        await SegmentMovement.bulk_create(fresh, ignore_conflicts=True)
    return len(started) + len(fresh)


async def refresh_range(day: date, lo: int | None = None, hi: int | None = None) -> int:
    """Bring the members with ``lo <= id < hi`` of the segments moving on ``day`` up to date.

    Joins and leaves are added to the date's movement in the same transaction as the
    members, so a range done twice adds nothing the second time. Returns joins plus leaves.
    """
    from domain.customer.models import Customer

    moving = SegmentMovement.filter(business_date=day).values_list("segment_id", flat=True)
    segments = await Segment.filter(id__in=Subquery(moving)).order_by("id")
    moved: list[tuple[int, int, int]] = []
    for segment in segments:
        found = Customer.filter(member_filter(segment.rules), **within("id", lo, hi))
        now = {int(row[0]) for row in await found.distinct().values_list("id")}
        held = SegmentMember.filter(segment_id=segment.id, **within("customer_id", lo, hi))
        before = {int(row[0]) for row in await held.values_list("customer_id")}
        joined, left = now - before, before - now
        for batch in chunks(sorted(left)):
            await SegmentMember.filter(segment_id=segment.id, customer_id__in=batch).delete()
        if joined:
            await SegmentMember.bulk_create(
                [SegmentMember(segment_id=segment.id, customer_id=c, since=day)
                 for c in sorted(joined)], batch_size=1000,
            )  # fmt: skip
        if joined or left:
            moved.append((segment.id, len(joined), len(left)))
    # last, in segment order: concurrent ranges wait on these rows only until they commit
    for pk, joins, leaves in moved:
        await SegmentMovement.filter(segment_id=pk, business_date=day).update(
            joined=F("joined") + joins, left=F("left") + leaves
        )
    return sum(joins + leaves for _, joins, leaves in moved)


async def close_movements(day: date) -> int:
    """Set the size of every segment moving on ``day``, once all ranges are done."""
    sizes = dict(
        await SegmentMember.all().annotate(n=Count("id")).group_by("segment_id")
        .values_list("segment_id", "n")
    )  # fmt: skip
    rows = await SegmentMovement.filter(business_date=day).values_list("id", "segment_id")
    for pk, segment_id in rows:
        await SegmentMovement.filter(id=pk).update(count=int(sizes.get(segment_id, 0)))
    return len(rows)
