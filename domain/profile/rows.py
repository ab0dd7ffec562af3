"""A range's labels, tags, profile explanations and label changes, in a few statements.

The labels (RFM scores and segment, lifecycle stage, risk rating) of the customers whose
labels move are set in one UPDATE, each customer's row once, only the labels that moved.

``customer_profile`` holds one row per profiled customer; a date's profiling rewrites only the
rows whose explanations or date differ from what is stored (a range done twice writes nothing
the second time), in one UPDATE and one INSERT. Label changes are appended in one INSERT.
PostgreSQL takes the rows as arrays; SQLite as one statement run per row. The JSON is encoded
as the models' fields encode it, so the stored text is the same as the ORM would store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tortoise import connections, fields, timezone

from domain import sqltext
from domain.profile.models import CustomerProfile, ProfileChange
from domain.profile.ranges import where

Explanation = dict[str, Any] | None
# customer, label, old value, new value, explanation
Change = tuple[int, str, str | None, str | None, Explanation]
# customer's explanations of the RFM segment, the risk rating and the lifecycle stage
Explained = tuple[Explanation, Explanation, Explanation]


@dataclass(slots=True)
class Labels:
    """A customer's labels that move; None: the label stays as it is."""

    rfm: tuple[int | None, int | None, int | None, str | None] | None = None  # R, F, M, segment
    stage: str | None = None
    rating: str | None = None


_PROFILE_JSON = CustomerProfile._meta.fields_map["rfm"]
_CHANGE_JSON = ProfileChange._meta.fields_map["explanation"]

_PG_LABELS = """
UPDATE customer c
   SET rfm_recency = CASE WHEN v.set_rfm THEN v.r ELSE c.rfm_recency END,
       rfm_frequency = CASE WHEN v.set_rfm THEN v.f ELSE c.rfm_frequency END,
       rfm_monetary = CASE WHEN v.set_rfm THEN v.m ELSE c.rfm_monetary END,
       rfm_segment = CASE WHEN v.set_rfm THEN v.segment ELSE c.rfm_segment END,
       lifecycle_stage = COALESCE(v.stage, c.lifecycle_stage),
       risk_rating = COALESCE(v.rating, c.risk_rating)
  FROM unnest(:ids::int[], :set_rfm::bool[], :r::smallint[], :f::smallint[], :m::smallint[],
              :segment::text[], :stage::text[], :rating::text[])
       AS v(cid, set_rfm, r, f, m, segment, stage, rating)
 WHERE c.id = v.cid"""
_SQLITE_LABELS = """
UPDATE customer
   SET rfm_recency = CASE WHEN ?1 THEN ?2 ELSE rfm_recency END,
       rfm_frequency = CASE WHEN ?1 THEN ?3 ELSE rfm_frequency END,
       rfm_monetary = CASE WHEN ?1 THEN ?4 ELSE rfm_monetary END,
       rfm_segment = CASE WHEN ?1 THEN ?5 ELSE rfm_segment END,
       lifecycle_stage = COALESCE(?6, lifecycle_stage), risk_rating = COALESCE(?7, risk_rating)
 WHERE id = ?8"""
_EXISTING = "SELECT customer_id FROM customer_profile WHERE {span}"
_PG_UPDATE = """
UPDATE customer_profile p
   SET rfm = v.rfm::jsonb, risk = v.risk::jsonb, lifecycle = v.lifecycle::jsonb,
       computed_on = :day::date
  FROM unnest(:ids::int[], :rfm::text[], :risk::text[], :lifecycle::text[])
       AS v(cid, rfm, risk, lifecycle)
 WHERE p.customer_id = v.cid
   AND (p.rfm, p.risk, p.lifecycle, p.computed_on)
       IS DISTINCT FROM (v.rfm::jsonb, v.risk::jsonb, v.lifecycle::jsonb, :day::date)"""
_PG_INSERT = """
INSERT INTO customer_profile (customer_id, rfm, risk, lifecycle, computed_on)
SELECT v.cid, v.rfm::jsonb, v.risk::jsonb, v.lifecycle::jsonb, :day::date
  FROM unnest(:ids::int[], :rfm::text[], :risk::text[], :lifecycle::text[])
       WITH ORDINALITY AS v(cid, rfm, risk, lifecycle, n)
 ORDER BY v.n"""
_SQLITE_UPDATE = """
UPDATE customer_profile SET rfm = ?1, risk = ?2, lifecycle = ?3, computed_on = ?4
 WHERE customer_id = ?5
   AND NOT (rfm IS ?1 AND risk IS ?2 AND lifecycle IS ?3 AND computed_on IS ?4)"""
_SQLITE_INSERT = """
INSERT INTO customer_profile (customer_id, rfm, risk, lifecycle, computed_on)
VALUES (?, ?, ?, ?, ?)"""
_PG_CHANGES = """
INSERT INTO profile_change (customer_id, label, old, new, explanation, business_date, created_at)
SELECT v.cid, v.label, v.old, v.new, v.why::jsonb, :day::date, :at::timestamptz
  FROM unnest(:ids::int[], :labels::text[], :olds::text[], :news::text[], :whys::text[])
       WITH ORDINALITY AS v(cid, label, old, new, why, n)
 ORDER BY v.n"""
_PG_TAGS = """
INSERT INTO customer_tag (customer_id, tag_id, explanation, created_at)
SELECT v.cid, :tag::int, v.why, :at::timestamptz
  FROM unnest(:ids::int[], :whys::text[]) WITH ORDINALITY AS v(cid, why, n)
 ORDER BY v.n"""
_SQLITE_TAGS = """
INSERT INTO customer_tag (customer_id, tag_id, explanation, created_at) VALUES (?, ?, ?, ?)"""
_PG_TAG_WHYS = """
UPDATE customer_tag t SET explanation = v.why
  FROM unnest(:ids::int[], :whys::text[]) AS v(id, why)
 WHERE t.id = v.id"""
_SQLITE_TAG_WHYS = "UPDATE customer_tag SET explanation = ? WHERE id = ?"
_SQLITE_CHANGES = """
INSERT INTO profile_change (customer_id, label, old, new, explanation, business_date, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?)"""


def _json(field: fields.Field[Any], value: Explanation) -> str | None:
    return None if value is None else str(field.encoder(value))  # type: ignore[attr-defined]


async def save_labels(labels: dict[int, Labels]) -> None:
    """Set the labels that move on these customers' rows, in id order."""
    if not labels:
        return
    conn = connections.get("default")
    ids = sorted(labels)
    unset = (None, None, None, None)
    rfm = [labels[cid].rfm or unset for cid in ids]
    if sqltext.postgres():
        text, values = sqltext.bind(_PG_LABELS, {
            "ids": ids, "set_rfm": [labels[cid].rfm is not None for cid in ids],
            "r": [v[0] for v in rfm], "f": [v[1] for v in rfm], "m": [v[2] for v in rfm],
            "segment": [v[3] for v in rfm], "stage": [labels[cid].stage for cid in ids],
            "rating": [labels[cid].rating for cid in ids],
        }, pg=True)  # fmt: skip
        await conn.execute_query(text, values)
        return
    await conn.execute_many(_SQLITE_LABELS, [
        [labels[cid].rfm is not None, *values, labels[cid].stage, labels[cid].rating, cid]
        for cid, values in zip(ids, rfm, strict=True)
    ])  # fmt: skip


async def save_profiles(
    day: date, explained: dict[int, Explained], lo: int | None, hi: int | None
) -> None:
    """Store the explanations of these customers (``lo <= id < hi``) as of ``day``; rows that
    hold them already are left alone."""
    if not explained:
        return
    conn = connections.get("default")
    pg = sqltext.postgres()
    clause, bounds = where("customer_id", lo, hi)
    text, values = sqltext.bind(_EXISTING.replace("{span}", clause), bounds, pg=pg)
    _, found = await conn.execute_query(text, values)
    existing = {int(row[0]) for row in found}
    old = [cid for cid in explained if cid in existing]
    new = sorted(cid for cid in explained if cid not in existing)

    def encoded(ids: Sequence[int]) -> list[list[str | None]]:
        return [[_json(_PROFILE_JSON, explained[cid][k]) for cid in ids] for k in range(3)]

    if pg:
        for sql, ids in ((_PG_UPDATE, old), (_PG_INSERT, new)):
            if ids:
                rfm, risk, lifecycle = encoded(ids)
                named = {"ids": list(ids), "rfm": rfm, "risk": risk, "lifecycle": lifecycle,
                         "day": day}  # fmt: skip
                text, values = sqltext.bind(sql, named, pg=True)
                await conn.execute_query(text, values)
        return
    if old:
        rfm, risk, lifecycle = encoded(old)
        await conn.execute_many(_SQLITE_UPDATE, [
            [*row, day, cid] for cid, *row in zip(old, rfm, risk, lifecycle, strict=True)
        ])  # fmt: skip
    if new:
        rfm, risk, lifecycle = encoded(new)
        await conn.execute_many(_SQLITE_INSERT, [
            [*row, day] for row in zip(new, rfm, risk, lifecycle, strict=True)
        ])  # fmt: skip


async def insert_changes(day: date, changes: Sequence[Change]) -> None:
    """Append the label changes of ``day``, in order."""
    if not changes:
        return
    conn = connections.get("default")
    at: datetime = timezone.localtime()  # as the model's auto_now_add sets it
    whys = [_json(_CHANGE_JSON, change[4]) for change in changes]
    if sqltext.postgres():
        text, values = sqltext.bind(_PG_CHANGES, {
            "ids": [c[0] for c in changes], "labels": [c[1] for c in changes],
            "olds": [c[2] for c in changes], "news": [c[3] for c in changes], "whys": whys,
            "day": day, "at": at,
        }, pg=True)  # fmt: skip
        await conn.execute_query(text, values)
        return
    await conn.execute_many(_SQLITE_CHANGES, [
        [cid, label, old, new, why, day, at]
        for (cid, label, old, new, _), why in zip(changes, whys, strict=True)
    ])  # fmt: skip


async def insert_tags(tag_id: int, holders: Sequence[tuple[int, str]]) -> None:
    """Give the tag to these customers, each with its explanation, in order."""
    if not holders:
        return
    conn = connections.get("default")
    at: datetime = timezone.localtime()  # as the model's auto_now_add sets it
    if sqltext.postgres():
        named = {"tag": tag_id, "ids": [cid for cid, _ in holders],
                 "whys": [why for _, why in holders], "at": at}  # fmt: skip
        text, values = sqltext.bind(_PG_TAGS, named, pg=True)
        await conn.execute_query(text, values)
        return
    await conn.execute_many(_SQLITE_TAGS, [[cid, tag_id, why, at] for cid, why in holders])


async def explain_tags(explained: Sequence[tuple[int, str]]) -> None:
    """Set the explanations of these customer tags (by the tag row's id)."""
    if not explained:
        return
    conn = connections.get("default")
    if sqltext.postgres():
        named = {"ids": [pk for pk, _ in explained], "whys": [why for _, why in explained]}
        text, values = sqltext.bind(_PG_TAG_WHYS, named, pg=True)
        await conn.execute_query(text, values)
        return
    await conn.execute_many(_SQLITE_TAG_WHYS, [[why, pk] for pk, why in explained])
