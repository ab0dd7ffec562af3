"""Recomputing customers' profiles for a business date, and recording what changed.

Every function works on a range of customer ids (``lo <= id < hi``, everyone by default), so
the daily run can profile the population chunk by chunk with the same result.

RFM, lifecycle and behaviour tags are computed here; the risk rating comes from the
``risk_rating`` decision table (run by the process layer) and is passed in. Labels go on the
customer rows (grouped updates, few statements), explanations into ``customer_profile``, and
every change of a label into ``profile_change`` with its explanation.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from tortoise.transactions import in_transaction

from domain.batching import chunks
from domain.customer.models import CustomerTag, Tag
from domain.enums import RiskRating
from domain.profile import lifecycle, rfm, rows, tags
from domain.profile.ranges import within
from domain.profile.reading import Reading, read

Ratings = dict[int, tuple[RiskRating, dict[str, Any]]]


async def apply(
    day: date, ratings: Ratings, *, lo: int | None = None, hi: int | None = None,
    basis: rfm.Cuts | None = None, reading: Reading | None = None,
) -> dict[str, int]:  # fmt: skip
    """Profile the customers with ``lo <= id < hi`` (everyone by default) for ``day``.

    ``ratings`` holds (at least) those customers' ratings; RFM scores against ``basis``, the
    population's cuts (taken now when not given). ``reading`` is what the range's rules read
    (taken now when not given; when given, of the same range and date, in this transaction).
    Returns counts of what changed.
    """
    reading = reading if reading is not None else await read(day, lo, hi)
    basis = basis if basis is not None else await rfm.cuts(day)
    scored = rfm.scored(reading, basis)
    stages = lifecycle.staged(reading)
    tagged = tags.tagged(reading)
    start = reading.windows.rfm_start
    current = reading.customers  # the labels as they are before this profiling
    changes: list[rows.Change] = []
    profiles: dict[int, dict[str, Any]] = defaultdict(dict)

    def changed(cid: int, label: str, old: Any, new: Any, why: dict[str, Any] | None) -> None:
        old_s, new_s = _label(old), _label(new)
        if old_s != new_s:
            changes.append((cid, label, old_s, new_s, why))

    # only the labels that move are written (``_label`` reads both as text)
    labels: defaultdict[int, rows.Labels] = defaultdict(rows.Labels)
    for cid, row in current.items():
        was = tuple(row[k] for k in ("rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_segment"))
        result = scored.get(cid)
        if result is None:
            if was != (None, None, None, None):
                labels[cid].rfm = (None, None, None, None)
            changed(cid, "rfm_segment", row["rfm_segment"], None, {"rule": "no activity in window"})
            continue
        why = result.explanation(start, day)
        now = (result.r, result.f, result.m, result.segment)
        if was != now:
            labels[cid].rfm = now
        profiles[cid]["rfm"] = why
        changed(cid, "rfm_segment", row["rfm_segment"], result.segment, why)
    for cid, (stage, why) in stages.items():
        if cid in current:
            if _label(current[cid]["lifecycle_stage"]) != _label(stage):
                labels[cid].stage = _label(stage)
            profiles[cid]["lifecycle"] = why
            changed(cid, "lifecycle_stage", current[cid]["lifecycle_stage"], stage, why)
    for cid, (rating, why) in ratings.items():
        if cid in current:
            if _label(current[cid]["risk_rating"]) != _label(rating):
                labels[cid].rating = _label(rating)
            profiles[cid]["risk"] = why
            changed(cid, "risk_rating", current[cid]["risk_rating"], rating, why)

    async with in_transaction():
        await rows.save_labels(labels)
        tag_changes = await _sync_tags(day, tagged, changes, tags.RULES, lo=lo, hi=hi)
        explained = {cid: (parts.get("rfm"), parts.get("risk"), parts.get("lifecycle"))
                     for cid, parts in profiles.items()}  # fmt: skip
        await rows.save_profiles(day, explained, lo, hi)
        await rows.insert_changes(day, changes)
    return {"customers": len(current), "rfm_scored": len(scored), "changes": len(changes),
            "tag_changes": tag_changes}  # fmt: skip


def _label(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


async def sync_tags(
    day: date, tagged: dict[str, dict[int, str]], descriptions: dict[str, str], *,
    lo: int | None = None, hi: int | None = None, keep: dict[str, set[int]] | None = None,
) -> int:  # fmt: skip
    """Make each named tag's holders in ``lo <= id < hi`` exactly ``tagged[name]``, recorded.

    The customers in ``keep[name]`` keep the tag as they have it (held or not, same reason).
    """
    changes: list[rows.Change] = []
    async with in_transaction():
        count = await _sync_tags(day, tagged, changes, descriptions, lo=lo, hi=hi, keep=keep)
        await rows.insert_changes(day, changes)
    return count


async def _sync_tags(
    day: date, tagged: dict[str, dict[int, str]], changes: list[rows.Change],
    descriptions: dict[str, str], *, lo: int | None = None, hi: int | None = None,
    keep: dict[str, set[int]] | None = None,
) -> int:  # fmt: skip
    count = 0
    for name, found in tagged.items():
        kept = (keep or {}).get(name, set())
        holders = {cid: why for cid, why in found.items() if cid not in kept}
        tag, _ = await Tag.get_or_create(name=name, defaults={"description": descriptions[name]})
        had = {
            int(cid): (int(pk), why)
            for pk, cid, why in await CustomerTag.filter(
                tag_id=tag.id, **within("customer_id", lo, hi)
            ).values_list("id", "customer_id", "explanation")
            if int(cid) not in kept
        }
        gone = sorted(cid for cid in had if cid not in holders)
        for batch in chunks(gone):
            await CustomerTag.filter(tag_id=tag.id, customer_id__in=batch).delete()
        fresh = sorted((cid, why[:1000]) for cid, why in holders.items() if cid not in had)
        await rows.insert_tags(tag.id, fresh)
        await rows.explain_tags([
            (had[cid][0], why[:1000]) for cid, why in holders.items()
            if cid in had and had[cid][1] != why[:1000]
        ])  # fmt: skip
        changes += [(cid, "tag", name, None, {"rule": f"{name} no longer applies"})
                    for cid in gone]  # fmt: skip
        changes += [(cid, "tag", None, name, {"rule": why}) for cid, why in fresh]
        count += len(gone) + len(fresh)
    return count
