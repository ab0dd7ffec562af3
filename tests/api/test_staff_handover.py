"""When someone leaves: disabling ends their access at once, and shows what they leave behind
for an administrator to hand over (customers, claimed tasks); nothing moves by itself."""

from datetime import UTC, datetime

from api.relay import to_global_id
from domain.access.models import AuditEntry
from domain.customer.models import Customer
from domain.process.models import ProcessDefinition, ProcessInstance, WorkTask, WorkTaskStatus
from domain.user.models import User
from tests import factories
from tests.api.conftest import GraphQLClient
from tests.authz.support import cheap_hashing

__all__ = ["cheap_hashing"]

DISABLE = """mutation ($id: ID!) { disableUser(input: {userId: $id}) {
    __typename ... on UserError { code message }
    ... on DisableUserSuccess { user { active } revokedApiKeys openTaskCount managedCustomerCount
        openTasks { name status } managedCustomers(first: 10) { totalCount edges { node { name } } }
    } } }"""
REASSIGN = """mutation ($input: ReassignCustomersInput!) { reassignCustomers(input: $input) {
    __typename ... on UserError { code message } ... on ValidationError { fields { field message } }
    ... on ReassignCustomersSuccess { movedCount remainingCount toUser { username } } } }"""
UNCLAIM = """mutation ($id: ID!) { unclaimTask(input: {taskId: $id}) {
    __typename ... on UserError { code message }
    ... on UnclaimTaskSuccess { task { status assignee { username } } previousAssignee { username } }
    } }"""
CLAIM = """mutation ($id: ID!) { claimTask(input: {taskId: $id}) {
    __typename ... on UserError { code message } ... on ClaimTaskSuccess { task { status } } } }"""
MY_CUSTOMERS = "{ customers { edges { node { name } } } }"


async def _review_task(customer: Customer) -> WorkTask:
    """An open review task of the customer's application, offered to account managers."""
    definition = await ProcessDefinition.get_or_none(process_id="review")
    if definition is None:
        definition = await ProcessDefinition.create(
            process_id="review", version=1, name="Review", bpmn_xml="<x/>", dmn_xmls=[],
            content_hash="r" * 64, deployed_by="t", deployed_at=datetime.now(UTC),
        )  # fmt: skip
    instance = await ProcessInstance.create(
        definition_id=definition.id, business_key=f"customer:{customer.id}",
        customer_id=customer.id,
    )  # fmt: skip
    return await WorkTask.create(
        instance_id=instance.id, task_id=f"task-{customer.id}", element_id="review",
        name=f"Review {customer.name}", candidate_role="account_manager",
    )  # fmt: skip


def _names(data: dict) -> set[str]:
    return {e["node"]["name"] for e in data["customers"]["edges"]}


async def test_disable_lists_open_work_and_reassignment_hands_it_over(gql: GraphQLClient) -> None:
    # given an account manager with two customers, a claimed task, a session and an API key
    admin = dict(gql.headers)
    am1 = await gql.as_user("am1", ["account_manager"], team="east")
    c1 = await factories.customer("甲", account_manager_id=am1.id)
    await factories.customer("乙", account_manager_id=am1.id)
    task = await _review_task(c1)
    task_id = to_global_id("Task", task.id)
    assert (await gql.data(CLAIM, id=task_id))["claimTask"]["task"]["status"] == "CLAIMED"
    session = dict(gql.headers)
    gql.headers = admin
    made = await gql.data(
        """mutation ($u: ID!) { createApiKey(input: {userId: $u, role: "account_manager",
           name: "crm"}) { ... on CreateApiKeySuccess { secret } } }""",
        u=to_global_id("User", am1.id),
    )
    key = made["createApiKey"]["secret"]
    am2 = await gql.as_user("am2", ["account_manager"], team="east")
    am2_session = dict(gql.headers)
    gql.headers = admin

    # when an administrator disables am1
    gone = (await gql.data(DISABLE, id=to_global_id("User", am1.id)))["disableUser"]

    # then their open work is listed, not moved
    assert gone["__typename"] == "DisableUserSuccess" and gone["user"]["active"] is False
    assert gone["revokedApiKeys"] == 1 and gone["openTaskCount"] == 1
    assert gone["openTasks"] == [{"name": "Review 甲", "status": "CLAIMED"}]
    assert gone["managedCustomerCount"] == 2
    assert gone["managedCustomers"]["totalCount"] == 2
    assert (await Customer.filter(account_manager_id=am1.id).count()) == 2
    # and their token and API key stop working at the next request
    for headers in (session, {"X-API-Key": key}):
        gql.headers = headers
        refused = await gql("{ me { username } }")
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    # when the administrator hands the customers to am2 and the task back to the pool
    gql.headers = admin
    moved = (await gql.data(REASSIGN, input={"fromUser": to_global_id("User", am1.id),
             "toUser": to_global_id("User", am2.id)}))["reassignCustomers"]  # fmt: skip
    back = (await gql.data(UNCLAIM, id=task_id))["unclaimTask"]

    # then am2 sees the customers and can claim the task; am1, enabled again, sees none
    assert moved == {"__typename": "ReassignCustomersSuccess", "movedCount": 2,
                     "remainingCount": 0, "toUser": {"username": "am2"}}  # fmt: skip
    assert back["task"] == {"status": "OPEN", "assignee": None}
    assert back["previousAssignee"] == {"username": "am1"}
    gql.headers = am2_session
    assert _names(await gql.data(MY_CUSTOMERS)) == {"甲", "乙"}
    assert (await gql.data(CLAIM, id=task_id))["claimTask"]["task"]["status"] == "CLAIMED"
    gql.headers = admin
    enabled = await gql.data(
        """mutation ($u: ID!) { enableUser(input: {userId: $u}) {
           ... on EnableUserSuccess { user { active } } } }""",
        u=to_global_id("User", am1.id),
    )
    assert enabled["enableUser"]["user"]["active"] is True
    await gql.login("am1")
    assert _names(await gql.data(MY_CUSTOMERS)) == set()
    # each customer's move is in the audit log with its before and after
    entries = await AuditEntry.filter(action="customer.reassign").order_by("object_id")
    assert len(entries) == 2 and entries[0].username == "root"
    assert entries[0].before == {"account_manager_id": am1.id}
    assert entries[0].after == {"account_manager_id": am2.id}
    assert await AuditEntry.filter(action="task.unclaim").count() == 1


async def test_reassignment_needs_an_active_manager_and_the_given_customers(
    gql: GraphQLClient,
) -> None:
    am1 = await User.create(username="am1", roles=["account_manager"])
    col = await User.create(username="col1", roles=["collector"])
    off = await User.create(username="am3", roles=["account_manager"], is_active=False)
    lead = await User.create(username="lead1", roles=["team_lead"])
    mine = await factories.customer("甲", account_manager_id=am1.id)
    other = await factories.customer("丙")
    ids = {u.username: to_global_id("User", u.id) for u in (am1, col, off, lead)}

    async def reassign(to: str, customers: list[Customer] | None = None) -> dict:
        given = {"fromUser": ids["am1"], "toUser": ids[to]}
        if customers is not None:
            given["customerIds"] = [to_global_id("Customer", c.id) for c in customers]
        return (await gql.data(REASSIGN, input=given))["reassignCustomers"]

    assert (await reassign("col1"))["fields"] == [{"field": "toUser",
        "message": "col1 is neither an account manager nor a team lead"}]  # fmt: skip
    assert (await reassign("am3"))["fields"] == [{"field": "toUser", "message": "am3 is disabled"}]
    refused = await reassign("lead1", [mine, other])
    assert refused["__typename"] == "ValidationError"
    assert refused["fields"][0]["field"] == "customerIds"
    assert await Customer.get(id=mine.id).values_list("account_manager_id", flat=True) == am1.id
    moved = await reassign("lead1", [mine])
    assert moved["movedCount"] == 1 and moved["toUser"] == {"username": "lead1"}


async def test_an_administrator_cannot_disable_their_own_account(gql: GraphQLClient) -> None:
    root = await User.get(username="root")
    itself = (await gql.data(DISABLE, id=to_global_id("User", root.id)))["disableUser"]
    assert itself == {"__typename": "ConflictError", "code": "CONFLICT",
                      "message": "you cannot disable your own account"}  # fmt: skip
    assert (await User.get(id=root.id)).is_active


async def test_only_the_assignee_or_an_administrator_unclaims(gql: GraphQLClient) -> None:
    admin = dict(gql.headers)
    am1 = await gql.as_user("am1", ["account_manager"])
    task = await _review_task(await factories.customer("甲", account_manager_id=am1.id))
    task_id = to_global_id("Task", task.id)
    await gql.data(CLAIM, id=task_id)
    # another account manager cannot reach am1's task
    await gql.as_user("am2", ["account_manager"])
    assert (await gql.data(UNCLAIM, id=task_id))["unclaimTask"]["__typename"] == "NotFoundError"
    # the assignee can give it back; unclaiming an open task is a conflict
    await gql.login("am1")
    mine = (await gql.data(UNCLAIM, id=task_id))["unclaimTask"]
    assert mine["task"] == {"status": "OPEN", "assignee": None}
    again = (await gql.data(UNCLAIM, id=task_id))["unclaimTask"]
    assert again["__typename"] == "ConflictError"
    gql.headers = admin
    assert (await WorkTask.get(id=task.id)).status == WorkTaskStatus.OPEN
