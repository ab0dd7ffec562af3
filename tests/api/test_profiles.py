"""Profiles over GraphQL: each label explains itself, and its history is kept."""

from datetime import date

from api.relay import to_global_id
from bpmn import daily
from bpmn.deployments import deploy_bundled
from domain.loan import service as loans
from tests import factories
from tests.api.conftest import GraphQLClient
from tests.conftest import TODAY

QUERY = """query ($id: ID!) { customer(id: $id) { riskRating lifecycleStage rfm { segment }
  tags { name explanation }
  profileExplanation { riskRating lifecycleStage rfm computedOn }
  profileHistory { label old new businessDate explanation } } }"""


async def test_a_customer_says_why_it_is_rated_staged_and_segmented(gql: GraphQLClient) -> None:
    await deploy_bundled()
    owner = await factories.customer("解释", phone="13600001111")
    await factories.loan(owner, disbursed_on=date(2026, 2, 1))  # nothing paid: past due
    await loans.refresh_delinquency(TODAY)
    assert (await daily.run(TODAY)).done
    data = (await gql.data(QUERY, id=to_global_id("Customer", owner.id)))["customer"]
    assert data["riskRating"] == "VERY_HIGH"
    why = data["profileExplanation"]
    assert why["riskRating"]["rule"] == "VERY_HIGH: more than 30 days past due now"
    assert why["riskRating"]["inputs"]["current_dpd"] == (TODAY - date(2026, 3, 1)).days
    assert why["lifecycleStage"]["rule"].startswith(data["lifecycleStage"])
    assert why["computedOn"] == "2026-06-15"
    labels = {(c["label"], c["new"]) for c in data["profileHistory"]}
    assert ("risk_rating", "VERY_HIGH") in labels
    assert all(c["businessDate"] == "2026-06-15" for c in data["profileHistory"])


DEFINE = """mutation ($name: String!, $rules: JSON!) { defineSegment(input: {name: $name,
  rules: $rules}) { __typename ... on ValidationError { fields { field message } } } }"""
SEGMENTS = """{ segments { name count rules members { edges { node { name } } }
  movements { businessDate count joined left } } }"""


async def test_segments_are_defined_filled_daily_and_seen_under_row_scope(
    gql: GraphQLClient,
) -> None:
    from domain.customer.models import Customer
    from tests.api.conftest import password_hash

    bad = (await gql.data(DEFINE, name="x", rules={"risk_rating": ["SUPER"]}))["defineSegment"]
    assert bad["__typename"] == "ValidationError"
    assert "unknown values ['SUPER']" in bad["fields"][0]["message"]
    made = await gql.data(DEFINE, name="valuable_low_risk",
                          rules={"risk_rating": ["LOW"], "lifecycle_stage": ["STABLE", "GROWTH"]})  # fmt: skip
    assert made["defineSegment"]["__typename"] == "DefineSegmentSuccess"
    again = await gql.data(DEFINE, name="valuable_low_risk", rules={"risk_rating": ["LOW"]})
    assert again["defineSegment"]["__typename"] == "ConflictError"

    manager = await factories.user("am_seg", ["account_manager"], password_hash=password_hash())
    mine = await factories.customer("段内我的", phone="13600002222", account_manager_id=manager.id)
    theirs = await factories.customer("段内别人", phone="13600003333")
    outside = await factories.customer("段外", phone="13600004444")
    for c, rating in ((mine, "LOW"), (theirs, "LOW"), (outside, "HIGH")):
        await Customer.filter(id=c.id).update(risk_rating=rating, lifecycle_stage="STABLE")
    from domain.profile import segments

    await segments.refresh(TODAY)
    [seg] = (await gql.data(SEGMENTS))["segments"]
    assert seg["count"] == 2
    assert seg["movements"] == [{"businessDate": "2026-06-15", "count": 2, "joined": 2, "left": 0}]
    await Customer.filter(id=theirs.id).update(risk_rating="MEDIUM")
    await segments.refresh(date(2026, 6, 16))
    [seg] = (await gql.data(SEGMENTS))["segments"]
    assert seg["movements"][0] == {"businessDate": "2026-06-16", "count": 1, "joined": 0, "left": 1}
    await Customer.filter(id=theirs.id).update(risk_rating="LOW")
    await segments.refresh(date(2026, 6, 17))
    await gql.login("am_seg")
    [seen] = (await gql.data(SEGMENTS))["segments"]
    assert seen["count"] == 1  # only their own customer
    assert [e["node"]["name"] for e in seen["members"]["edges"]] == ["段内我的"]
    denied = (await gql.data(DEFINE, name="y", rules={"risk_rating": ["LOW"]}))["defineSegment"]
    assert denied["__typename"] == "ForbiddenError"
