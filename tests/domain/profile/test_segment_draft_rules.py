"""A segment preview's counts and a segment's members are the same rules.

``segmentPreview`` counts with SQL written from a draft's rules (``segment_drafts``); the
daily run and the entering and leaving lists take the customers ``segments.member_filter``
selects. Drafts are generated (hypothesis) over every field and value a rule allows (several
values, repeated values, values no customer has, names with quotes and wildcards), a fixed
portfolio covers every RFM segment x risk rating, and for each draft the preview's totals and
cells must be what the member filter's customers give against the saved segment's members,
and the member filter must be what the rules say read by hand. Drafts with no field, an
empty list or a name with a NUL character (which the member filter's columns refuse) are
refused, naming the field.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tortoise.exceptions import ValidationError as TortoiseValidationError

from domain.customer.models import Customer, CustomerTag, Tag
from domain.enums import LifecycleStage, RiskRating
from domain.errors import ValidationError
from domain.profile import segment_drafts, segments
from domain.profile.models import Segment, SegmentMember
from domain.profile.rfm import SEGMENTS
from tests.conftest import TODAY

RFM: list[str | None] = [name for name, _, _ in SEGMENTS] + [None]
RATINGS: list[str | None] = [r.value for r in RiskRating] + [None]
STAGES: list[str | None] = [s.value for s in LifecycleStage] + [None]
BRANCHES: list[str | None] = ["SH-001", "BJ-002", "sh-001", "GZ 003", None]
TAGS = ["RELIABLE", "LATE_PAYER", "VIP", "Vip", "优质 客户"]  # each carried by someone
DORMANT = "DORMANT"  # a tag that exists and no customer carries
# values a rule may name that no customer has: near misses, quotes and LIKE wildcards
ABSENT = {"tag": [DORMANT, "NO_SUCH_TAG", "VI%", "VI_", "o'brien", "VIP "],
          "branch": ["XX-999", "SH-00", "SH-001 ", "SH-00_", "%", "o'brien"]}  # fmt: skip
SAVED = {
    "held": {"rfm_segment": ["AT_RISK", "CHAMPIONS", "LOYAL"], "risk_rating": ["LOW", "MEDIUM"]},
    "tagged": {"branch": ["BJ-002", "SH-001"], "tag": ["VIP", "Vip"]},
}
PEOPLE = 60  # customer i has RFM segment i % 12 and risk rating i // 12: every pair once
EXAMPLES = 150
Drafted = tuple[str | None, dict[str, list[str]]]


@dataclass(frozen=True)
class Labels:
    """What one seeded customer carries, as the rules read it."""

    rfm_segment: str | None
    risk_rating: str | None
    lifecycle_stage: str | None
    branch: str | None
    tags: frozenset[str]

    def selected_by(self, rules: dict[str, list[str]]) -> bool:
        """The rules read by hand: every field matches one of its values."""
        for name, values in rules.items():
            have = self.tags if name == "tag" else {getattr(self, name)}
            if not have & set(values):
                return False
        return True


def _labels(i: int, shift: int = 0) -> Labels:
    """Customer ``i``'s labels; ``shift``: as a later profiling left them."""
    bits = (i * 11 + shift) % 32  # 0 to 5 of the tags
    return Labels(
        RFM[(i + shift) % 12], RATINGS[(i // 12 + shift) % 5], STAGES[(i * 5 + i // 12 + shift) % 6],
        BRANCHES[(i * 7 + shift) % 5], frozenset(t for n, t in enumerate(TAGS) if bits >> n & 1),
    )  # fmt: skip


def _values(field: str) -> st.SearchStrategy[list[str]]:
    """One field's values: several, repeated, and for free-text fields also unknown ones."""
    allowed = segments.FIELDS[field]
    if allowed is not None:
        return st.lists(st.sampled_from(sorted(allowed)), min_size=1, max_size=len(allowed) + 2)
    known = [v for v in (TAGS if field == "tag" else BRANCHES) if v is not None]
    text = st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=64)
    return st.lists(st.sampled_from(known + ABSENT[field]) | text, min_size=1, max_size=14)


@st.composite
def drafts(draw: st.DrawFn) -> Drafted:
    """A segment compared with (or none) and a draft of rules; now and then an empty list."""
    rules = draw(st.fixed_dictionaries({}, optional={f: _values(f) for f in segments.FIELDS}))
    if draw(st.integers(0, 5)) == 3:
        rules[draw(st.sampled_from(sorted(segments.FIELDS)))] = []
    return draw(st.sampled_from([None, *SAVED])), rules


@pytest.fixture(scope="module")
def generated() -> list[Drafted]:
    found: list[Drafted] = []

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(drafts())
    @example(("held", {
        "rfm_segment": ["CHAMPIONS", "LOYAL", "AT_RISK", "LOST"], "risk_rating": ["LOW", "MEDIUM"],
        "lifecycle_stage": ["NEW", "GROWTH", "STABLE"], "tag": ["VIP", "Vip", "RELIABLE", "VIP"],
        "branch": ["SH-001", "sh-001", "BJ-002"]}))  # fmt: skip
    @example(("held", SAVED["held"]))  # the saved rules: only relabelled customers move
    @example(("tagged", {"rfm_segment": sorted(segments.FIELDS["rfm_segment"] or [])}))
    @example((None, {"tag": [DORMANT, "VI%"]}))
    @example(("tagged", {}))
    @example((None, {"branch": ["SH-001", "SH-001\x00"], "tag": [], "risk_rating": ["LOW"]}))
    def collect(drafted: Drafted) -> None:
        found.append(drafted)

    collect()
    return found


async def _portfolio() -> dict[int, Labels]:
    """The customers, the two saved segments with the members of a daily run, then new labels
    for every fourth customer (as a later profiling leaves them): their labels by id."""
    await Tag.bulk_create([Tag(name=n) for n in [*TAGS, DORMANT]])
    tags = {t.name: t for t in await Tag.all()}
    await Customer.bulk_create([Customer(name=f"客户{i:02d}") for i in range(PEOPLE)])
    ids = [c.id for c in await Customer.all().order_by("id")]
    labels = {pk: _labels(i) for i, pk in enumerate(ids)}
    await _label(labels, tags)
    for name, rules in SAVED.items():
        await segments.define(name, "", rules, by="root")
    await segments.refresh(TODAY)
    relabelled = {pk: _labels(i, shift=5) for i, pk in enumerate(ids) if i % 4 == 1}
    await CustomerTag.filter(customer_id__in=list(relabelled)).delete()
    await _label(relabelled, tags)
    return labels | relabelled


async def _label(labels: dict[int, Labels], tags: dict[str, Tag]) -> None:
    for pk, found in labels.items():
        await Customer.filter(id=pk).update(
            rfm_segment=found.rfm_segment, risk_rating=found.risk_rating,
            lifecycle_stage=found.lifecycle_stage, branch=found.branch,
        )  # fmt: skip
    await CustomerTag.bulk_create([CustomerTag(customer_id=pk, tag_id=tags[t].id)
                                   for pk, found in labels.items() for t in sorted(found.tags)])  # fmt: skip


def _cells(labels: dict[int, Labels], ids: set[int]) -> Counter[tuple[str | None, str | None]]:
    return Counter((labels[pk].rfm_segment, labels[pk].risk_rating) for pk in ids)


async def _ids(query: Any) -> set[int]:
    return {int(pk) for pk in await query.distinct().values_list("id", flat=True)}


async def test_the_preview_counts_what_the_member_filter_selects(
    db: str, generated: list[Drafted]
) -> None:
    # given
    labels = await _portfolio()
    held = {name: {int(row[0]) for row in await SegmentMember.filter(segment__name=name)
                   .values_list("customer_id")} for name in SAVED}  # fmt: skip
    assert held["held"] and held["tagged"]
    moved = {name: {pk for pk in labels if labels[pk].selected_by(SAVED[name])} ^ held[name]
             for name in SAVED}  # fmt: skip
    assert moved["held"] and moved["tagged"]  # the members are a daily run old
    checked: Counter[str] = Counter()
    for name, rules in generated:
        nul = {f for f, values in rules.items() if any("\x00" in v for v in values)}
        unfit = {f"rules.{f}" for f, values in rules.items() if not values or f in nul}
        if unfit or not rules:
            # then: a draft without a field, a field without values, or a value the member
            # filter's columns refuse is refused by name before anything is counted
            with pytest.raises(ValidationError) as refused:
                await segment_drafts.preview(rules, name)
            problems = {p.field: p.message for p in refused.value.problems}
            assert set(problems) == (unfit or {"rules"}), (name, rules)
            for field in nul:
                with pytest.raises(TortoiseValidationError, match="must not contain NUL"):
                    await Customer.filter(segments.member_filter({field: rules[field]})).count()
                if rules[field]:
                    assert problems[f"rules.{field}"] == "must not contain NUL characters"
            checked.update(refused=1, nul=bool(nul))
            continue
        # when
        found = await segment_drafts.preview(rules, name)
        # then: the member filter selects what the rules say, and the preview counts it
        clean = {f: sorted(set(values)) for f, values in rules.items()}
        assert found.rules == clean
        drafted = await _ids(Customer.filter(segments.member_filter(clean)))
        assert drafted == {pk for pk, c in labels.items() if c.selected_by(clean)}, (name, rules)
        members = held[name] if name else set()
        totals = (found.members, found.current, found.entered, found.left, found.stayed)
        assert totals == (len(drafted), len(members), len(drafted - members),
                          len(members - drafted), len(drafted & members)), (name, rules)  # fmt: skip
        cells = {(g.rfm_segment, g.risk_rating): (g.entered, g.left, g.stayed)
                 for g in found.groups}  # fmt: skip
        entered, left = _cells(labels, drafted - members), _cells(labels, members - drafted)
        stayed = _cells(labels, drafted & members)
        assert len(cells) == len(found.groups)
        assert cells == {cell: (entered[cell], left[cell], stayed[cell])
                         for cell in entered | left | stayed}, (name, rules)  # fmt: skip
        # and the lists of who enters and who leaves are those customers
        assert await _ids(segment_drafts.entering(found)) == drafted - members
        assert await _ids(segment_drafts.leaving(found)) == members - drafted
        moving = bool(found.entered and found.left)
        checked.update(drafted=1, selecting=bool(drafted), moving=moving)
    # the drafts were not all refused, empty or still
    assert checked["drafted"] > EXAMPLES // 2 and checked["refused"] >= 10, checked
    assert checked["nul"] >= 5, checked
    assert checked["selecting"] >= 30 and checked["moving"] >= 15, checked
    assert await Segment.all().count() == len(SAVED)
