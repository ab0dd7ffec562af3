"""simulations(processId:): the kept simulations of a process, newest first, paged, scoped as
simulation(id) is (figures with report read, the changed cases within the reader's scope)."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.customer.models import Customer
from domain.user.models import User
from tests.api.conftest import GraphQLClient
from tests.api.simulation.requests import approval_input, simulate_mutation, simulated
from tests.bpmn.simulation import history

SIMULATE = simulate_mutation("id")
LIST = """query ($process: String!, $first: Int, $after: String) {
  simulations(processId: $process, first: $first, after: $after) { totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id ranBy status population totals { cases changed }
      changedCases { caseId } } } } }"""
# the FAST lane's limit raised: one case changes instead of DRAFT_LANE's three
WIDER = history.RISK_LANE.replace("&lt;= 50000", "&lt;= 80000")


async def _simulate(gql: GraphQLClient, dmn: str, start: date = history.START) -> int:
    return int((await simulated(gql, SIMULATE, approval_input(dmn, start)))["id"])


async def _page(gql: GraphQLClient, **variables: Any) -> dict[str, Any]:
    found: dict[str, Any] = await gql.data(LIST, process="credit_approval", **variables)
    return dict(found["simulations"])


async def test_the_simulations_of_a_process_newest_first_in_pages(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    # given: three simulations of the approval's lane, two drafts then one on a shorter window
    await history.seed()
    await gql.as_user("ana", ["analyst"])
    first = await _simulate(gql, history.DRAFT_LANE)
    second = await _simulate(gql, WIDER)
    third = await _simulate(gql, WIDER, start=history.END)
    # when: two per page
    page = await _page(gql, first=2)
    # then: newest first, with their figures and population, no case for an analyst
    nodes = [e["node"] for e in page["edges"]]
    assert [n["id"] for n in nodes] == [third, second]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"] is True
    assert nodes[1]["totals"] == {"cases": 8, "changed": 1}
    assert nodes[1]["population"]["from"] == history.START.isoformat()
    assert nodes[0]["population"]["from"] == history.END.isoformat()
    assert all(n["changedCases"] is None and n["ranBy"] == "ana" for n in nodes)
    # when: the next page
    rest = await _page(gql, first=2, after=page["pageInfo"]["endCursor"])
    # then: the oldest, and no more
    assert [e["node"]["id"] for e in rest["edges"]] == [first]
    assert rest["edges"][0]["node"]["totals"] == {"cases": 8, "changed": 3}
    assert rest["pageInfo"]["hasNextPage"] is False
    # another process has none
    other = (await gql.data(LIST, process="collections"))["simulations"]
    assert other["totalCount"] == 0 and other["edges"] == []


async def test_the_list_is_scoped_as_one_simulation_is(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    # given: two simulations; a2's applicant is managed in team T1
    seeded = await history.seed()
    mike = await User.create(username="mike", roles=["account_manager"], team="T1")
    await Customer.filter(id=seeded.customers["a2"]).update(account_manager_id=mike.id)
    await gql.as_user("ana", ["analyst"])
    await _simulate(gql, history.DRAFT_LANE)
    await _simulate(gql, history.DRAFT_LANE)
    # when: a risk officer lists them: every changed case of both
    await gql.as_user("rita", ["risk_officer"])
    seen = [e["node"] for e in (await _page(gql))["edges"]]
    assert [len(n["changedCases"]) for n in seen] == [3, 3]
    # when: a team lead: the figures of all, the cases of the team only
    await gql.as_user("lena", ["team_lead", "analyst"], team="T1")
    lead = [e["node"] for e in (await _page(gql))["edges"]]
    assert [n["totals"]["changed"] for n in lead] == [3, 3]
    assert [[c["caseId"] for c in n["changedCases"]] for n in lead] == [
        [seeded.applications["a2"]],
        [seeded.applications["a2"]],
    ]
    # when: a role without report read over all: refused
    await gql.as_user("amy", ["account_manager"])
    refused = await gql(LIST, process="credit_approval")
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_bad_cursor_or_page_size_names_the_argument(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    await gql.as_user("ana", ["analyst"])
    bad = await gql(LIST, process="credit_approval", after="not-a-cursor")
    assert bad["errors"][0]["extensions"]["code"] == "VALIDATION", bad
    assert "after" in bad["errors"][0]["message"]
    too_many = await gql(LIST, process="credit_approval", first=500)
    assert "first" in too_many["errors"][0]["message"]
