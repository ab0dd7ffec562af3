"""What the designer asks the server: operations, checks on drafts, dry runs."""

from tests.api.conftest import GraphQLClient
from tests.bpmn import diagrams

OPS = "{ serviceOperations { name params { name type required } example } taskRoles }"
CHECK = """query ($xml: String!) { checkProcess(input: {bpmnXml: $xml, dmnXmls: []}) {
  elementId reason } }"""
DRY = """mutation ($input: DryRunInput!) { dryRunProcess(input: $input) { __typename
  ... on DryRunResult { status path waitingAt error errorElement data serviceCalls }
  ... on ValidationError { fields { field message } } } }"""


async def test_the_operation_catalogue_lists_types_and_examples(gql: GraphQLClient) -> None:
    await gql.as_user("ana", ["analyst"])
    data = await gql.data(OPS)
    ops = {op["name"]: op for op in data["serviceOperations"]}
    assert {"credit.pull_report", "message.send", "collection.assign_collector"} <= set(ops)
    assert {"name": "customer_id", "type": "int", "required": True} in ops["message.send"]["params"]
    assert ops["contact.check"]["example"]["allowed"] is True
    assert "collector" in data["taskRoles"]


async def test_a_draft_is_checked_with_problems_on_their_elements(gql: GraphQLClient) -> None:
    await gql.as_user("ana", ["analyst"])
    good = (await gql.data(CHECK, xml=diagrams.gateway("amount > 1").decode()))["checkProcess"]
    assert good == []
    bad = (await gql.data(CHECK, xml=diagrams.gateway("amount >").decode()))["checkProcess"]
    assert [p["elementId"] for p in bad] == ["f_review"]
    assert "syntax" in bad[0]["reason"]


FEEL_CHECK = """query ($xml: String!, $dmns: [String!]!) {
  checkProcess(input: {bpmnXml: $xml, dmnXmls: $dmns}) { elementId reason line column }
  processLanguages(input: {bpmnXml: $xml, dmnXmls: $dmns}) { file language } }"""


async def test_a_feel_draft_gets_its_language_and_errors_with_their_position(
    gql: GraphQLClient,
) -> None:
    from tests.bpmn.feel_processes.diagrams import CAMUNDA8_BPMN, LANE_DMN

    await gql.as_user("ana", ["analyst"])
    good = await gql.data(FEEL_CHECK, xml=CAMUNDA8_BPMN, dmns=[LANE_DMN])
    assert good["checkProcess"] == []
    assert good["processLanguages"] == [
        {"file": "bpmn", "language": "FEEL"}, {"file": "dmn[0]", "language": "FEEL"}
    ]  # fmt: skip
    broken = LANE_DMN.replace('<text>"M1","M2"</text>', '<text>"M1",,"M2"</text>')
    bad = await gql.data(FEEL_CHECK, xml=diagrams.gateway("amount > 1").decode(), dmns=[broken])
    problems = [p for p in bad["checkProcess"] if p["elementId"] == "r_early_3"]
    assert len(problems) == 1 and problems[0]["line"] == 1 and problems[0]["column"] == 6
    assert bad["processLanguages"][0] == {"file": "bpmn", "language": "LENDGRAPH"}


async def test_a_dry_run_shows_the_path_and_stores_nothing(gql: GraphQLClient) -> None:
    from domain.process.models import ProcessDefinition, ProcessInstance

    await gql.as_user("ana", ["analyst"])
    draft = diagrams.gateway("interest > 10").decode()
    stopped = (await gql.data(DRY, input={"bpmnXml": draft, "data": {}}))["dryRunProcess"]
    assert stopped["status"] == "WAITING" and stopped["waitingAt"] == ["review"]
    assert stopped["path"] == ["start", "calc", "gw"]
    assert stopped["data"]["interest"] == 50.0
    answered = {"bpmnXml": draft, "data": {}, "taskAnswers": {"review": {"ok": True}}}
    done = (await gql.data(DRY, input=answered))["dryRunProcess"]
    assert done["status"] == "COMPLETED" and done["path"][-2:] == ["review", "end"]
    other = diagrams.gateway("interest > 100").decode()
    skipped = (await gql.data(DRY, input={"bpmnXml": other, "data": {}}))["dryRunProcess"]
    assert skipped["path"] == ["start", "calc", "gw", "end_auto"]
    refused = await gql.data(DRY, input={"bpmnXml": diagrams.gateway("amount >").decode()})
    assert refused["dryRunProcess"]["__typename"] == "ValidationError"
    assert await ProcessDefinition.all().count() == 0 and await ProcessInstance.all().count() == 0


async def test_a_service_call_in_a_dry_run_gets_the_example_or_the_given_answer(
    gql: GraphQLClient,
) -> None:
    await gql.as_user("ana", ["analyst"])
    draft = diagrams.service("credit.score_application", {"application_id": ("int", "7")}).decode()
    run = (await gql.data(DRY, input={"bpmnXml": draft}))["dryRunProcess"]
    assert run["status"] == "COMPLETED"
    assert run["serviceCalls"] == [
        {"operation": "credit.score_application", "arguments": {"application_id": 7}}
    ]
    assert run["data"]["result"]["band"] == "B"
    given = {"bpmnXml": draft, "serviceAnswers": {"credit.score_application": {"band": "D"}}}
    assert (await gql.data(DRY, input=given))["dryRunProcess"]["data"]["result"]["band"] == "D"


async def test_people_outside_processes_may_not_use_the_designer_api(gql: GraphQLClient) -> None:
    await gql.as_user("col", ["collector"])
    denied = await gql(OPS)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
