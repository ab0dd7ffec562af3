"""Deploying processes over GraphQL: immutable versions by content, refusals by element id."""

from tests.api.conftest import GraphQLClient
from tests.bpmn import diagrams

DEPLOY = """mutation ($xml: String!, $dmns: [String!]!) {
  deployProcess(input: {bpmnXml: $xml, dmnXmls: $dmns}) {
    __typename
    ... on DeployProcessSuccess { created definition { processId version runningInstances } }
    ... on ValidationError { message fields { field message } }
  }
}"""
LIST = "{ processDefinitions { processId version contentHash runningInstances deployedBy } }"


async def test_versions_are_keyed_by_content(gql: GraphQLClient) -> None:
    # given an analyst
    await gql.as_user("ana", ["analyst"])
    first = diagrams.gateway("amount > 100").decode()
    second = diagrams.gateway("amount > 200").decode()
    # when the same content is deployed twice, then a change
    one = (await gql.data(DEPLOY, xml=first, dmns=[]))["deployProcess"]
    again = (await gql.data(DEPLOY, xml=first, dmns=[]))["deployProcess"]
    two = (await gql.data(DEPLOY, xml=second, dmns=[]))["deployProcess"]
    listed = (await gql.data(LIST))["processDefinitions"]
    # then one version per content, newest first
    assert (one["created"], one["definition"]["version"]) == (True, 1)
    assert (again["created"], again["definition"]["version"]) == (False, 1)
    assert (two["created"], two["definition"]["version"]) == (True, 2)
    assert [(d["version"], d["runningInstances"], d["deployedBy"]) for d in listed] == [
        (2, 0, "ana"), (1, 0, "ana"),
    ]  # fmt: skip


async def test_malicious_diagram_is_refused_on_its_element(gql: GraphQLClient) -> None:
    hostile = diagrams.gateway("__import__('os').system('touch /tmp/pwned')").decode()
    result = (await gql.data(DEPLOY, xml=hostile, dmns=[]))["deployProcess"]
    assert result["__typename"] == "ValidationError"
    assert result["fields"] and all(f["field"] != "bpmnXml" for f in result["fields"])
    assert (await gql.data(LIST))["processDefinitions"] == []


async def test_doctype_is_refused(gql: GraphQLClient) -> None:
    xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    result = (await gql.data(DEPLOY, xml=xxe, dmns=[]))["deployProcess"]
    assert result["__typename"] == "ValidationError"
    assert "passwd" not in str(result) or "DOCTYPE" in result["message"]


async def test_only_designers_deploy(gql: GraphQLClient) -> None:
    await gql.as_user("am", ["account_manager"])
    result = await gql.data(DEPLOY, xml=diagrams.gateway("amount > 1").decode(), dmns=[])
    assert result["deployProcess"]["__typename"] == "ForbiddenError"


async def test_bundled_processes_deploy_once(gql: GraphQLClient) -> None:
    from bpmn.deployments import deploy_bundled

    first = await deploy_bundled()
    again = await deploy_bundled()
    assert [d.definition.process_id for d in first] == [
        "collections", "credit_approval", "customer_risk_rating", "limit_increase",
        "pre_due_reminders",
    ]  # fmt: skip
    assert [d.created for d in first + again] == [True] * 5 + [False] * 5
    listed = (await gql.data(LIST))["processDefinitions"]
    assert sorted((d["processId"], d["version"]) for d in listed) == [
        ("collections", 1),
        ("credit_approval", 1),
        ("customer_risk_rating", 1),
        ("limit_increase", 1),
        ("pre_due_reminders", 1),
    ]
