"""simulate over GraphQL: figures for an analyst, cases for who may read them, a deploy cites it."""

from __future__ import annotations

from typing import Any

from domain.customer.models import Customer
from domain.simulation.models import Simulation, SimulationCitation
from domain.user.models import User
from tests.api.conftest import GraphQLClient
from tests.api.simulation.requests import approval_input, simulate, simulate_mutation
from tests.bpmn.simulation import history

SIMULATE = simulate_mutation("""id processId decisionId draftDigest againstVersion
  outcomeOutput cells { old new count amount }
  totals { cases changed changedAmount recordedInputs rebuiltInputs }
  observed { label loans worstDpd defaulted }
  changedCases { caseId customerId inputSource old { outcome rules { id annotation } }
                 new { outcome rules { id annotation } } }""")
DEPLOY = """mutation ($input: DeployProcessInput!) { deployProcess(input: $input) { __typename
  ... on DeployProcessSuccess { definition { version simulationId } }
  ... on UserError { code message } } }"""
DEFINITIONS = "{ processDefinitions { processId version simulationId } }"


async def _simulate(gql: GraphQLClient, **more: Any) -> dict[str, Any]:
    return await simulate(gql, SIMULATE, approval_input(**more))


async def test_an_analyst_sees_the_figures_but_no_case(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    # given
    await history.seed()
    await gql.as_user("ana", ["analyst"])
    # when
    result = await _simulate(gql)
    # then
    assert result["__typename"] == "SimulateSuccess", result
    simulation = result["simulation"]
    cells = {(c["old"], c["new"]): (c["count"], c["amount"]) for c in simulation["cells"]}
    assert cells[("ENHANCED", "DECLINE")] == (2, "70000.00")
    assert cells[("STANDARD", "FAST")] == (1, "60000.00")
    assert simulation["totals"] == {"cases": 8, "changed": 3, "changedAmount": "130000.00",
                                   "recordedInputs": 1, "rebuiltInputs": 7}  # fmt: skip
    assert simulation["observed"]["loans"] == 2 and simulation["observed"]["defaulted"] == 1
    assert simulation["changedCases"] is None
    kept = await Simulation.get(id=simulation["id"])
    assert kept.ran_by == "ana" and kept.draft_digest == simulation["draftDigest"]
    assert kept.report["totals"]["changed"] == 3


async def test_a_risk_officer_sees_the_changed_cases_with_their_rules(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    seeded = await history.seed()
    await gql.as_user("rita", ["risk_officer"])
    cases = (await _simulate(gql))["simulation"]["changedCases"]
    by_id = {c["caseId"]: c for c in cases}
    assert set(by_id) == {seeded.applications[k] for k in ("a2", "a3", "a6")}
    a2 = by_id[seeded.applications["a2"]]
    assert a2["customerId"] == seeded.customers["a2"]
    assert (a2["old"]["outcome"], a2["new"]["outcome"]) == ("STANDARD", "FAST")
    assert [r["id"] for r in a2["old"]["rules"]] == ["rule_7"]
    assert a2["new"]["rules"] == [
        {"id": "rule_4", "annotation": "FAST: small amount, strong and clean profile"}
    ]


async def test_a_role_without_report_read_over_all_is_refused(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    await history.seed()
    await gql.as_user("amy", ["account_manager"])
    result = await _simulate(gql)
    assert result["__typename"] == "ForbiddenError"
    assert await Simulation.all().count() == 0


async def test_a_deploy_cites_the_simulation_of_its_draft(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    # given: a simulation of the draft
    await history.seed()
    await gql.as_user("ana", ["analyst"])
    simulation = (await _simulate(gql))["simulation"]
    draft = {"bpmnXml": history.APPROVAL, "dmnXmls": [history.DRAFT_LANE]}
    # when: another draft cites it
    other = history.DRAFT_LANE.replace("&lt; 600", "&lt; 610")
    refused = await gql.data(
        DEPLOY,
        input={"bpmnXml": history.APPROVAL, "dmnXmls": [other], "simulationId": simulation["id"]},
    )
    # then it is refused, nothing deployed
    assert refused["deployProcess"]["__typename"] == "ConflictError"
    assert "another draft" in refused["deployProcess"]["message"]
    # when: the simulated draft cites it
    done = await gql.data(DEPLOY, input={**draft, "simulationId": simulation["id"]})
    # then the deployment records it and shows it
    assert done["deployProcess"]["definition"] == {"version": 2, "simulationId": simulation["id"]}
    listed = (await gql.data(DEFINITIONS))["processDefinitions"]
    approval = {d["version"]: d["simulationId"] for d in listed
                if d["processId"] == "credit_approval"}  # fmt: skip
    assert approval == {2: simulation["id"], 1: None}
    assert await SimulationCitation.all().count() == 1


async def test_a_simulation_against_a_named_version(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    await history.seed()
    await gql.as_user("ana", ["analyst"])
    first = (await _simulate(gql))["simulation"]
    draft = {"bpmnXml": history.APPROVAL, "dmnXmls": [history.DRAFT_LANE]}
    await gql.data(DEPLOY, input={**draft, "simulationId": first["id"]})
    # the draft is now in force: against it nothing changes, against version 1 the same 3
    current = (await _simulate(gql))["simulation"]
    assert current["againstVersion"] == 2 and current["totals"]["changed"] == 0
    named = (await _simulate(gql, against={"version": 1}))["simulation"]
    assert named["againstVersion"] == 1 and named["totals"]["changed"] == 3
    missing = await _simulate(gql, against={"version": 9})
    assert missing["__typename"] == "NotFoundError"


async def test_a_team_lead_sees_only_the_changed_cases_of_the_team(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    # given: a2's applicant is managed in team T1, a3's and a6's by nobody
    seeded = await history.seed()
    mike = await User.create(username="mike", roles=["account_manager"], team="T1")
    await Customer.filter(id=seeded.customers["a2"]).update(account_manager_id=mike.id)
    await gql.as_user("lena", ["team_lead", "analyst"], team="T1")
    # when
    simulation = (await _simulate(gql))["simulation"]
    # then: the figures are the whole population's, the cases the team's own
    assert simulation["totals"]["changed"] == 3
    assert [c["caseId"] for c in simulation["changedCases"]] == [seeded.applications["a2"]]


async def test_a_kept_simulation_is_read_again_in_the_readers_scope(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    await history.seed()
    await gql.as_user("ana", ["analyst"])
    made = (await _simulate(gql))["simulation"]
    query = "query ($id: Int!) { simulation(id: $id) { ranBy totals { changed } changedCases { caseId } } }"
    again = (await gql.data(query, id=made["id"]))["simulation"]
    assert again == {"ranBy": "ana", "totals": {"changed": 3}, "changedCases": None}
    await gql.as_user("rita", ["risk_officer"])
    seen = (await gql.data(query, id=made["id"]))["simulation"]
    assert len(seen["changedCases"]) == 3
    missing = await gql(query, id=made["id"] + 1)
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
