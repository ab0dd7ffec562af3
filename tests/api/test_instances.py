"""Process instances over GraphQL: messages by name and business key, failures, retries."""

from typing import Any

import pytest

from bpmn import deployments, registry, runner
from domain.process.models import ProcessInstance
from tests.api.conftest import GraphQLClient
from tests.bpmn import diagrams

CORRELATE = """mutation ($name: String!, $key: String!, $payload: JSON) {
  correlateMessage(input: {name: $name, businessKey: $key, payload: $payload}) {
    __typename
    ... on CorrelateMessageSuccess { delivered processInstances { status data businessKey } }
    ... on ValidationError { message }
  }
}"""
INSTANCES = """query ($status: String) { processInstances(filter: {status: $status}) {
  totalCount edges { node { id processId status error waits { kind elementId attempt } } } } }"""
RETRY = """mutation ($id: ID!) { retryProcessInstance(input: {id: $id}) { __typename
  ... on RetryProcessInstanceSuccess { processInstance { status error } }
  ... on ConflictError { message } } }"""


async def _waiting_for_payment(key: str) -> int:
    await deployments.deploy(diagrams.message_wait(), [], deployed_by="test")
    view = await runner.start("p_msg", {}, business_key=key)
    assert view.status == "RUNNING"
    return view.id


async def test_a_message_reaches_only_the_instances_of_its_business_key(
    gql: GraphQLClient,
) -> None:
    mine = await _waiting_for_payment("loan:1")
    other = await _waiting_for_payment("loan:2")
    payload = {"amount": "1200.00"}
    result = (await gql.data(CORRELATE, name="payment_received", key="loan:1", payload=payload))[
        "correlateMessage"
    ]
    assert result["delivered"] == 1
    [done] = result["processInstances"]
    assert (done["status"], done["businessKey"]) == ("COMPLETED", "loan:1")
    assert done["data"]["paid"] == "1200.00"
    assert (await ProcessInstance.get(id=mine)).status == "COMPLETED"
    assert (await ProcessInstance.get(id=other)).status == "RUNNING"
    # delivered once: the same message again finds nobody waiting
    again = await gql.data(CORRELATE, name="payment_received", key="loan:1", payload=payload)
    assert again["correlateMessage"]["delivered"] == 0
    unknown = await gql.data(CORRELATE, name="no_such_message", key="loan:2", payload=None)
    assert unknown["correlateMessage"]["delivered"] == 0
    assert (await ProcessInstance.get(id=other)).status == "RUNNING"


async def test_a_message_payload_must_be_an_object(gql: GraphQLClient) -> None:
    bad = await gql.data(CORRELATE, name="payment_received", key="loan:1", payload=[1, 2])
    assert bad["correlateMessage"]["__typename"] == "ValidationError"


async def test_only_administrators_correlate_and_retry(gql: GraphQLClient) -> None:
    await gql.as_user("am", ["account_manager"])
    denied = await gql.data(CORRELATE, name="payment_received", key="loan:1", payload=None)
    assert denied["correlateMessage"]["__typename"] == "ForbiddenError"
    some = "UHJvY2Vzc0luc3RhbmNlOjE="  # ProcessInstance:1
    assert (await gql.data(RETRY, id=some))["retryProcessInstance"]["__typename"] == (
        "ForbiddenError"
    )


async def test_failed_instances_are_listed_with_their_reason_and_retried(
    gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await deployments.deploy(
        diagrams.service("credit.score_application", {"application_id": ("int", "7")}),
        [],
        deployed_by="test",
    )

    async def broken(application_id: int) -> Any:
        raise RuntimeError("scoring model missing")

    monkeypatch.setitem(registry._IMPLEMENTATIONS, "credit.score_application", broken)
    view = await runner.start("p1", {}, business_key="x:1")
    listed = (await gql.data(INSTANCES, status="FAILED"))["processInstances"]
    assert listed["totalCount"] == 1
    node = listed["edges"][0]["node"]
    assert node["status"] == "FAILED" and "scoring model missing" in node["error"]
    assert node["error"].startswith("svc: ") or "credit.score_application" in node["error"]

    async def fixed(application_id: int) -> Any:
        return {"score": 700, "band": "B", "annual_rate": "0.129"}

    monkeypatch.setitem(registry._IMPLEMENTATIONS, "credit.score_application", fixed)
    retried = (await gql.data(RETRY, id=node["id"]))["retryProcessInstance"]
    assert retried["processInstance"] == {"status": "COMPLETED", "error": None}
    assert (await gql.data(INSTANCES, status="FAILED"))["processInstances"]["totalCount"] == 0
    again = (await gql.data(RETRY, id=node["id"]))["retryProcessInstance"]
    assert again["__typename"] == "ConflictError"
    assert view.id


PAY = """mutation ($loan: ID!, $amount: Decimal!, $at: DateTime!, $key: String!) {
  postPayment(input: {loanId: $loan, amount: $amount, paidAt: $at, idempotencyKey: $key}) {
    __typename ... on PostPaymentSuccess { duplicate loan { daysPastDue } } } }"""


async def test_a_payment_posted_over_graphql_cures_and_ends_collections(
    gql: GraphQLClient,
) -> None:
    from datetime import date

    from bpmn import collections
    from bpmn.deployments import deploy_bundled
    from domain.clock import service as clock
    from domain.loan import service as loans
    from domain.loan.models import Installment
    from tests import factories
    from tests.conftest import TODAY

    await factories.user("col1", ["collector"])
    owner = await factories.customer(phone="13800004444")
    loan = await factories.loan(owner, disbursed_on=date(2026, 5, 10))
    await loans.refresh_delinquency(TODAY)
    await deploy_bundled()
    [view] = await collections.start_for_past_due()
    [first] = await Installment.filter(loan_id=loan.id, seq=1)
    amount = str(first.principal_due + first.interest_due)
    from api.relay import to_global_id

    loan_gid = to_global_id("Loan", loan.id)
    at = (await clock.now()).isoformat()
    paid = (await gql.data(PAY, loan=loan_gid, amount=amount, at=at, key="p-1"))["postPayment"]
    assert paid["loan"]["daysPastDue"] == 0
    assert (await ProcessInstance.get(id=view.id)).status == "COMPLETED"
    again = (await gql.data(PAY, loan=loan_gid, amount=amount, at=at, key="p-1"))["postPayment"]
    assert again["duplicate"] is True


MIGRATE = """mutation ($dry: Boolean!) {
  migrateProcessInstances(input: {processId: "credit_approval", dryRun: $dry}) {
    __typename
    ... on MigrateProcessInstancesSuccess { toVersion dryRun movable refused
      instances { fromVersion migrated problems processInstance { version } } } } }"""


async def test_an_analyst_moves_safe_instances_and_sees_why_others_stay(
    gql: GraphQLClient,
) -> None:
    from bpmn.deployments import BUNDLED
    from tests import factories
    from tests.bpmn.test_waits import _review_waiting

    first = await _review_waiting()
    second = await _review_waiting()
    ro = await factories.user("ro2", ["risk_officer"])
    # the second is declined, so finished: only the first is offered the move
    await runner.complete_task(second.open_tasks[0].id, {"decision": "DECLINED"}, user_id=ro.id)
    xml = (BUNDLED / "credit_approval.bpmn").read_text()
    table = (BUNDLED / "risk_lane.dmn").read_bytes()
    ahead = xml.replace("amount &gt; second_approval_above", "amount &gt;= second_approval_above")
    await deployments.deploy(ahead.encode(), [table], deployed_by="analyst")
    await gql.as_user("ana", ["analyst"])
    dry = (await gql.data(MIGRATE, dry=True))["migrateProcessInstances"]
    assert (dry["toVersion"], dry["dryRun"], dry["movable"], dry["refused"]) == (2, True, 1, 0)
    [only] = dry["instances"]  # the finished one is not offered
    assert only == {"fromVersion": 1, "migrated": False, "problems": [],
                    "processInstance": {"version": 1}}  # fmt: skip
    done = (await gql.data(MIGRATE, dry=False))["migrateProcessInstances"]
    assert done["instances"][0]["migrated"] is True
    assert done["instances"][0]["processInstance"]["version"] == 2
    moved = await ProcessInstance.get(id=first.id).prefetch_related("definition")
    assert moved.definition.version == 2


RUN_DAILY = """mutation { runDailyJobs { __typename ... on RunDailyJobsSuccess {
  businessDate done busy failed steps { step detail } } } }"""
MESSAGES = (
    "{ messages { totalCount edges { node { purpose status dedupeKey customer { name } } } } }"
)


async def test_the_daily_run_over_graphql_and_the_outbox_under_row_scope(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    from datetime import date

    from domain.user.models import User
    from tests import factories
    from tests.api.conftest import password_hash

    am1 = await factories.user("am1x", ["account_manager"])
    mine = await factories.customer("我的客户", phone="13911110000", account_manager_id=am1.id)
    other = await factories.customer("别人的客户", phone="13922220000")
    for owner in (mine, other):
        await factories.loan(owner, disbursed_on=date(2026, 5, 22))  # first due 06-22: T-7
    ran = (await gql.data(RUN_DAILY))["runDailyJobs"]
    assert ran["done"] is True and ran["businessDate"] == "2026-06-15"
    steps = {s["step"]: s["detail"] for s in ran["steps"]}
    assert steps["reminders"] == {"queued": 2, "already_queued": 0}
    assert (await gql.data(RUN_DAILY))["runDailyJobs"]["steps"] == ran["steps"]
    assert (await gql.data(MESSAGES))["messages"]["totalCount"] == 2
    await User.filter(id=am1.id).update(password_hash=password_hash())
    await gql.login("am1x")
    seen = (await gql.data(MESSAGES))["messages"]
    assert [e["node"]["customer"]["name"] for e in seen["edges"]] == ["我的客户"]
    assert (await gql.data(RUN_DAILY))["runDailyJobs"]["__typename"] == "ForbiddenError"
