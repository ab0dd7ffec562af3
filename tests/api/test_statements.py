"""No N+1: statements per request depend on the query's shape, never on the rows returned."""

from domain.interaction import service as interactions
from domain.interaction.models import Direction, InteractionChannel, InteractionType
from domain.statements import count_statements
from tests import factories
from tests.api.conftest import GraphQLClient

PAGE_360 = """
{
  customers(first: 100) {
    totalCount
    edges { node {
      name phone tags { name } customFields accountManager { username }
      loans { principal bucket customer { name } schedule { seq dueDate principalDue status } payments { amount } }
      interactions(first: 5) { edges { node { channel text agent { username } } } }
      creditReports { score } applications { status }
    } }
  }
}
"""


async def _portfolio(customers: int) -> None:
    manager = await factories.user(f"am-{customers}")
    for n in range(customers):
        owner = await factories.customer(f"客户{n}", account_manager_id=manager.id)
        for _ in range(2):
            await factories.loan(owner)
        await interactions.record(
            customer_id=owner.id, channel=InteractionChannel.SMS, direction=Direction.OUTBOUND,
            type_=InteractionType.MESSAGE, text="reminder", agent_id=manager.id,
        )  # fmt: skip


async def _statements_for(gql: GraphQLClient) -> tuple[int, int]:
    with count_statements() as log:
        data = await gql.data(PAGE_360)
    return log.count, len(data["customers"]["edges"])


async def test_statements_do_not_grow_with_rows(gql: GraphQLClient) -> None:
    # given 5 customers
    await _portfolio(5)
    small, shown_small = await _statements_for(gql)
    # when 45 more arrive
    await _portfolio(45)
    large, shown_large = await _statements_for(gql)
    # then ten times the rows cost the same statements
    assert (shown_small, shown_large) == (5, 50)
    assert small == large
    assert large <= 15  # 12 reads of the page, the policy version, the caller, the audit entry
