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
from domain.customer.models import Customer, CustomerTag, Tag
from domain.enums import RiskRating
from domain.profile import lifecycle, rfm, tags
from domain.profile.models import CustomerProfile, ProfileChange
from domain.profile.ranges import within

Ratings = dict[int, tuple[RiskRating, dict[str, Any]]]
BATCH = 500


async def _grouped_update(values: dict[int, tuple[Any, ...]], columns: tuple[str, ...]) -> None:
    groups: defaultdict[tuple[Any, ...], list[int]] = defaultdict(list)
    for cid, value in values.items():
        groups[value].append(cid)
    for value, ids in groups.items():
        for start in range(0, len(ids), BATCH):
            await Customer.filter(id__in=ids[start : start + BATCH]).update(
                **dict(zip(columns, value, strict=True))
            )


async def apply(
    day: date, ratings: Ratings, *, lo: int | None = None, hi: int | None = None,
    basis: rfm.Cuts | None = None,
) -> dict[str, int]:  # fmt: skip
    """Profile the customers with ``lo <= id < hi`` (everyone by default) for ``day``.

    ``ratings`` holds (at least) those customers' ratings; RFM scores against ``basis``, the
    population's cuts (taken now when not given). Returns counts of what changed.
    """
    scored = await rfm.compute(day, lo=lo, hi=hi, basis=basis)
    stages = await lifecycle.compute(day, lo=lo, hi=hi)
    tagged = await tags.compute(day, lo=lo, hi=hi)
    start = rfm.window_start(day)
    current = {
        int(r["id"]): r
        for r in await Customer.filter(**within("id", lo, hi)).values(
            "id", "rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_segment", "risk_rating",
            "lifecycle_stage",
        )
    }  # fmt: skip
    changes: list[ProfileChange] = []
    profiles: dict[int, dict[str, Any]] = defaultdict(dict)

    def changed(cid: int, label: str, old: Any, new: Any, why: dict[str, Any] | None) -> None:
        old_s = None if old is None else str(getattr(old, "value", old))
        new_s = None if new is None else str(getattr(new, "value", new))
        if old_s != new_s:
            changes.append(ProfileChange(customer_id=cid, label=label, old=old_s, new=new_s,
                                         explanation=why, business_date=day))  # fmt: skip

    # only the customers whose labels move are written (``_label`` reads both as text)
    rfm_values: dict[int, tuple[Any, ...]] = {}
    for cid, row in current.items():
        was = tuple(row[k] for k in ("rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_segment"))
        result = scored.get(cid)
        if result is None:
            if was != (None, None, None, None):
                rfm_values[cid] = (None, None, None, None)
            changed(cid, "rfm_segment", row["rfm_segment"], None, {"rule": "no activity in window"})
            continue
        why = result.explanation(start, day)
        now = (result.r, result.f, result.m, result.segment)
        if was != now:
            rfm_values[cid] = now
        profiles[cid]["rfm"] = why
        changed(cid, "rfm_segment", row["rfm_segment"], result.segment, why)
    stage_values = {}
    for cid, (stage, why) in stages.items():
        if cid in current:
            if _label(current[cid]["lifecycle_stage"]) != _label(stage):
                stage_values[cid] = (stage,)
            profiles[cid]["lifecycle"] = why
            changed(cid, "lifecycle_stage", current[cid]["lifecycle_stage"], stage, why)
    rating_values = {}
    for cid, (rating, why) in ratings.items():
        if cid in current:
            if _label(current[cid]["risk_rating"]) != _label(rating):
                rating_values[cid] = (rating,)
            profiles[cid]["risk"] = why
            changed(cid, "risk_rating", current[cid]["risk_rating"], rating, why)

    async with in_transaction():
        await _grouped_update(
            rfm_values, ("rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_segment")
        )
        await _grouped_update(stage_values, ("lifecycle_stage",))
        await _grouped_update(rating_values, ("risk_rating",))
        tag_changes = await _sync_tags(day, tagged, changes, tags.RULES, lo=lo, hi=hi)
        existing = dict(
            await CustomerProfile.filter(**within("customer_id", lo, hi))
            .values_list("customer_id", "id")
        )  # fmt: skip
        new_rows: list[CustomerProfile] = []
        old_rows: list[CustomerProfile] = []
        for cid, parts in profiles.items():
            made = CustomerProfile(customer_id=cid, rfm=parts.get("rfm"), risk=parts.get("risk"),
                                   lifecycle=parts.get("lifecycle"), computed_on=day)  # fmt: skip
            if cid in existing:
                made.id = existing[cid]
                old_rows.append(made)
            else:
                new_rows.append(made)
        if new_rows:
            await CustomerProfile.bulk_create(new_rows, batch_size=1000)
        if old_rows:
            await CustomerProfile.bulk_update(
                old_rows, fields=["rfm", "risk", "lifecycle", "computed_on"], batch_size=1000
            )
        if changes:
            await ProfileChange.bulk_create(changes, batch_size=1000)
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
    changes: list[ProfileChange] = []
    async with in_transaction():
        count = await _sync_tags(day, tagged, changes, descriptions, lo=lo, hi=hi, keep=keep)
        if changes:
            await ProfileChange.bulk_create(changes, batch_size=1000)
    return count


async def _sync_tags(
    day: date, tagged: dict[str, dict[int, str]], changes: list[ProfileChange],
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
        fresh = [CustomerTag(customer_id=cid, tag_id=tag.id, explanation=why[:1000])
                 for cid, why in holders.items() if cid not in had]  # fmt: skip
        if fresh:
            await CustomerTag.bulk_create(fresh, batch_size=1000)
        explained = [
            CustomerTag(id=had[cid][0], explanation=why[:1000])
            for cid, why in holders.items()
            if cid in had and had[cid][1] != why[:1000]
        ]
        if explained:
            await CustomerTag.bulk_update(explained, fields=["explanation"], batch_size=1000)
        for cid in gone:
            changes.append(ProfileChange(customer_id=cid, label="tag", old=name, new=None,
                                         explanation={"rule": f"{name} no longer applies"},
                                         business_date=day))  # fmt: skip
        for row in fresh:
            changes.append(ProfileChange(customer_id=row.customer_id, label="tag", old=None,  # type: ignore[attr-defined]
                                         new=name, explanation={"rule": row.explanation},
                                         business_date=day))  # fmt: skip
        count += len(gone) + len(fresh)
    return count
