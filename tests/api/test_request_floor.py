"""What every request pays before its resolvers run, and that paying less weakens nothing.

An authenticated request reads its caller and the policy version in one statement; its
loaders are made when a resolver first asks for one, each still limited to the caller's rows.
"""

import os
import re
from datetime import date
from pathlib import Path

import asyncpg
import pytest
from tortoise import connections
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from api.loaders import Loaders
from api.relay import to_global_id
from domain.access import policy
from domain.db import is_postgres
from domain.loan.models import Loan
from domain.loan.service import refresh_delinquency
from domain.statements import count_statements
from domain.user.models import User
from tests import factories
from tests.api.conftest import GraphQLClient, password_hash
from tests.conftest import TODAY

ME = "{ me { username roles } }"
CUSTOMERS = "{ customers { totalCount } }"
ROOT = Path(__file__).resolve().parents[2]


async def test_an_authenticated_trivial_request_costs_one_statement(
    anonymous: GraphQLClient,
) -> None:
    # given an account manager signed in (the policy is loaded by then)
    await anonymous.as_user("am1", ["account_manager"])
    # when they ask for the schema's type name, then for themselves
    with count_statements() as trivial:
        assert await anonymous.data("{ __typename }") == {"__typename": "Query"}
    with count_statements() as me:
        assert await anonymous.data(ME) == {"me": {"username": "am1", "roles": ["account_manager"]}}
    # then each reads the database once: the caller's row with the policy version beside it
    assert trivial.count == 1, trivial.statements
    assert "policy_version" in trivial.statements[0] and '"app_user"' in trivial.statements[0]
    assert me.count == 1, me.statements
    # and a caller who is not signed in still reads only the policy version
    anonymous.headers = {}
    with count_statements() as unauthenticated:
        await anonymous.data("{ __typename }")
    assert unauthenticated.count == 1, unauthenticated.statements


async def test_a_token_is_refused_once_its_user_is_disabled_or_signed_out(
    anonymous: GraphQLClient,
) -> None:
    # given a signed-in account manager whose token works
    user = await anonymous.as_user("am1", ["account_manager"])
    assert (await anonymous.data(ME))["me"]["username"] == "am1"
    # when an administrator disables the account
    await User.filter(id=user.id).update(is_active=False)
    disabled = await anonymous(ME)
    # then the same token is refused at its next request
    assert disabled["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in disabled["errors"]] == [
        ("the token's user is unknown or disabled", "UNAUTHENTICATED")
    ]
    # and after "sign out everywhere" (a new token version) it stays refused, even re-enabled
    await User.filter(id=user.id).update(is_active=True, token_version=F("token_version") + 1)
    revoked = await anonymous(ME)
    assert [e["message"] for e in revoked["errors"]] == ["the token has been revoked"]
    # while a token of a user who no longer exists is refused as unknown
    await anonymous.login("am1")
    await User.filter(id=user.id).delete()
    gone = await anonymous(ME)
    assert [e["message"] for e in gone["errors"]] == ["the token's user is unknown or disabled"]


async def test_grants_and_roles_changed_in_the_database_apply_at_the_next_request(
    anonymous: GraphQLClient,
) -> None:
    # given an analyst, who may read no customer, and one customer they manage
    user = await anonymous.as_user("ana", ["analyst"])
    await factories.customer("甲一", account_manager_id=user.id)
    refused = await anonymous(CUSTOMERS)
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    # when another process grants analysts every customer (the policy version moves on)
    await policy.add_rule("p", ("analyst", "customer", "read", "all"))
    # then the next request of this process sees them
    assert (await anonymous.data(CUSTOMERS))["customers"]["totalCount"] == 1
    # and the grant withdrawn, the next request is refused again
    await policy.remove_rule("p", ("analyst", "customer", "read", "all"))
    again = await anonymous(CUSTOMERS)
    assert [e["extensions"]["code"] for e in again["errors"]] == ["FORBIDDEN"]
    # and a role given in the database (no policy change) counts at the next request
    await User.filter(id=user.id).update(roles=["account_manager"])
    assert (await anonymous.data(CUSTOMERS))["customers"]["totalCount"] == 1


async def test_loaders_made_on_demand_keep_other_rows_out_of_reach(
    anonymous: GraphQLClient,
) -> None:
    # given am2's customer with two past-due loans, one assigned to collector col1, and am1's
    # customer with a loan
    am1 = await factories.user("am1")
    am2 = await factories.user("am2")
    col1 = await factories.user("col1", ["collector"])
    theirs = await factories.customer("乙二", account_manager_id=am2.id)
    assigned = await factories.loan(theirs, disbursed_on=date(2026, 1, 15))
    other = await factories.loan(theirs, disbursed_on=date(2026, 2, 15))
    await Loan.filter(id=assigned.id).update(collector_id=col1.id)
    mine = await factories.customer("甲一", account_manager_id=am1.id)
    own_loan = await factories.loan(mine)
    await refresh_delinquency(TODAY)
    walk = """query ($id: ID!) { loan(id: $id) { id customer { id name loans { id } } } }"""
    by_id = "query ($id: ID!) { customer(id: $id) { id loans { id } } }"
    await User.filter(id__in=(am1.id, col1.id)).update(password_hash=password_hash())
    # when the collector walks from their loan to its customer and back to the loans
    await anonymous.login("col1")
    seen = (await anonymous.data(walk, id=to_global_id("Loan", assigned.id)))["loan"]
    # then the customer shows, with only the loan assigned to them
    assert seen["customer"]["id"] == to_global_id("Customer", theirs.id)
    assert [x["id"] for x in seen["customer"]["loans"]] == [to_global_id("Loan", assigned.id)]
    assert (await anonymous.data(walk, id=to_global_id("Loan", other.id)))["loan"] is None
    # when am1 asks for am2's customer, by id or through its loan
    await anonymous.login("am1")
    theirs_id = to_global_id("Customer", theirs.id)
    assert (await anonymous.data(by_id, id=theirs_id))["customer"] is None
    assert (await anonymous.data(walk, id=to_global_id("Loan", assigned.id)))["loan"] is None
    # then nothing, while their own customer comes with its loan
    own = (await anonymous.data(by_id, id=to_global_id("Customer", mine.id)))["customer"]
    assert [x["id"] for x in own["loans"]] == [to_global_id("Loan", own_loan.id)]


def test_a_loader_and_its_row_filter_are_made_once_and_only_when_asked_for() -> None:
    # given request loaders whose row filters are counted as they are made
    asked: list[str] = []

    def scope_of(obj: str) -> Q:
        asked.append(obj)
        return Q(id__in=[])

    loaders = Loaders(scope_of)
    # when nothing asks for a loader, no filter is made
    assert asked == []
    # when two loaders of loans are asked for, twice each
    first = loaders.loan
    assert loaders.loan is first
    assert loaders.loans_by_customer is loaders.loans_by_customer
    # then the loan filter was made once, and no other
    assert asked == ["loan"]


@pytest.mark.skipif(
    not is_postgres(os.environ.get("DATABASE_URL") or "sqlite://x"),
    reason="PostgreSQL's connection pool",
)
async def test_pooled_connections_are_given_back_without_a_reset_and_keep_nothing(db: str) -> None:
    client = connections.get("default")
    # given a transaction that held a contact lock and a local setting
    async with in_transaction() as tx:
        await tx.execute_script("SET LOCAL lock_timeout = '123ms'")
        await tx.execute_query("SELECT pg_advisory_xact_lock($1, $2)", [7301, 42])
    # when statements run on the pool afterwards, on whichever connection it gives
    for _ in range(6):
        _, rows = await client.execute_query(
            "SELECT current_setting('lock_timeout') AS wait, current_setting('jit') AS jit, "
            "(SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
            "AND pid = pg_backend_pid()) AS locks"
        )
        # then the connection's own settings hold and the transaction left nothing behind
        assert (rows[0]["wait"], rows[0]["jit"], rows[0]["locks"]) == ("0", "off", 0)
    # and an idle connection's last statement is the application's, not a reset after it
    _, rows = await client.execute_query("SELECT pg_backend_pid() AS pid, 'floor' AS marker")
    observer = await asyncpg.connect(db.replace("postgres://", "postgresql://", 1))
    try:
        last = await observer.fetchval(
            "SELECT query FROM pg_stat_activity WHERE pid = $1", rows[0]["pid"]
        )
    finally:
        await observer.close()
    assert "'floor' AS marker" in last


def test_no_statement_leaves_session_state_on_a_pooled_connection() -> None:
    """The pool gives connections back without RESET ALL, UNLISTEN or unlocking (domain.db):
    settings must be SET LOCAL, advisory locks transaction-level, LISTEN on its own connection.
    """
    session_set = re.compile(r"""["']\s*SET\s+(?!LOCAL\b)(SESSION\s+)?[a-z_]+\s*(=|TO\b)""")
    session_lock = re.compile(r"pg_(try_)?advisory_lock(_shared)?\s*\(", re.I)
    held = re.compile(r"\bWITH\s+HOLD\b", re.I)
    listens = re.compile(r"\badd_listener\s*\(|['\"]LISTEN\s", re.I)
    found = []
    for package in ("api", "authz", "bpmn", "domain"):
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            name = path.relative_to(ROOT).as_posix()
            if session_set.search(text) or session_lock.search(text) or held.search(text):
                found.append(name)
            if listens.search(text) and name != "domain/process/events.py":
                found.append(name)
    assert found == []
