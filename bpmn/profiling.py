"""The daily profiling step cut into customer-id ranges, with the result of one whole pass.

- ``prepare_profiles(day)``, whole, once before any range: the population's RFM score cuts
  (stored), the tags the ranges write, each segment's movement of the date.
- ``profile_chunk(day, lo, hi)``, per range ``lo <= id < hi``, one transaction, idempotent:
  the range's loans, installments, payments and contacts read once (``domain.profile.reading``)
  for risk ratings (the decision table once per class of inputs it cannot tell apart), RFM,
  lifecycle and behaviour tags, profile rows (written when they change) and explained changes,
  administrators' tag rules, segment members (their joins and leaves added to the date's
  movements).
- ``finish_profiles(day)``, whole, once after every range: segment sizes and account managers.

Ranges may run in any order, in any process, and again: a range done twice changes nothing
the second time, and ranges covering every customer leave the rows one pass would.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tortoise.transactions import in_transaction

from bpmn import ratings, tag_rules
from domain import faults
from domain.profile import chunks, reading, segments
from domain.profile import service as profiles


async def prepare_profiles(day: date) -> dict[str, int]:
    """What every range of ``day`` reads: RFM cuts, tags, segments' movements."""
    async with in_transaction():
        return await chunks.prepare(day)


async def profile_chunk(day: date, lo: int | None, hi: int | None) -> dict[str, int]:
    """Profile the customers with ``lo <= id < hi`` for ``day`` (``prepare_profiles`` first)."""
    async with in_transaction():
        basis = await chunks.basis(day)
        read = await reading.read(day, lo, hi)  # once, for every rule below
        rated = await ratings.compute(day, lo=lo, hi=hi, reading=read)
        done = await profiles.apply(day, rated, lo=lo, hi=hi, basis=basis, reading=read)
        faults.reach("daily.profiles.rated")  # ratings and labels written, tags not yet
        # over today's labels and system tags
        ruled = await tag_rules.apply(day, lo=lo, hi=hi, reading=read)
        moved = await segments.refresh_range(day, lo, hi)
    return {**done, "rated": len(rated), "rules": int(ruled["rules"]),
            "rule_tag_changes": int(ruled["tag_changes"]),
            "rule_failures": len(ruled.get("failed", {})), "moved": moved}  # fmt: skip


async def finish_profiles(day: date) -> dict[str, int]:
    """What needs every range done: segment sizes, managers for valuable customers."""
    async with in_transaction():
        return await chunks.finish(day)


async def profile_all(day: date) -> dict[str, Any]:
    """The whole step in one range: prepare, every customer, finish."""
    prepared = await prepare_profiles(day)
    return {**prepared, **await profile_chunk(day, None, None), **await finish_profiles(day)}
