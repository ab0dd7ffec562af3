"""The risk lane redrawn in FEEL (as a lender's Camunda Modeler writes it), deployed over
GraphQL as a new version of credit approval, decides new applications."""

from __future__ import annotations

from pathlib import Path

from bpmn import processes
from bpmn.deployments import deploy_bundled
from domain.application.models import Application
from domain.process.models import ProcessInstance
from tests.api.conftest import GraphQLClient
from tests.api.test_approval import SUBMIT, _customer

PROCESSES = Path(processes.__file__).parent
FEEL = "https://www.omg.org/spec/DMN/20191111/FEEL/"
DEPLOY = """mutation ($xml: String!, $dmns: [String!]!) {
  deployProcess(input: {bpmnXml: $xml, dmnXmls: $dmns}) {
    __typename ... on DeployProcessSuccess { definition { processId version } }
    ... on ValidationError { message } } }"""


def _feel_risk_lane(fast_limit: str) -> str:
    """risk_lane.dmn in FEEL: the definitions declare it, '? is None' becomes null, and UNIQUE
    becomes FIRST (lendgraph's tables take the first rule that matches; in FEEL, DMN's UNIQUE
    refuses two matching rules, and the catch-all STANDARD rule matches with every other)."""
    text = (PROCESSES / "risk_lane.dmn").read_text()
    text = text.replace('namespace="', f'expressionLanguage="{FEEL}" namespace="', 1)
    assert "? is None" in text and "&lt;= 50000" in text and 'hitPolicy="UNIQUE"' in text
    text = text.replace('hitPolicy="UNIQUE"', 'hitPolicy="FIRST"')
    return text.replace("? is None", "null").replace("&lt;= 50000", f"&lt;= {fast_limit}")


async def test_a_feel_risk_lane_decides_the_lane_of_new_applications(gql: GraphQLClient) -> None:
    # given the bundled processes and an analyst's FEEL risk lane with a higher FAST limit
    await deploy_bundled()
    await gql.as_user("ana", ["analyst"])
    approval = (PROCESSES / "credit_approval.bpmn").read_text()
    deployed = await gql.data(DEPLOY, xml=approval, dmns=[_feel_risk_lane("150000")])
    assert deployed["deployProcess"]["definition"] == {
        "processId": "credit_approval", "version": 2
    }  # fmt: skip
    am = await gql.as_user("am", ["account_manager"])
    strong = await _customer(am, score=780)
    # when an application above the old FAST limit is submitted
    data = await gql.data(SUBMIT, id=strong, amount="120000.00")
    # then the FEEL table put it in the FAST lane: only the customer's signature is left
    [sign] = data["submitApplication"]["application"]["processInstance"]["tasks"]
    assert sign["candidateRole"] == "account_manager"
    stored = await Application.get()
    assert (stored.risk_lane, stored.decision_reason) == (
        "FAST", "small amount, strong and clean profile"
    )  # fmt: skip


async def test_a_feel_unique_table_whose_rules_overlap_fails_the_task_with_both_rules(
    gql: GraphQLClient,
) -> None:
    await deploy_bundled()
    await gql.as_user("ana", ["analyst"])
    approval = (PROCESSES / "credit_approval.bpmn").read_text()
    unique = _feel_risk_lane("150000").replace('hitPolicy="FIRST"', 'hitPolicy="UNIQUE"')
    await gql.data(DEPLOY, xml=approval, dmns=[unique])
    am = await gql.as_user("am", ["account_manager"])
    data = await gql.data(SUBMIT, id=await _customer(am, score=780), amount="120000.00")
    instance = data["submitApplication"]["application"]["processInstance"]
    assert instance == {"status": "FAILED", "tasks": []}
    failed = await ProcessInstance.get()
    assert "UNIQUE hit policy but rules 5, 8 matched" in (failed.error or "")


async def test_hostile_feel_is_refused_at_deploy_by_its_element(gql: GraphQLClient) -> None:
    from tests.bpmn.feel_processes.diagrams import CAMUNDA8_BPMN, LANE_DMN

    await gql.as_user("ana", ["analyst"])
    deep = "(" * 400 + "1" + ")" * 400  # nesting past FEEL's bound
    long = " + ".join(["1"] * 8_000)  # text past the bound of a script
    for cell in (deep, long, "{a: 1}.__class__", 'matches("x", "(a+)+$")'):
        dmn = LANE_DMN.replace("<text>&gt; 60</text>", f"<text>{cell}</text>")
        result = (await gql.data(DEPLOY, xml=CAMUNDA8_BPMN, dmns=[dmn]))["deployProcess"]
        if cell.startswith(("{", "matches")):
            # valid FEEL that can do no harm: a path to a missing key is null, and a regex
            # runs bounded in its own process; the table deploys
            assert result["__typename"] == "DeployProcessSuccess", result
            continue
        assert result["__typename"] == "ValidationError", result
        assert "r_dpd_1" in result["message"]
    assert await ProcessInstance.all().count() == 0
