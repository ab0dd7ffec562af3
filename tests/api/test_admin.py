"""Administration: the audit log, policies changed at runtime, API keys."""

from api.relay import to_global_id
from domain.user.models import User
from tests import factories
from tests.api.conftest import GraphQLClient, password_hash

AUDIT = """{ auditLog(first: 10) { totalCount edges { node { username action objectType objectId
    before after fieldsRead } } } }"""


async def test_changes_and_sensitive_reads_are_audited(gql: GraphQLClient) -> None:
    # given an admin who creates a customer, then reads their phone unmasked
    created = await gql.data("""mutation { createCustomer(input: {name: "审计", phone: "13912345678"}) {
        ... on CreateCustomerSuccess { customer { id phone } } } }""")
    # when an auditor reads the log
    await User.create(username="aud", roles=["auditor"], password_hash=password_hash())
    await gql.login("aud")
    log = (await gql.data(AUDIT))["auditLog"]
    # then both are there, newest first, with the phone masked for the auditor
    actions = [(e["node"]["username"], e["node"]["action"]) for e in log["edges"]]
    assert actions == [("root", "read_sensitive"), ("root", "customer.create")]
    assert log["edges"][0]["node"]["fieldsRead"] == ["phone"]
    assert log["edges"][1]["node"]["after"]["phone"] == "139****5678"
    assert created["createCustomer"]["customer"]["phone"] == "13912345678"


async def test_audit_log_is_closed_to_other_roles(gql: GraphQLClient) -> None:
    await gql.as_user("am", ["account_manager"])
    denied = await gql(AUDIT)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_policy_change_takes_effect_on_the_next_request(gql: GraphQLClient) -> None:
    # given an analyst who may not read customers
    await factories.customer("某人")
    await User.create(username="ana", roles=["analyst"], password_hash=password_hash())
    grant = """mutation { updatePolicy(input: {role: "analyst", object: "customer", action: "read",
        scope: "all"}) { __typename ... on UpdatePolicySuccess { rules { object action scope } } } }"""
    # when an admin grants it
    result = await gql.data(grant)
    # then the analyst sees customers at once
    assert {"object": "customer", "action": "read", "scope": "all"} in result["updatePolicy"][
        "rules"
    ]
    await gql.login("ana")
    assert (await gql.data("{ customers { totalCount } }"))["customers"]["totalCount"] == 1


async def test_api_key_authenticates_until_revoked(gql: GraphQLClient) -> None:
    # given an integration user and a key for it
    bot = await User.create(username="bank-feed", roles=["collector", "customer_service"])
    made = await gql.data(
        """mutation ($u: ID!) { createApiKey(input: {userId: $u, role: "customer_service", name: "feed"}) {
           __typename ... on CreateApiKeySuccess { keyId secret } } }""",
        u=to_global_id("User", bot.id),
    )
    key = made["createApiKey"]
    admin_headers = gql.headers
    # when the key is used
    gql.headers = {"X-API-Key": key["secret"]}
    me = await gql.data("{ me { username } }")
    # then it acts as its user; after revocation it no longer works
    assert me["me"]["username"] == "bank-feed"
    gql.headers = admin_headers
    await gql.data(
        "mutation ($k: ID!) { revokeApiKey(input: {keyId: $k}) { __typename } }", k=key["keyId"]
    )
    gql.headers = {"X-API-Key": key["secret"]}
    refused = await gql("{ me { username } }")
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
