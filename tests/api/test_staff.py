"""Staff accounts over GraphQL: administrators create, change and reset them; users change
their own password; a provisional sign-in can do nothing else."""

from datetime import timedelta
from typing import Any

import pytest

from api.relay import to_global_id
from domain.access.models import AuditEntry
from domain.user.models import User
from tests.api.conftest import PASSWORD, GraphQLClient
from tests.authz.support import cheap_hashing

__all__ = ["cheap_hashing"]  # argon2 at a test-friendly cost in this module too

CREATE = """mutation ($input: CreateUserInput!) { createUser(input: $input) {
    __typename ... on UserError { code message }
    ... on ValidationError { fields { field message } }
    ... on CreateUserSuccess { temporaryPassword passwordExpiresAt
        user { id username displayName roles team email active mustChangePassword } } } }"""
LOGIN = """mutation ($u: String!, $p: String!) { login(input: {username: $u, password: $p}) {
    __typename ... on UserError { code message }
    ... on LoginSuccess { token mustChangePassword user { username } } } }"""
CHANGE = """mutation ($old: String!, $new: String!) {
    changePassword(input: {oldPassword: $old, newPassword: $new}) {
    __typename ... on UserError { code message }
    ... on ValidationError { fields { field message } }
    ... on ChangePasswordSuccess { token user { username mustChangePassword } } } }"""
RESET = """mutation ($id: ID!) { resetPassword(input: {userId: $id}) {
    __typename ... on UserError { code message }
    ... on ResetPasswordSuccess { temporaryPassword expiresAt user { mustChangePassword } } } }"""
NEW_SECRET = "my own long secret"


async def _login(gql: GraphQLClient, username: str, password: str) -> dict[str, Any]:
    gql.headers = {}
    result: dict[str, Any] = (await gql.data(LOGIN, u=username, p=password))["login"]
    if result["__typename"] == "LoginSuccess":
        gql.headers = {"Authorization": f"Bearer {result['token']}"}
    return result


async def test_a_new_account_manager_signs_in_changes_the_temporary_password_and_works(
    gql: GraphQLClient,
) -> None:
    # given an administrator who creates an account manager without choosing a password
    made = (await gql.data(CREATE, input={"username": "am9", "roles": ["account_manager"],
            "fullName": "林晓", "team": "east", "email": "lin@bank.example"}))["createUser"]  # fmt: skip
    assert made["__typename"] == "CreateUserSuccess"
    temporary = made["temporaryPassword"]
    assert len(temporary) >= 12 and made["user"]["mustChangePassword"] is True
    assert made["user"]["displayName"] == "林晓" and made["user"]["active"] is True
    # when the new user signs in with it
    signed_in = await _login(gql, "am9", temporary)
    # then the token only lets them read themselves and change the password
    assert signed_in["__typename"] == "LoginSuccess" and signed_in["mustChangePassword"] is True
    restricted = dict(gql.headers)
    assert (await gql.data("{ me { username mustChangePassword } }"))["me"] == {
        "username": "am9", "mustChangePassword": True,
    }  # fmt: skip
    refused = await gql("{ customers { totalCount } }")
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "PASSWORD_CHANGE_REQUIRED"
    sneaky = await gql("query { ...F } fragment F on Query { customers { totalCount } }")
    assert sneaky["errors"][0]["extensions"]["code"] == "PASSWORD_CHANGE_REQUIRED"
    # a weak new password is refused with the rule
    weak = (await gql.data(CHANGE, old=temporary, new="short"))["changePassword"]
    assert weak["__typename"] == "ValidationError"
    assert {"field": "newPassword", "message": "must be at least 12 characters"} in weak["fields"]
    changed = (await gql.data(CHANGE, old=temporary, new=NEW_SECRET))["changePassword"]
    assert changed["__typename"] == "ChangePasswordSuccess"
    assert changed["user"]["mustChangePassword"] is False
    # the new token works with the full roles; the restricted one no longer works at all
    gql.headers = {"Authorization": f"Bearer {changed['token']}"}
    assert (await gql.data("{ customers { totalCount } }"))["customers"]["totalCount"] == 0
    gql.headers = restricted
    assert (await gql("{ me { username } }"))["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )
    assert (await _login(gql, "am9", temporary))["__typename"] == "LoginError"
    assert (await _login(gql, "am9", NEW_SECRET))["mustChangePassword"] is False


async def test_an_initial_password_is_checked_and_must_be_changed(gql: GraphQLClient) -> None:
    weak = (await gql.data(CREATE, input={"username": "risk9", "roles": ["risk_officer", "boss"],
            "password": "risk9-2026-x"}))["createUser"]  # fmt: skip
    assert weak["__typename"] == "ValidationError"
    messages = {f["field"]: f["message"] for f in weak["fields"]}
    assert messages["password"] == "must not contain the username"
    assert messages["roles"].startswith("unknown role 'boss'; known roles: account_manager, admin")
    made = (await gql.data(CREATE, input={"username": "risk9", "roles": ["risk_officer"],
            "password": "chosen by admin 1"}))["createUser"]  # fmt: skip
    assert made["temporaryPassword"] is None and made["user"]["mustChangePassword"] is True
    taken = await gql.data(CREATE, input={"username": "RISK9", "roles": ["risk_officer"]})
    assert taken["createUser"]["__typename"] == "ConflictError"
    assert (await _login(gql, "risk9", "chosen by admin 1"))["mustChangePassword"] is True


async def test_a_reset_password_works_once_and_expires(gql: GraphQLClient) -> None:
    # given an account manager who is signed in
    admin = dict(gql.headers)
    am = await gql.as_user("am1", ["account_manager"])
    session = dict(gql.headers)
    gql.headers = admin
    # when an administrator resets their password
    reset = (await gql.data(RESET, id=to_global_id("User", am.id)))["resetPassword"]
    assert reset["__typename"] == "ResetPasswordSuccess"
    assert reset["user"]["mustChangePassword"] is True
    # then their session ends, the old password is gone, and the temporary one signs in once
    gql.headers = session
    assert (await gql("{ me { username } }"))["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )
    assert (await _login(gql, "am1", PASSWORD))["code"] == "UNAUTHENTICATED"
    assert (await _login(gql, "am1", reset["temporaryPassword"]))["mustChangePassword"] is True
    again = await _login(gql, "am1", reset["temporaryPassword"])
    assert again["code"] == "PASSWORD_EXPIRED" and "ask an administrator" in again["message"]
    # a second reset, left unused past its lifetime, has expired
    gql.headers = admin
    second = (await gql.data(RESET, id=to_global_id("User", am.id)))["resetPassword"]
    stored = await User.get(id=am.id)
    assert stored.password_changed_at is not None
    await User.filter(id=am.id).update(password_changed_at=stored.password_changed_at -
                                       timedelta(hours=25))  # fmt: skip
    late = await _login(gql, "am1", second["temporaryPassword"])
    assert late["code"] == "PASSWORD_EXPIRED"


USERS = """query ($filter: UserFilter, $first: Int, $after: String) {
    users(filter: $filter, first: $first, after: $after) { totalCount
    pageInfo { hasNextPage endCursor } edges { node { username lastLoginAt manager { username } } } } }"""


async def test_the_directory_filters_pages_and_shows_sign_ins_only_to_administrators(
    gql: GraphQLClient,
) -> None:
    lead = await User.create(username="lead1", roles=["team_lead"], team="east", full_name="Zhou")
    await User.create(username="am1", roles=["account_manager"], team="east", manager=lead)
    await User.create(username="am2", roles=["account_manager"], team="west", email="x@b.cn")
    await User.create(username="old", roles=["account_manager"], team="east", is_active=False)

    async def names(**variables: Any) -> list[str]:
        found = (await gql.data(USERS, **variables))["users"]
        return [e["node"]["username"] for e in found["edges"]]

    assert await names(filter={"role": "account_manager", "active": True}) == ["am1", "am2"]
    assert await names(filter={"team": "east"}) == ["lead1", "am1", "old"]
    assert await names(filter={"search": "zho"}) == ["lead1"]
    assert await names(filter={"search": "B.CN"}) == ["am2"]
    first = (await gql.data(USERS, first=2))["users"]
    assert first["totalCount"] == 5 and first["pageInfo"]["hasNextPage"]
    rest = await names(first=2, after=first["pageInfo"]["endCursor"])
    assert rest == ["am1", "am2"]
    root = (await gql.data(USERS, filter={"role": "admin"}))["users"]["edges"][0]["node"]
    assert root["lastLoginAt"] is not None  # the administrator signed in
    manager = (await gql.data(USERS, filter={"search": "am1"}))["users"]["edges"][0]["node"]
    assert manager["manager"] == {"username": "lead1"}
    # colleagues see the directory, but not when others signed in
    await gql.as_user("cs1", ["customer_service"])
    seen = (await gql.data(USERS, filter={"role": "admin"}))["users"]["edges"][0]["node"]
    assert seen["lastLoginAt"] is None


UPDATE = """mutation ($input: UpdateUserInput!) { updateUser(input: $input) {
    __typename ... on UserError { code message } ... on ValidationError { fields { field message } }
    ... on UpdateUserSuccess { user { fullName email branch team manager { username } } } } }"""


async def test_an_administrator_changes_an_account_and_the_change_is_audited(
    gql: GraphQLClient,
) -> None:
    lead = await User.create(username="lead1", roles=["team_lead"])
    am = await User.create(username="am1", roles=["account_manager"], branch="north")
    ids = {"am": to_global_id("User", am.id), "lead": to_global_id("User", lead.id)}
    changed = (await gql.data(UPDATE, input={"userId": ids["am"], "fullName": "王一",
               "team": "east", "branch": None, "managerId": ids["lead"]}))["updateUser"]  # fmt: skip
    assert changed["user"] == {"fullName": "王一", "email": None, "branch": None, "team": "east",
                               "manager": {"username": "lead1"}}  # fmt: skip
    cycle = await gql.data(UPDATE, input={"userId": ids["lead"], "managerId": ids["am"]})
    assert cycle["updateUser"]["fields"] == [
        {"field": "managerId", "message": "would make a cycle of managers"}
    ]
    bad = await gql.data(UPDATE, input={"userId": ids["am"], "email": "not-an-email"})
    assert bad["updateUser"]["fields"] == [{"field": "email", "message": "is not an email address"}]
    entry = await AuditEntry.get(action="user.update")
    assert entry.username == "root" and entry.object_id == str(am.id)
    assert entry.before == {"full_name": "", "branch": "north", "team": None, "manager_id": None}
    assert entry.after == {"full_name": "王一", "branch": None, "team": "east",
                           "manager_id": lead.id}  # fmt: skip


@pytest.mark.parametrize(
    "operation",
    [
        'createUser(input: {username: "x1", roles: ["admin"]})',
        'updateUser(input: {userId: "$ID", fullName: "x"})',
        'disableUser(input: {userId: "$ID"})',
        'enableUser(input: {userId: "$ID"})',
        'resetPassword(input: {userId: "$ID"})',
        'reassignCustomers(input: {fromUser: "$ID", toUser: "$ID"})',
    ],
)
async def test_other_roles_may_not_administer_accounts(gql: GraphQLClient, operation: str) -> None:
    victim = await User.create(username="victim", roles=["admin"])
    await gql.as_user("am1", ["account_manager"])
    field = operation.replace("$ID", to_global_id("User", victim.id))
    result = await gql.data(
        f"mutation {{ r: {field} {{ __typename ... on UserError {{ code }} }} }}"
    )
    assert result["r"] == {"__typename": "ForbiddenError", "code": "FORBIDDEN"}
    assert (await User.get(id=victim.id)).is_active


async def test_audit_entries_of_account_changes_hold_no_secret(gql: GraphQLClient) -> None:
    made = await gql.data(CREATE, input={"username": "am9", "roles": ["account_manager"]})
    user_id = made["createUser"]["user"]["id"]
    reset = (await gql.data(RESET, id=user_id))["resetPassword"]["temporaryPassword"]
    await _login(gql, "am9", reset)
    assert (await gql.data(CHANGE, old=reset, new=NEW_SECRET))["changePassword"]["token"]
    entries = await AuditEntry.filter(object_type="user").order_by("id")
    assert [e.action for e in entries] == [
        "user.create", "user.reset_password", "user.change_password",
    ]  # fmt: skip
    assert [e.username for e in entries] == ["root", "root", "am9"]
    text = " ".join(f"{e.before} {e.after}" for e in entries)
    secrets_ = [made["createUser"]["temporaryPassword"], reset, NEW_SECRET, "argon2"]
    assert not [s for s in secrets_ if s in text]
    assert entries[0].after is not None and entries[0].after["roles"] == ["account_manager"]


async def test_a_breached_password_is_refused(
    gql: GraphQLClient, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    listed = sorted(hashlib.sha1(p.encode()).hexdigest().upper() for p in
                    ("Spring-2026-ok", "Qwerty-12345!", "another one 9"))  # fmt: skip
    corpus = tmp_path / "breached.txt"
    corpus.write_text("".join(f"{d}:42\n" for d in listed), encoding="ascii")
    monkeypatch.setenv("LENDGRAPH_PASSWORD_BREACHED_FILE", str(corpus))
    refused = (await gql.data(CREATE, input={"username": "am7", "roles": ["account_manager"],
               "password": "Qwerty-12345!"}))["createUser"]  # fmt: skip
    assert refused["fields"] == [{"field": "password",
        "message": "appears in a list of breached passwords: choose another"}]  # fmt: skip
    made = (await gql.data(CREATE, input={"username": "am7", "roles": ["account_manager"],
            "password": "Qwerty-12345?"}))["createUser"]  # fmt: skip
    assert made["__typename"] == "CreateUserSuccess"
