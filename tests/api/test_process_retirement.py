"""Retiring a process over GraphQL, and what asks for a process that is not in force."""

from bpmn import bundled, deployments
from domain.access.models import AuditEntry
from domain.application.models import Application
from domain.process.models import ProcessInstance
from tests.api.conftest import GraphQLClient
from tests.api.test_approval import SUBMIT, _customer

RETIRE = """mutation ($pid: String!) { retireProcess(input: {processId: $pid}) {
    __typename
    ... on RetireProcessSuccess { processId retiredBy versions { version inForce retiredBy } }
    ... on UserError { code message } } }"""
LIST = "{ processDefinitions { processId version origin inForce retiredAt retiredBy deployedBy } }"
DEPLOY = """mutation ($xml: String!, $dmns: [String!]!) {
  deployProcess(input: {bpmnXml: $xml, dmnXmls: $dmns}) {
    __typename ... on DeployProcessSuccess { created withdrawnVersions definition { version inForce } }
  } }"""
SUBMITTED = """mutation ($id: ID!) { submitApplication(input: {customerId: $id,
    productCode: "CONSUMER", amount: "20000.00", termMonths: 24, channel: APP}) {
    __typename ... on UserError { code message } } }"""


def _approval_files() -> tuple[str, list[str]]:
    [(_, xml, dmns)] = [f for f in deployments.bundle_files() if f[0] == "credit_approval"]
    return xml.decode(), [d.decode() for d in dmns]


async def test_an_analyst_retires_a_process_and_deploys_it_back(gql: GraphQLClient) -> None:
    # given the shipped processes and an analyst
    await bundled.install()
    await gql.as_user("ana", ["analyst"])
    # when they retire the approval
    done = (await gql.data(RETIRE, pid="credit_approval"))["retireProcess"]
    # then every version carries the mark, the list shows it, the audit log keeps it
    assert done == {"__typename": "RetireProcessSuccess", "processId": "credit_approval",
                    "retiredBy": "ana", "versions": [{"version": 1, "inForce": False,
                                                      "retiredBy": "ana"}]}  # fmt: skip
    listed = {d["processId"]: d for d in (await gql.data(LIST))["processDefinitions"]}
    assert listed["credit_approval"]["inForce"] is False
    assert listed["credit_approval"]["retiredAt"] is not None
    assert (listed["collections"]["origin"], listed["collections"]["inForce"]) == ("bundled", True)
    assert listed["collections"]["deployedBy"] == "lendgraph migrate"
    entry = await AuditEntry.get(action="process.retire")
    assert (entry.username, entry.object_id, entry.before) == (
        "ana", "credit_approval", {"in_force": 1}
    )  # fmt: skip
    again = (await gql.data(RETIRE, pid="credit_approval"))["retireProcess"]
    assert again["__typename"] == "ConflictError" and "already retired" in again["message"]
    # and deploying it again puts it back in force
    xml, dmns = _approval_files()
    back = (await gql.data(DEPLOY, xml=xml, dmns=dmns))["deployProcess"]
    assert back == {"__typename": "DeployProcessSuccess", "created": False,
                    "withdrawnVersions": [], "definition": {"version": 1, "inForce": True}}  # fmt: skip
    listed = {d["processId"]: d for d in (await gql.data(LIST))["processDefinitions"]}
    assert (listed["credit_approval"]["inForce"], listed["credit_approval"]["retiredAt"]) == (
        True, None
    )  # fmt: skip


async def test_only_designers_retire_and_unknown_processes_are_not_found(
    gql: GraphQLClient,
) -> None:
    await bundled.install()
    missing = (await gql.data(RETIRE, pid="no_such_process"))["retireProcess"]
    assert missing["__typename"] == "NotFoundError"
    await gql.as_user("am", ["account_manager"])
    refused = (await gql.data(RETIRE, pid="credit_approval"))["retireProcess"]
    assert refused["__typename"] == "ForbiddenError"
    assert await deployments.in_force("credit_approval") is not None


async def test_submitting_without_the_approval_process_says_so_and_keeps_nothing(
    gql: GraphQLClient,
) -> None:
    # given a database where credit_approval was never deployed
    am = await gql.as_user("am", ["account_manager"])
    customer = await _customer(am, score=780)
    # when an application is submitted
    result = (await gql.data(SUBMITTED, id=customer))["submitApplication"]
    # then the caller is told which process is missing and how to fix it, and nothing is stored
    assert result == {
        "__typename": "ConflictError", "code": "PROCESS_NOT_DEPLOYED",
        "message": "process credit_approval is not deployed: deploy it in the designer or run "
                   "`lendgraph migrate`",
    }  # fmt: skip
    assert await Application.all().count() == 0
    assert await ProcessInstance.all().count() == 0
    assert await AuditEntry.filter(action="application.submit").count() == 0


async def test_submitting_after_retirement_names_who_retired_it(gql: GraphQLClient) -> None:
    await bundled.install()
    await deployments.retire("credit_approval", retired_by="ana")
    am = await gql.as_user("am", ["account_manager"])
    customer = await _customer(am, score=780)
    result = (await gql.data(SUBMITTED, id=customer))["submitApplication"]
    assert result["code"] == "PROCESS_NOT_DEPLOYED"
    assert result["message"].startswith("process credit_approval was retired on ")
    assert " by ana: deploy it again in the designer" in result["message"]
    assert await Application.all().count() == 0
    # once it is deployed again, the same submission goes through
    await deployments.deploy(*_files_bytes(), deployed_by="ana")
    ok = await gql.data(SUBMIT, id=customer, amount="20000.00")
    assert ok["submitApplication"]["application"]["status"] == "CONTRACTED"


def _files_bytes() -> tuple[bytes, list[bytes]]:
    xml, dmns = _approval_files()
    return xml.encode(), [d.encode() for d in dmns]
