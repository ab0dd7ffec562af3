"""The 360° view over GraphQL: customers, loans, schedules, payments, interactions."""

from datetime import date

from api.relay import to_global_id
from domain.interaction import service as interactions
from domain.interaction.models import Direction, InteractionChannel, InteractionType
from tests import factories
from tests.api.conftest import GraphQLClient

CUSTOMER_360 = """
query ($id: ID!) {
  customer(id: $id) {
    id name kind phone
    loans {
      id principal annualRate termMonths disbursedOn outstandingPrincipal daysPastDue bucket
      customer { id }
      schedule { seq dueDate principalDue interestDue paidAmount status }
      payments { amount paidAt idempotencyKey }
    }
    interactions(first: 2) { totalCount edges { cursor node { channel text } } pageInfo { hasNextPage endCursor } }
  }
}
"""


async def test_customer_360_shows_schedule_to_the_cent(gql: GraphQLClient) -> None:
    # given
    owner = await factories.customer()
    loan = await factories.loan(owner, principal="10000.00", rate="0.12", term=12)
    # when
    data = await gql.data(CUSTOMER_360, id=to_global_id("Customer", owner.id))
    # then
    [shown] = data["customer"]["loans"]
    assert shown["id"] == to_global_id("Loan", loan.id)
    assert shown["principal"] == "10000.00"
    schedule = shown["schedule"]
    assert len(schedule) == 12
    assert schedule[0] == {
        "seq": 1, "dueDate": "2026-02-15", "principalDue": "788.49", "interestDue": "100.00",
        "paidAmount": "0.00", "status": "OVERDUE",
    }  # fmt: skip
    assert sum(int(r["principalDue"].replace(".", "")) for r in schedule) == 1_000_000


async def test_interactions_page_with_stable_cursors(gql: GraphQLClient) -> None:
    # given three interactions
    owner = await factories.customer()
    for text in ("first", "second", "third"):
        await interactions.record(
            customer_id=owner.id, channel=InteractionChannel.PHONE,
            direction=Direction.OUTBOUND, type_=InteractionType.CALL, text=text,
        )  # fmt: skip
    # when
    data = await gql.data(CUSTOMER_360, id=to_global_id("Customer", owner.id))
    page = data["customer"]["interactions"]
    # then newest first, two per page, and the cursor leads to the rest
    assert page["totalCount"] == 3
    assert [e["node"]["text"] for e in page["edges"]] == ["third", "second"]
    assert page["pageInfo"]["hasNextPage"] is True


async def test_business_date_moves_dpd_and_bucket(gql: GraphQLClient) -> None:
    # given a loan whose first installment fell due on 2026-02-15
    owner = await factories.customer()
    loan = await factories.loan(owner)
    move = """mutation ($d: Date!) { setBusinessDate(input: {date: $d}) {
        __typename ... on SetBusinessDateSuccess { businessDate } } }"""
    query = "query ($id: ID!) { loan(id: $id) { daysPastDue bucket } businessDate }"
    # when
    await gql.data(move, d=date(2026, 6, 20).isoformat())
    data = await gql.data(query, id=to_global_id("Loan", loan.id))
    # then
    assert data["businessDate"] == "2026-06-20"
    assert data["loan"] == {"daysPastDue": 125, "bucket": "M5"}
