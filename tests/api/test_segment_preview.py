"""A segment's rules weighed before they are saved: who enters and who leaves, by RFM segment
and risk rating, against hand-built customers; then saved, and the next daily run agrees."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.access.models import AuditEntry
from domain.customer.models import Customer, CustomerTag, Tag
from domain.profile import segments
from domain.profile.models import Segment, SegmentMember, SegmentMovement
from tests import factories
from tests.api.conftest import GraphQLClient
from tests.conftest import TODAY

PREVIEW = """query ($name: String, $rules: JSON!) { segmentPreview(input: {name: $name,
  rules: $rules}) { segment rules members current entered left stayed
  groups { rfmSegment riskRating entered left stayed }
  entering { edges { node { name } } } leaving { edges { node { name } } } } }"""
REDEFINE = """mutation ($name: String!, $rules: JSON!) { redefineSegment(input: {name: $name,
  rules: $rules}) { __typename ... on RedefineSegmentSuccess { before segment { rules } }
  ... on UserError { message } ... on ValidationError { fields { field message } } } }"""
SAVED = {"rfm_segment": ["CHAMPIONS", "LOYAL"], "risk_rating": ["LOW"]}
NARROWER = {"rfm_segment": ["CHAMPIONS"], "risk_rating": ["LOW", "MEDIUM"]}


async def _customers() -> dict[str, int]:
    """Six customers of known labels (segment, rating, tag); their ids by name."""
    made = {}
    labels = {
        "甲": ("CHAMPIONS", "LOW", None), "乙": ("CHAMPIONS", "MEDIUM", None),
        "丙": ("LOYAL", "LOW", None), "丁": ("LOYAL", "HIGH", "RELIABLE"),
        "戊": ("LOST", "LOW", "RELIABLE"), "己": (None, None, None),
    }  # fmt: skip
    reliable = await Tag.create(name="RELIABLE")
    for n, (name, (segment, rating, tag)) in enumerate(labels.items()):
        owner = await factories.customer(name, phone=f"1370000{n:04d}")
        await Customer.filter(id=owner.id).update(rfm_segment=segment, risk_rating=rating)
        if tag:
            await CustomerTag.create(customer_id=owner.id, tag_id=reliable.id, explanation="t")
        made[name] = owner.id
    await segments.define("valuable", "", SAVED, by="root")
    await segments.refresh(TODAY)  # members: 甲 and 丙
    return made


def _names(connection: dict[str, Any] | None) -> list[str] | None:
    return None if connection is None else sorted(e["node"]["name"] for e in connection["edges"])


async def _rows() -> tuple[int, ...]:
    return (await Segment.all().count(), await SegmentMember.all().count(),
            await SegmentMovement.all().count(), await AuditEntry.all().count())  # fmt: skip


async def test_a_draft_says_who_enters_and_who_leaves_and_changes_nothing(
    gql: GraphQLClient,
) -> None:
    # given
    await _customers()
    before = await _rows()
    # when: a narrower draft of the saved segment
    found = (await gql.data(PREVIEW, name="valuable", rules=NARROWER))["segmentPreview"]
    # then: 乙 enters (CHAMPIONS, MEDIUM), 丙 leaves (LOYAL, LOW), 甲 stays (CHAMPIONS, LOW)
    assert (found["segment"], found["rules"]) == ("valuable", NARROWER)
    totals = [found[k] for k in ("members", "current", "entered", "left", "stayed")]
    assert totals == [2, 2, 1, 1, 1]
    assert found["groups"] == [
        {"rfmSegment": "CHAMPIONS", "riskRating": "LOW", "entered": 0, "left": 0, "stayed": 1},
        {"rfmSegment": "CHAMPIONS", "riskRating": "MEDIUM", "entered": 1, "left": 0, "stayed": 0},
        {"rfmSegment": "LOYAL", "riskRating": "LOW", "entered": 0, "left": 1, "stayed": 0},
    ]
    assert (_names(found["entering"]), _names(found["leaving"])) == (["乙"], ["丙"])
    # when: a draft by tag; then 丁 and 戊 enter, 甲 and 丙 leave
    tagged = await gql.data(PREVIEW, name="valuable", rules={"tag": ["RELIABLE"]})
    found = tagged["segmentPreview"]
    assert [found[k] for k in ("members", "current", "entered", "left", "stayed")] == [
        2,
        2,
        2,
        2,
        0,
    ]
    assert {(g["rfmSegment"], g["riskRating"]): (g["entered"], g["left"]) for g in found["groups"]} == {
        ("CHAMPIONS", "LOW"): (0, 1), ("LOYAL", "LOW"): (0, 1),
        ("LOYAL", "HIGH"): (1, 0), ("LOST", "LOW"): (1, 0),
    }  # fmt: skip
    # when: a new segment; then everyone it selects enters
    fresh = (await gql.data(PREVIEW, rules={"risk_rating": ["LOW"]}))["segmentPreview"]
    assert (fresh["segment"], fresh["current"], fresh["entered"]) == (None, 0, 3)
    assert _names(fresh["entering"]) == ["丙", "戊", "甲"]
    # and nothing was written
    assert await _rows() == before


async def test_an_analyst_sees_the_figures_but_not_the_people_and_a_manager_neither(
    gql: GraphQLClient,
) -> None:
    await _customers()
    await gql.as_user("ana", ["analyst"])
    found = (await gql.data(PREVIEW, name="valuable", rules=NARROWER))["segmentPreview"]
    assert (found["entered"], found["left"]) == (1, 1)
    assert (found["entering"], found["leaving"]) == (None, None)
    # the saved segments' rules and sizes are aggregates too; their members are not
    listed = (await gql.data("{ segments { name rules count } }"))["segments"]
    assert listed == [{"name": "valuable", "rules": SAVED, "count": 2}]
    body = await gql("{ segments { members { edges { node { name } } } } }")
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    await gql.as_user("am", ["account_manager"])
    body = await gql(PREVIEW, name="valuable", rules=NARROWER)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    listed = (await gql.data("{ segments { name count } }"))["segments"]
    assert listed == [{"name": "valuable", "count": 0}]  # none of them is theirs


async def test_bad_rules_and_unknown_segments_are_named(gql: GraphQLClient) -> None:
    await _customers()
    body = await gql(PREVIEW, name="valuable", rules={"risk_rating": ["SUPER"]})
    [error] = body["errors"]
    assert error["extensions"]["code"] == "VALIDATION"
    assert "unknown values ['SUPER']" in str(error)
    body = await gql(PREVIEW, name="nowhere", rules=NARROWER)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    bad = (await gql.data(REDEFINE, name="valuable", rules={"colour": ["red"]}))["redefineSegment"]
    assert bad["__typename"] == "ValidationError" and bad["fields"][0]["field"] == "rules.colour"
    missing = (await gql.data(REDEFINE, name="nowhere", rules=NARROWER))["redefineSegment"]
    assert missing["__typename"] == "NotFoundError"
    assert await Segment.get(name="valuable").values_list("rules", flat=True) == SAVED


async def test_saved_rules_move_the_members_at_the_next_run_as_previewed(
    gql: GraphQLClient,
) -> None:
    # given: the preview of a narrower draft
    await _customers()
    found = (await gql.data(PREVIEW, name="valuable", rules=NARROWER))["segmentPreview"]
    # when: an administrator saves it, and the next date runs
    saved = (await gql.data(REDEFINE, name="valuable", rules=NARROWER))["redefineSegment"]
    assert saved == {"__typename": "RedefineSegmentSuccess",
                     "before": {"rules": SAVED, "description": ""},
                     "segment": {"rules": NARROWER}}  # fmt: skip
    await segments.refresh(date(2026, 6, 16))
    # then: the movement is the one previewed, and the change is audited with both rules
    moved = await SegmentMovement.get(business_date=date(2026, 6, 16))
    assert (moved.count, moved.joined, moved.left) == (found["members"], found["entered"], 1)
    entry = await AuditEntry.get(action="segment.redefine")
    assert (entry.before["rules"], entry.after["rules"]) == (SAVED, NARROWER)  # type: ignore[index]
    # and an analyst may not save rules
    await gql.as_user("ana", ["analyst"])
    denied = (await gql.data(REDEFINE, name="valuable", rules=SAVED))["redefineSegment"]
    assert denied["__typename"] == "ForbiddenError"


async def test_groups_come_in_the_same_order_on_either_database(gql: GraphQLClient) -> None:
    # given: the six customers in one branch, one of them not yet segmented nor rated
    await _customers()
    await Customer.all().update(branch="NORTH")
    # when: a new segment of that branch is previewed
    found = (await gql.data(PREVIEW, rules={"branch": ["NORTH"]}))["segmentPreview"]
    # then: by segment, then rating, the customer with neither last
    assert [(g["rfmSegment"], g["riskRating"], g["entered"]) for g in found["groups"]] == [
        ("CHAMPIONS", "LOW", 1), ("CHAMPIONS", "MEDIUM", 1), ("LOST", "LOW", 1),
        ("LOYAL", "HIGH", 1), ("LOYAL", "LOW", 1), (None, None, 1),
    ]  # fmt: skip
