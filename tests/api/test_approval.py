"""submitApplication starts the approval process; people work their tasks through GraphQL."""

from datetime import UTC, datetime
from decimal import Decimal

from api.relay import to_global_id
from bpmn.deployments import deploy_bundled
from domain import sqltext
from domain.application.models import Application, ApplicationStatus
from domain.credit.models import CreditReport
from domain.loan.models import Loan
from domain.statements import count_statements
from domain.user.models import User
from tests import factories
from tests.api.conftest import GraphQLClient, password_hash

SUBMIT = """mutation ($id: ID!, $amount: Decimal!) { submitApplication(input: {customerId: $id,
    productCode: "CONSUMER", amount: $amount, termMonths: 24, channel: APP}) {
    __typename ... on SubmitApplicationSuccess { application { id status processInstance {
      status tasks { id name candidateRole status } } } } } }"""
TASKS = "{ tasks { totalCount edges { node { id name candidateRole status } } } }"
COMPLETE = """mutation ($id: ID!, $data: JSON!) { completeTask(input: {taskId: $id, data: $data}) {
    __typename ... on CompleteTaskSuccess { processInstance { status } }
    ... on ValidationError { fields { field message } } ... on UserError { code } } }"""


async def _customer(manager: User, score: int) -> str:
    owner = await factories.customer(
        "申请人", account_manager_id=manager.id, monthly_income="20000.00"
    )
    await CreditReport.create(customer_id=owner.id, bureau="PBOC", score=score,
                              pulled_at=datetime(2026, 6, 10, tzinfo=UTC))  # fmt: skip
    await factories.product("CONSUMER")
    return to_global_id("Customer", owner.id)


async def test_fast_lane_reaches_the_signature_and_a_disbursed_loan(gql: GraphQLClient) -> None:
    # given the bundled process and an account manager's strong customer
    await deploy_bundled()
    am = await gql.as_user("am", ["account_manager"])
    customer = await _customer(am, score=780)
    # when a small application is submitted
    data = await gql.data(SUBMIT, id=customer, amount="20000.00")
    # then no human reviewed it: the only task is the customer's signature, for the manager
    app = data["submitApplication"]["application"]
    [sign] = app["processInstance"]["tasks"]
    assert (sign["name"], sign["candidateRole"], sign["status"]) == (
        "Customer signs contract", "account_manager", "OPEN",
    )  # fmt: skip
    inbox = (await gql.data(TASKS))["tasks"]
    assert [e["node"]["id"] for e in inbox["edges"]] == [sign["id"]]
    # and completing it disburses the loan with its schedule
    done = (await gql.data(COMPLETE, id=sign["id"], data={}))["completeTask"]
    assert done["processInstance"]["status"] == "COMPLETED"
    stored = await Application.get()
    assert stored.status == ApplicationStatus.DISBURSED
    loan = await Loan.get(customer__applications__id=stored.id)
    assert loan.principal == Decimal("20000.00")
    assert await loan.installments.all().count() == 24


async def test_a_fast_lane_application_costs_a_fixed_few_statements(gql: GraphQLClient) -> None:
    # given the bundled process and an account manager's strong customer
    await deploy_bundled()
    am = await gql.as_user("am", ["account_manager"])
    customer = await _customer(am, score=780)
    # when the application is submitted and the customer signs
    with count_statements() as submitted:
        data = await gql.data(SUBMIT, id=customer, amount="20000.00")
    [sign] = data["submitApplication"]["application"]["processInstance"]["tasks"]
    with count_statements() as signed:
        done = (await gql.data(COMPLETE, id=sign["id"], data={}))["completeTask"]
    # then each request sends a fixed, small number of statements (41 and 28 they were):
    # the policy version and the caller, the checks, the rows the steps write, the audit.
    # On PostgreSQL a new row goes with the rows it moves on (a task and its event, a contract
    # and its application's status, a loan, its schedule and its application's status), a
    # step's business moment is read with the rows it locks, and a step's state, the decision
    # so far and its new task are one statement; a step's savepoint is released by the commit;
    # whether a campaign invited the customer comes with the product; the facts the start
    # read serve the scoring that follows at once; the version in force and the instance
    # started for it are one statement
    assert done["processInstance"]["status"] == "COMPLETED"
    most = (13, 9) if sqltext.postgres() else (18, 13)
    assert submitted.count <= most[0], submitted.statements
    assert signed.count <= most[1], signed.statements


async def test_standard_lane_waits_for_a_risk_officer(gql: GraphQLClient) -> None:
    await deploy_bundled()
    am = await gql.as_user("am", ["account_manager"])
    customer = await _customer(am, score=660)
    data = await gql.data(SUBMIT, id=customer, amount="80000.00")
    instance = data["submitApplication"]["application"]["processInstance"]
    # the account manager sees the process running but not the review, which is not theirs
    assert (instance["status"], instance["tasks"]) == ("RUNNING", [])
    assert (await gql.data(TASKS))["tasks"]["totalCount"] == 0
    await User.create(username="risk", roles=["risk_officer"], password_hash=password_hash())
    await gql.login("risk")
    [edge] = (await gql.data(TASKS))["tasks"]["edges"]
    review = edge["node"]
    assert (review["name"], review["candidateRole"]) == ("Review application", "risk_officer")
    bad = (await gql.data(COMPLETE, id=review["id"], data={"decision": "MAYBE"}))["completeTask"]
    assert bad["fields"][0]["field"] == "decision"
    ok = (await gql.data(COMPLETE, id=review["id"], data={"decision": "APPROVED"}))["completeTask"]
    assert ok["processInstance"]["status"] == "RUNNING"
    again = (await gql.data(COMPLETE, id=review["id"], data={"decision": "APPROVED"}))[
        "completeTask"
    ]
    assert again["code"] in ("CONFLICT", "NOT_FOUND")


async def test_tasks_follow_the_customers_row_scope(gql: GraphQLClient) -> None:
    # given two account managers, each with a customer whose FAST application awaits signing
    await deploy_bundled()
    mine = await gql.as_user("am_a", ["account_manager"])
    other = await User.create(username="am_b", roles=["account_manager"],
                              password_hash=password_hash())  # fmt: skip
    await gql.data(SUBMIT, id=await _customer(mine, score=780), amount="20000.00")
    await gql.login("am_b")
    theirs = await gql.data(SUBMIT, id=await _customer(other, score=790), amount="10000.00")
    [their_sign] = theirs["submitApplication"]["application"]["processInstance"]["tasks"]
    # when the first manager looks at the inbox and tries the other's task
    await gql.login("am_a")
    inbox = (await gql.data(TASKS))["tasks"]
    attempt = (await gql.data(COMPLETE, id=their_sign["id"], data={}))["completeTask"]
    # then only their own customer's task is there, and the other one does not exist for them
    assert inbox["totalCount"] == 1
    assert inbox["edges"][0]["node"]["id"] != their_sign["id"]
    assert attempt["code"] == "NOT_FOUND"


OUTCOME = (
    "query ($id: ID!) { node(id: $id) { ... on Application { status riskLane decisionReason } } }"
)


async def test_the_application_shows_its_lane_and_reason_as_the_process_decides(
    gql: GraphQLClient,
) -> None:
    # given
    await deploy_bundled()
    am = await gql.as_user("am", ["account_manager"])
    strong, weak = await _customer(am, score=780), await _customer(am, score=520)
    # when a strong customer's small application and a weak customer's one are submitted
    fast = (await gql.data(SUBMIT, id=strong, amount="20000.00"))["submitApplication"]
    declined = (await gql.data(SUBMIT, id=weak, amount="20000.00"))["submitApplication"]
    # then the first waits for the signature under its contract, the second is declined
    seen = [(await gql.data(OUTCOME, id=r["application"]["id"]))["node"] for r in (fast, declined)]
    assert seen == [
        {"status": "CONTRACTED", "riskLane": "FAST",
         "decisionReason": "small amount, strong and clean profile"},
        {"status": "DECLINED", "riskLane": "DECLINE", "decisionReason": "bureau score below 550"},
    ]  # fmt: skip
    stored = await Application.get(risk_lane="DECLINE")
    assert (stored.decision, stored.decided_at is not None) == ("DECLINED", True)


async def test_a_reviewers_decline_is_kept_with_their_comment(gql: GraphQLClient) -> None:
    # given a STANDARD application in a risk officer's inbox
    await deploy_bundled()
    am = await gql.as_user("am", ["account_manager"])
    customer = await _customer(am, score=660)
    submitted = (await gql.data(SUBMIT, id=customer, amount="80000.00"))["submitApplication"]
    application_id = submitted["application"]["id"]
    assert (await gql.data(OUTCOME, id=application_id))["node"]["riskLane"] == "STANDARD"
    await User.create(username="risk", roles=["risk_officer"], password_hash=password_hash())
    await gql.login("risk")
    [edge] = (await gql.data(TASKS))["tasks"]["edges"]
    # when they decline it with a comment
    comment = "income could not be verified"
    await gql.data(
        COMPLETE, id=edge["node"]["id"], data={"decision": "DECLINED", "comment": comment}
    )
    # then
    assert (await gql.data(OUTCOME, id=application_id))["node"] == {
        "status": "DECLINED", "riskLane": "STANDARD", "decisionReason": comment,
    }  # fmt: skip
