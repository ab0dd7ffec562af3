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
