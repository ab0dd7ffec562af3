"""Profiling by customer-id ranges leaves exactly the rows one whole pass leaves.

A seeded portfolio is profiled once (committed), then a later date is profiled in several
ways, each inside a transaction that is rolled back afterwards, so every way starts from the
same rows: the daily step as one pass, one range, ranges in shuffled order with one done
twice. The rows compared are the labels on the customers, their profile explanations, the
changes, the tags, the segment members and movements, and the managers assigned.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from bpmn import profiling, ratings, tag_rules
from bpmn.deployments import deploy_bundled
from domain.customer.models import Customer, CustomerTag
from domain.errors import ConflictError
from domain.profile import assignment, rfm, segments
from domain.profile import service as profiles
from domain.profile import tag_rules as rules
from domain.profile.models import CustomerProfile, ProfileChange, SegmentMember, SegmentMovement
from domain.seed.generator import seed
from domain.statements import count_statements
from tests.conftest import TODAY

LATER = TODAY + timedelta(days=45)  # labels, tags and segments move between the two dates
Rows = dict[str, list[str]]


class _Undo(Exception):
    """Raised to roll a way of profiling back once its rows are read."""


def _sorted(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)


async def _rows() -> Rows:
    """Every row profiling writes, without surrogate ids and timestamps."""
    return {
        "customer": _sorted(await Customer.all().values(
            "id", "rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_segment", "risk_rating",
            "lifecycle_stage", "account_manager_id")),
        "customer_profile": _sorted(await CustomerProfile.all().values(
            "customer_id", "rfm", "risk", "lifecycle", "computed_on")),
        "profile_change": _sorted(await ProfileChange.all().values(
            "customer_id", "label", "old", "new", "explanation", "business_date")),
        "customer_tag": _sorted(await CustomerTag.all().values(
            "customer_id", "tag__name", "explanation")),
        "segment_member": _sorted(await SegmentMember.all().values(
            "segment__name", "customer_id", "since")),
        "segment_movement": _sorted(await SegmentMovement.all().values(
            "segment__name", "business_date", "count", "joined", "left")),
    }  # fmt: skip


async def _undone(way: Callable[[], Awaitable[None]]) -> Rows:
    """The rows a way of profiling leaves, the database left as it was."""
    seen: Rows = {}
    with pytest.raises(_Undo):
        async with in_transaction():
            await way()
            seen.update(await _rows())
            raise _Undo
    return seen


async def _bounds() -> tuple[int, int]:
    ids = await Customer.all().order_by("id").values_list("id", flat=True)
    return int(ids[0]), int(ids[-1]) + 1


@pytest.fixture
async def portfolio(db: str) -> tuple[int, int]:
    """300 seeded customers, segments and tag rules, profiled once on TODAY."""
    await seed(customers=300, demo_password="pw-chunks", business_date=TODAY)
    await deploy_bundled()
    await segments.define("valuable_low_risk", "", {"rfm_segment": ["CHAMPIONS", "LOYAL"],
                          "risk_rating": ["LOW", "MEDIUM"]}, by="test")  # fmt: skip
    await segments.define("drifting", "", {"lifecycle_stage": ["CHURN_WARNING", "LOST"]},
                          by="test")  # fmt: skip
    await segments.define("late_payers", "", {"tag": ["HABITUAL_LATE", "RELIABLE"]}, by="test")
    for name, condition in (
        ("RELIABLE", "max_dpd == 0 and paid_on_time >= 6 and risk_rating in ('LOW', 'MEDIUM')"),
        ("ONLINE_AND_LATE", "'HABITUAL_LATE' in tags or online_contacts >= 3"),
        # fails (division by zero) for customers without an active loan: they keep their tag
        ("BIG_LOANS", "outstanding / active_loans > 50000"),
    ):
        await rules.save(name, "", condition, True, by="test", check=tag_rules.check)
    async with in_transaction():
        await _one_pass(TODAY)
    return await _bounds()


async def _one_pass(day: date) -> None:
    """The daily profiles step as one pass over everyone (as the daily run did it)."""
    await profiles.apply(day, await ratings.compute(day))
    await tag_rules.apply(day)
    await segments.refresh(day)
    await assignment.assign(day)


async def _whole() -> None:
    await _one_pass(LATER)


def _ranges(lo: int, hi: int, cuts: list[int]) -> list[tuple[int, int]]:
    return list(itertools.pairwise([lo, *cuts, hi]))


async def test_ranges_in_any_order_and_repeated_leave_the_rows_of_one_pass(
    portfolio: tuple[int, int],
) -> None:
    lo, hi = portfolio
    whole = await _undone(_whole)
    assert len(whole["profile_change"]) > 300  # labels, tags and managers moved
    assert any('"label": "tag"' in row for row in whole["profile_change"])
    assert whole["segment_member"] and whole["customer_tag"]
    assert any('"left": 0' not in row for row in whole["segment_movement"])
    assert any("BIG_LOANS" in row for row in whole["customer_tag"])

    async def one_range() -> None:
        await profiling.prepare_profiles(LATER)
        await profiling.profile_chunk(LATER, lo, hi)
        await profiling.finish_profiles(LATER)

    async def shuffled() -> None:
        # uneven ranges, an empty one and one past the last id, in a shuffled order
        parts = _ranges(lo - 5, hi + 40, [lo + 1, lo + 37, lo + 38, lo + 120, lo + 121, hi])
        random.Random(14).shuffle(parts)
        await profiling.prepare_profiles(LATER)
        failures = 0
        for n, (start, end) in enumerate(parts):
            failures += (await profiling.profile_chunk(LATER, start, end))["rule_failures"]
            if n == 2:  # a range taken again (its worker died after the commit)
                again = await profiling.profile_chunk(LATER, start, end)
                assert again["changes"] == again["tag_changes"] == 0
                assert again["rule_tag_changes"] == again["moved"] == 0
        await profiling.finish_profiles(LATER)
        await profiling.profile_chunk(LATER, *parts[0])  # and once more after the finish
        assert failures > 0  # BIG_LOANS on customers without an active loan

    assert await _undone(one_range) == whole
    assert await _undone(shuffled) == whole


async def test_a_range_sends_as_many_statements_whatever_its_size(
    portfolio: tuple[int, int],
) -> None:
    """A chunk of the daily run reads and writes its customers set by set: twice the
    customers, the same statements (but for a write one range has nothing for, such as a
    tag no customer of it newly takes)."""
    lo, hi = portfolio
    sent: dict[int, int] = {}

    def way(size: int) -> Callable[[], Awaitable[None]]:
        async def profile() -> None:
            await profiling.prepare_profiles(LATER)
            with count_statements() as log:
                done = await profiling.profile_chunk(LATER, lo, lo + size)
            assert done["changes"] and done["tag_changes"] and done["rule_tag_changes"]
            sent[size] = log.count

        return profile

    for size in (150, hi - lo):
        await _undone(way(size))
    assert abs(sent[hi - lo] - sent[150]) <= 3
    assert sent[hi - lo] <= 60


async def test_scores_are_those_of_the_whole_population(portfolio: tuple[int, int]) -> None:
    lo, hi = portfolio
    middle = (lo + hi) // 2
    await profiling.prepare_profiles(LATER)
    await profiling.profile_chunk(LATER, middle, hi)
    await profiling.profile_chunk(LATER, lo, middle)
    every = await rfm.compute(LATER)  # raw values of everyone, scored the old way below
    recency = rfm.scores({c: x.recency_days for c, x in every.items()}, higher_is_better=False)
    frequency = rfm.scores({c: x.frequency for c, x in every.items()}, higher_is_better=True)
    margin = rfm.scores({c: x.margin for c, x in every.items()}, higher_is_better=True)
    stored = {
        int(r["id"]): (r["rfm_recency"], r["rfm_frequency"], r["rfm_monetary"])
        for r in await Customer.filter(rfm_segment__isnull=False).values(
            "id", "rfm_recency", "rfm_frequency", "rfm_monetary"
        )
    }
    assert len(stored) == len(every) > 100
    assert stored == {c: (recency[c], frequency[c], margin[c]) for c in every}
    assert len({s for s in stored.values()}) > 10  # not all alike


def test_cuts_score_as_ranks_do() -> None:
    values = [random.Random(n).randint(0, 9) for n in range(37)]
    for size in (1, 2, 3, 4, 5, 6, 7, 11, 37):
        sample = dict(enumerate(values[:size]))
        ordered = sorted(sample.values())
        ranks = [-(-s * size // 5) for s in range(1, 5)]
        cuts = rfm.Cuts(size, (date(2026, 1, 1),) * 4, tuple(ordered[k - 1] for k in ranks),
                        (Decimal(0),) * 4)  # fmt: skip
        by_rank = rfm.scores(sample, higher_is_better=True)
        assert {k: cuts.score(date(2026, 1, 1), v, Decimal(0))[1] for k, v in sample.items()} == (
            by_rank
        ), size


async def test_a_range_before_the_date_is_prepared_is_refused(db: str) -> None:
    with pytest.raises(ConflictError, match="not prepared"):
        await profiling.profile_chunk(LATER, 1, 100)


async def test_an_open_upper_bound_takes_everyone_above(portfolio: tuple[int, int]) -> None:
    lo, _ = portfolio
    whole = await _undone(_whole)

    async def open_ended() -> None:
        await profiling.prepare_profiles(LATER)
        await profiling.profile_chunk(LATER, 0, lo + 150)
        await profiling.profile_chunk(LATER, lo + 150, 2**62)  # the chunk runner's open end
        await profiling.finish_profiles(LATER)

    assert await _undone(open_ended) == whole
