"""What profiling needs before and after its ranges of customers, taken over everyone once.

The daily run cuts profiling into customer-id ranges that several workers do apart. RFM
scores are relative to the whole population, so ``prepare`` takes the date's score cuts once
and stores them (``rfm_basis``): every range, in whatever process, scores against them. It
also makes the tags the ranges write and starts each segment's movement of the date, so that
no two ranges race to create the same row. ``finish`` does what needs every customer at once:
segment sizes, and managers for valuable customers (each choice depends on the load left by
the ones before it, so it stays one pass in id order).
"""

from __future__ import annotations

from datetime import date

from domain.customer.models import Tag
from domain.errors import ConflictError
from domain.profile import assignment, rfm, segments, tags
from domain.profile.models import RfmBasis, TagRule


async def prepare(day: date) -> dict[str, int]:
    """Take the date's RFM cuts, make the tags, start the segments' movements."""
    cuts = await rfm.cuts(day)
    await RfmBasis.update_or_create(
        business_date=day,
        defaults={"window_start": rfm.window_start(day), "active": cuts.active,
                  "cuts": cuts.to_json()},
    )  # fmt: skip
    wanted = dict(tags.RULES)
    for rule in await TagRule.all().values("name", "description", "condition"):
        wanted[str(rule["name"])] = str(rule["description"]) or str(rule["condition"])[:400]
    have = {str(t["name"]) for t in await Tag.filter(name__in=sorted(wanted)).values("name")}
    missing = [Tag(name=n, description=d) for n, d in wanted.items() if n not in have]
    if missing:
        await Tag.bulk_create(missing, ignore_conflicts=True)
    return {"rfm_active": cuts.active, "segments": await segments.open_movements(day)}


async def basis(day: date) -> rfm.Cuts:
    """The RFM cuts ``prepare`` stored for ``day``."""
    row = await RfmBasis.get_or_none(business_date=day)
    if row is None:
        raise ConflictError(f"profiles of {day} are not prepared: prepare them before a range")
    return rfm.Cuts.from_json(row.active, row.cuts)


async def finish(day: date) -> dict[str, int]:
    """Segment sizes of the date, then managers for valuable customers without one."""
    return {"segments": await segments.close_movements(day), **await assignment.assign(day)}
