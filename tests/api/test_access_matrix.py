"""Every role against every operation, on rows inside and outside its scope.

A hand-built portfolio: am1 and am2 are in team east with lead1, am3 in team west. Customer
c1 belongs to am1, c2 to am2, c3 to am3. Loans l1 (c1) and l3 (c3) are past due, assigned to
collector col1 and col2; l2 (c2) is current.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from api.relay import to_global_id
from domain.loan.models import Loan
from domain.user.models import User
from tests import factories
from tests.api.conftest import GraphQLClient, password_hash

ROLES = {
    "admin": ["admin"],
    "risk": ["risk_officer"],
    "am1": ["account_manager"],
    "lead1": ["team_lead"],
    "col1": ["collector"],
    "cs": ["customer_service"],
    "auditor": ["auditor"],
    "analyst": ["analyst"],
}
ALL = {"c1", "c2", "c3"}
SEES_CUSTOMERS: dict[str, set[str] | None] = {
    "admin": ALL, "risk": ALL, "am1": {"c1"}, "lead1": {"c1", "c2"}, "col1": {"c1"},
    "cs": ALL, "auditor": ALL, "analyst": None,
}  # fmt: skip
SEES_LOANS: dict[str, set[str] | None] = {
    "admin": {"l1", "l2", "l3"}, "risk": {"l1", "l2", "l3"}, "am1": {"l1"},
    "lead1": {"l1", "l2"}, "col1": {"l1"}, "cs": {"l1", "l2", "l3"},
    "auditor": {"l1", "l2", "l3"}, "analyst": None,
}  # fmt: skip
UNMASKED = {"admin", "risk"}


@pytest.fixture(params=["on", "off"], ids=["compiled", "loaders"], autouse=True)
def compiled_reads(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every case twice: root fields compiled to one statement where they can be, and not."""
    monkeypatch.setenv("LENDGRAPH_COMPILED_READS", request.param)
    return str(request.param)


@dataclass
class World:
    ids: dict[str, str]
    gql: GraphQLClient


@pytest.fixture
async def world(anonymous: GraphQLClient, shipped_processes: str) -> World:
    users: dict[str, User] = {}
    for name, roles in ROLES.items():
        team = "east" if name in ("am1", "lead1") else None
        users[name] = await User.create(username=name, roles=roles, team=team,
                                        password_hash=password_hash())  # fmt: skip
    am2 = await User.create(username="am2", roles=["account_manager"], team="east")
    am3 = await User.create(username="am3", roles=["account_manager"], team="west")
    col2 = await User.create(username="col2", roles=["collector"])
    c1 = await factories.customer("甲一", phone="13800000001", id_number="11010519491231002X",
                                  account_manager_id=users["am1"].id)  # fmt: skip
    c2 = await factories.customer("乙二", phone="13800000002", account_manager_id=am2.id)
    c3 = await factories.customer("丙三", phone="13800000003", account_manager_id=am3.id)
    l1 = await factories.loan(c1, disbursed_on=date(2026, 1, 15))
    l2 = await factories.loan(c2, disbursed_on=date(2026, 6, 1))
    l3 = await factories.loan(c3, disbursed_on=date(2026, 1, 15))
    await Loan.filter(id=l1.id).update(collector_id=users["col1"].id)
    await Loan.filter(id=l3.id).update(collector_id=col2.id)
    from domain.loan.service import refresh_delinquency

    await refresh_delinquency(date(2026, 6, 15))
    ids = {"c1": to_global_id("Customer", c1.id), "c2": to_global_id("Customer", c2.id),
           "c3": to_global_id("Customer", c3.id), "l1": to_global_id("Loan", l1.id),
           "l2": to_global_id("Loan", l2.id), "l3": to_global_id("Loan", l3.id)}  # fmt: skip
    return World(ids, anonymous)


def _names(ids: dict[str, str], found: list[str]) -> set[str]:
    back = {v: k for k, v in ids.items()}
    return {back[f] for f in found}


@pytest.mark.parametrize("role", list(ROLES))
async def test_reads_are_scoped_on_every_path(world: World, role: str) -> None:
    gql, ids = world.gql, world.ids
    await gql.login(role)
    expected_customers, expected_loans = SEES_CUSTOMERS[role], SEES_LOANS[role]
    listing = await gql(
        "{ customers { totalCount edges { node { id } } } loans { totalCount edges { node { id } } } }"
    )
    if expected_customers is None:
        assert listing["data"] is None
        assert {e["extensions"]["code"] for e in listing["errors"]} == {"FORBIDDEN"}
        expected_customers, expected_loans = set(), set()
    else:
        customers = listing["data"]["customers"]
        loans = listing["data"]["loans"]
        assert _names(ids, [e["node"]["id"] for e in customers["edges"]]) == expected_customers
        assert customers["totalCount"] == len(expected_customers)
        assert _names(ids, [e["node"]["id"] for e in loans["edges"]]) == expected_loans
        assert loans["totalCount"] == len(expected_loans)
    # by id, through node (also on the wrong type), and through aliases of the same object
    for key in ("c1", "c2", "c3"):
        body = await gql(
            """query ($id: ID!) { a: customer(id: $id) { id } b: node(id: $id) { id }
               c: loan(id: $id) { id } }""", id=ids[key])  # fmt: skip
        one = body["data"]
        visible = key in expected_customers
        assert (one["a"] is not None, one["b"] is not None) == (visible, visible), key
        assert one["c"] is None  # a customer's id is refused as a loan id, visible or not
        assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
            (["c"], "VALIDATION")
        ]
    for key in ("l1", "l2", "l3"):
        one = await gql.data(
            "query ($id: ID!) { loan(id: $id) { id } node(id: $id) { id } }", id=ids[key]
        )
        assert (one["loan"] is not None) == (key in expected_loans) == (one["node"] is not None)
    # walking from an allowed loan to its customer and back never reaches a forbidden loan
    if "l1" in expected_loans:
        walk = await gql.data(
            "query ($id: ID!) { loan(id: $id) { customer { id loans { id } } } }", id=ids["l1"]
        )
        assert walk["loan"]["customer"]["id"] == ids["c1"]
        assert _names(ids, [x["id"] for x in walk["loan"]["customer"]["loans"]]) <= expected_loans


@pytest.mark.parametrize("role", [r for r in ROLES if SEES_CUSTOMERS[r]])
async def test_sensitive_fields_are_masked_without_the_right(world: World, role: str) -> None:
    gql = world.gql
    await gql.login(role)
    data = await gql.data(
        "query ($id: ID!) { customer(id: $id) { phone idNumber } }", id=world.ids["c1"]
    )
    if role in UNMASKED:
        assert data["customer"] == {"phone": "13800000001", "idNumber": "11010519491231002X"}
    else:
        assert data["customer"] == {"phone": "138****0001", "idNumber": "110105********002X"}
        # and the hidden digits cannot be found by searching
        probe = await gql('{ customers(filter: {search: "13800000001"}) { totalCount } }')
        assert probe["errors"][0]["extensions"]["code"] == "VALIDATION"
        middle = await gql.data('{ customers(filter: {search: "0000"}) { totalCount } }')
        assert middle["customers"]["totalCount"] == 0  # hidden digits match nothing
        last = await gql.data('{ customers(filter: {search: "0001"}) { totalCount } }')
        assert last["customers"]["totalCount"] == 1  # the visible last four still find c1


UPDATE = """mutation ($id: ID!) { updateCustomer(input: {id: $id, email: "new@example.com"}) {
    __typename } }"""
PAY = """mutation ($id: ID!, $key: String!) { postPayment(input: {loanId: $id, amount: "100.00",
    paidAt: "2026-06-10T02:00:00Z", idempotencyKey: $key}) { __typename } }"""
MOVE = """mutation { setBusinessDate(input: {date: "2026-06-16"}) { __typename } }"""
NOTE = """mutation ($id: ID!) { recordInteraction(input: {customerId: $id, channel: PHONE,
    direction: OUTBOUND, type: CALL, text: "called"}) { __typename } }"""

WRITES: dict[str, dict[str, Any]] = {
    #        update c1, update c3,  pay l1,   pay l3,   business date, note on c1
    "admin": {"u1": "S", "u3": "S", "p1": "S", "p3": "S", "date": "S", "n1": "S"},
    "risk": {"u1": "F", "u3": "F", "p1": "F", "p3": "F", "date": "F", "n1": "S"},
    "am1": {"u1": "S", "u3": "N", "p1": "F", "p3": "F", "date": "F", "n1": "S"},
    "lead1": {"u1": "S", "u3": "N", "p1": "F", "p3": "F", "date": "F", "n1": "S"},
    "col1": {"u1": "F", "u3": "F", "p1": "S", "p3": "N", "date": "F", "n1": "S"},
    "cs": {"u1": "S", "u3": "S", "p1": "F", "p3": "F", "date": "F", "n1": "S"},
    "auditor": {"u1": "F", "u3": "F", "p1": "F", "p3": "F", "date": "F", "n1": "F"},
    "analyst": {"u1": "F", "u3": "F", "p1": "F", "p3": "F", "date": "F", "n1": "F"},
}
OUTCOME = {"S": "Success", "F": "ForbiddenError", "N": "NotFoundError"}


@pytest.mark.parametrize("role", list(ROLES))
async def test_writes_are_checked_per_operation_and_row(world: World, role: str) -> None:
    gql, ids = world.gql, world.ids
    await gql.login(role)
    seen = {
        "u1": (await gql.data(UPDATE, id=ids["c1"]))["updateCustomer"]["__typename"],
        "u3": (await gql.data(UPDATE, id=ids["c3"]))["updateCustomer"]["__typename"],
        "p1": (await gql.data(PAY, id=ids["l1"], key=f"{role}-1"))["postPayment"]["__typename"],
        "p3": (await gql.data(PAY, id=ids["l3"], key=f"{role}-3"))["postPayment"]["__typename"],
        "date": (await gql.data(MOVE))["setBusinessDate"]["__typename"],
        "n1": (await gql.data(NOTE, id=ids["c1"]))["recordInteraction"]["__typename"],
    }
    expected = {k: v.replace("S", "") for k, v in WRITES[role].items()}
    assert {k: OUTCOME[v] for k, v in WRITES[role].items()} == {
        k: ("Success" if v.endswith("Success") else v) for k, v in seen.items()
    }, expected


async def test_nothing_is_reachable_without_a_valid_token(world: World) -> None:
    gql = world.gql
    anonymous = await gql("{ customers { totalCount } }")
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert anonymous["data"] is None
    gql.headers = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.forged"}
    forged = await gql("{ businessDate }")
    assert forged["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # a disabled user's token stops working at once
    await gql.login("am1")
    assert (await gql.data("{ me { username } }"))["me"]["username"] == "am1"
    await User.filter(username="am1").update(is_active=False)
    replay = await gql("{ me { username } }")
    assert replay["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # and a wrong password gets one plain answer
    gql.headers = {}
    wrong = await gql.data(
        'mutation { login(input: {username: "admin", password: "nope"}) { __typename ... on LoginError { message } } }'
    )
    assert wrong["login"] == {"__typename": "LoginError", "message": "invalid username or password"}


async def test_role_changes_apply_at_the_next_request(world: World) -> None:
    gql, ids = world.gql, world.ids
    await gql.login("analyst")
    before = await gql("{ customers { totalCount } }")
    assert before["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await gql.login("admin")
    granted = await gql.data(
        'mutation { assignRole(input: {username: "analyst", role: "customer_service"}) { __typename ... on AssignRoleSuccess { user { roles } } } }'
    )
    assert granted["assignRole"]["user"]["roles"] == ["analyst", "customer_service"]
    await gql.login("analyst")
    after = await gql.data("{ customers { totalCount } }")
    assert after["customers"]["totalCount"] == 3
    assert ids  # the same portfolio throughout


CREATE = """mutation { createCustomer(input: {name: "新客户"}) { __typename } }"""
SUBMIT = """mutation ($id: ID!) { submitApplication(input: {customerId: $id, productCode: "CONSUMER",
    amount: "5000.00", termMonths: 12, channel: APP}) { __typename } }"""
DEFINE = """mutation ($n: String!) { defineCustomField(input: {name: $n, type: STRING}) { __typename } }"""
IMPORT = """mutation ($d: String!) { importRecords(input: {kind: CUSTOMERS, format: CSV, data: $d}) {
    __typename } }"""
ASSIGN = """mutation { assignRole(input: {username: "am2", role: "collector"}) { __typename } }"""
POLICY = """mutation { updatePolicy(input: {role: "analyst", object: "report", action: "read"}) {
    __typename } }"""
CORRELATE = """mutation { correlateMessage(input: {name: "payment_received", businessKey: "loan:0"}) {
    __typename } }"""
RETRY = """mutation { retryProcessInstance(input: {id: "UHJvY2Vzc0luc3RhbmNlOjk5OTk="}) {
    __typename } }"""  # ProcessInstance:9999
MIGRATE = """mutation { migrateProcessInstances(input: {processId: "none", dryRun: true}) {
    __typename } }"""
ONLY_ADMIN = {"define": "S", "import": "S", "assign": "S", "policy": "S", "correlate": "S",
              "retry": "NotFoundError"}  # fmt: skip
OTHER_WRITES: dict[str, dict[str, str]] = {
    "admin": {"create": "S", "submit": "S", **ONLY_ADMIN, "audit": "S"},
    "risk": {"create": "F", "submit": "F", "audit": "F"},
    "am1": {"create": "S", "submit": "S", "audit": "F"},
    "lead1": {"create": "S", "submit": "S", "audit": "F"},
    "col1": {"create": "F", "submit": "F", "audit": "F"},
    "cs": {"create": "F", "submit": "F", "audit": "F"},
    "auditor": {"create": "F", "submit": "F", "audit": "S"},
    "analyst": {"create": "F", "submit": "F", "audit": "F"},
}


@pytest.mark.parametrize("role", list(ROLES))
async def test_every_other_operation_per_role(world: World, role: str) -> None:
    gql, ids = world.gql, world.ids
    await gql.login(role)
    csv = f"source,external_id,name\nt,{role},导入\n"
    seen = {
        "create": (await gql.data(CREATE))["createCustomer"]["__typename"],
        "submit": (await gql.data(SUBMIT, id=ids["c1"]))["submitApplication"]["__typename"],
        "define": (await gql.data(DEFINE, n=f"f_{role}"))["defineCustomField"]["__typename"],
        "import": (await gql.data(IMPORT, d=csv))["importRecords"]["__typename"],
        "assign": (await gql.data(ASSIGN))["assignRole"]["__typename"],
        "policy": (await gql.data(POLICY))["updatePolicy"]["__typename"],
        "correlate": (await gql.data(CORRELATE))["correlateMessage"]["__typename"],
        "retry": (await gql.data(RETRY))["retryProcessInstance"]["__typename"],
        "migrate": (await gql.data(MIGRATE))["migrateProcessInstances"]["__typename"],
    }
    audit_read = await gql("{ auditLog(first: 1) { totalCount } }")
    seen["audit"] = (
        "Success" if "errors" not in audit_read else audit_read["errors"][0]["extensions"]["code"]
    )
    designers = ("admin", "analyst")  # processes: only they move instances between versions
    expected = {k: "F" for k in ONLY_ADMIN} | OTHER_WRITES[role]
    expected["migrate"] = "NotFoundError" if role in designers else "F"
    shown = {k: ("S" if v.endswith("Success") else "F" if v in ("ForbiddenError", "FORBIDDEN") else v)
             for k, v in seen.items()}  # fmt: skip
    assert shown == expected


async def test_introspection_needs_a_token_too(world: World) -> None:
    gql = world.gql
    body = await gql("{ __schema { queryType { name } } }")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    await gql.login("analyst")
    assert (await gql.data("{ __schema { queryType { name } } }"))["__schema"]["queryType"][
        "name"
    ] == "Query"
