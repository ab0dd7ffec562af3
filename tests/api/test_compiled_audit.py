"""The audit of unmasked reads on the compiled path: the same entries as the resolvers write,
written once, by nobody else than who may read unmasked, and no data without its audit.

On PostgreSQL the page's statement writes its audit itself (a data-modifying WITH); on SQLite
the request writes it after the statement, as for the resolvers.
"""

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from tortoise import connections

from api.relay import to_global_id
from domain import pgclient
from domain.access.models import AuditEntry
from domain.customer.models import Customer
from domain.db import is_postgres
from domain.statements import count_statements
from tests import factories
from tests.api.conftest import GraphQLClient, password_hash

PAGE = """{ customers(first: 10) { totalCount edges { node { id name phone idNumber
  loans { principal } } } pageInfo { hasNextPage endCursor } } }"""
ONE = """query ($id: ID!) { customer(id: $id) { name phone } }"""
PHONES = ["+86 138 0013 8000", None, "0086-139-1234-5678", "13912345678"]
ID_NUMBERS = ["110105 19491231 002X", "110105 19500101 0031", None, None]
POSTGRES = is_postgres(os.environ.get("DATABASE_URL") or "sqlite://x")
# what an entry says, but its id, its moment and its request (compared on their own)
SAID = ("action", "object_type", "object_id", "fields_read", "user_id", "username", "via",
        "ip", "user_agent", "before", "after")  # fmt: skip


async def _world() -> dict[str, int]:
    admin = await factories.user("admin", ["admin"], password_hash=password_hash())
    am1 = await factories.user("am1", ["account_manager"], password_hash=password_hash())
    ids = {"admin": admin.id, "am1": am1.id}
    for n, (phone, id_number) in enumerate(zip(PHONES, ID_NUMBERS, strict=True)):
        owner = await factories.customer(f"customer {n}", account_manager_id=am1.id)
        await Customer.filter(id=owner.id).update(phone=phone, id_number=id_number)
        if n == 0:
            await factories.loan(owner, principal="12000.50")
        ids[f"c{n}"] = owner.id
    nothing = await factories.customer("nothing shown", account_manager_id=am1.id)
    await Customer.filter(id=nothing.id).update(phone=None, id_number=None)
    return ids


async def _ask(gql: GraphQLClient, mode: str, query: str, **variables: Any) -> Any:
    os.environ["LENDGRAPH_COMPILED_READS"] = mode
    try:
        response = await gql.http.post("/graphql", json={"query": query, "variables": variables},
                                       headers={**gql.headers, "user-agent": "audit-test/1"})  # fmt: skip
    finally:
        del os.environ["LENDGRAPH_COMPILED_READS"]
    return response


async def _entries(after: int) -> list[AuditEntry]:
    return await AuditEntry.filter(action="read_sensitive", id__gt=after).order_by("object_id")


async def _last_id() -> int:
    last = await AuditEntry.all().order_by("-id").first()
    return last.id if last else 0


async def test_an_admins_compiled_page_is_audited_as_the_resolvers_audit_it(
    anonymous: GraphQLClient,
) -> None:
    # given
    ids = await _world()
    await anonymous.login("admin")
    said, requests = [], []
    for mode in ("off", "on"):
        # when
        start, before = datetime.now(UTC), await _last_id()
        with count_statements() as log:
            response = await _ask(anonymous, mode, PAGE)
        end = datetime.now(UTC)
        # then
        assert response.status_code == 200 and b'"errors"' not in response.content
        assert b"+86 138 0013 8000" in response.content  # unmasked
        entries = await _entries(before)
        said.append([tuple(getattr(e, n) for n in SAID) for e in entries])
        requests.append({e.request_id for e in entries})
        assert all(start <= e.at <= end for e in entries)
        if mode == "on":
            assert response.headers.get_list("x-lendgraph-compiled") == ["customers"]
            inserts = [s for s in log.statements if s.lstrip().upper().startswith("INSERT")]
            # PostgreSQL: inside the page's statement; SQLite: the request's own insert
            assert len(inserts) == (0 if POSTGRES else 1), log.statements
    assert said[0] == said[1]
    assert sorted((row[2], row[3]) for row in said[1]) == [
        (str(ids["c0"]), ["id_number", "phone"]), (str(ids["c1"]), ["id_number"]),
        (str(ids["c2"]), ["phone"]), (str(ids["c3"]), ["phone"]),
    ]  # fmt: skip
    assert {row[4:9] for row in said[1]} == {
        (ids["admin"], "admin", "jwt", "127.0.0.1", "audit-test/1")
    }
    # one request id per request, and two requests
    assert len(requests[0]) == len(requests[1]) == 1 and requests[0] != requests[1]
    assert None not in requests[1]


@pytest.fixture
async def statements(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[tuple[str, list[Any]]]]:
    """The compiled statements sent (their SQL and values), as they were sent."""
    sent: list[tuple[str, list[Any]]] = []
    client_type = type(connections.get("default"))
    original = client_type.execute_query

    async def recording(self: Any, query: str, values: list[Any] | None = None) -> Any:
        if query.startswith(pgclient.READ):
            sent.append((query, list(values or [])))
        return await original(self, query, values)

    monkeypatch.setattr(client_type, "execute_query", recording)
    yield sent


@pytest.mark.skipif(not POSTGRES, reason="the statement audits on PostgreSQL")
async def test_a_statement_sent_again_audits_once(
    anonymous: GraphQLClient, statements: list[tuple[str, list[Any]]]
) -> None:
    # given: an admin's page, compiled, and the statement that answered it
    await _world()
    await anonymous.login("admin")
    before = await _last_id()
    first = await _ask(anonymous, "on", PAGE)
    written = await _entries(before)
    assert len(written) == 4
    [(sql, values)] = [(s, v) for s, v in statements if "lg_audit" in s]
    client = connections.get("default")
    # when: sent again with the same values, as after a lost connection
    _, rows = await client.execute_query(sql, values)
    # then: the same document, and no entry more
    assert b'{"data":{"customers":' + bytes(rows[0][0]) + b"}}" == first.content
    assert [e.id for e in await _entries(before)] == [e.id for e in written]
    # and another request's read of the same rows is audited as its own
    again = await _ask(anonymous, "on", PAGE)
    assert again.content == first.content
    assert len(await _entries(before)) == 8


async def test_a_caller_without_read_sensitive_writes_no_audit(anonymous: GraphQLClient) -> None:
    # given
    ids = await _world()
    await anonymous.login("am1")
    before = await _last_id()
    # when
    page = await _ask(anonymous, "on", PAGE)
    one = await _ask(anonymous, "on", ONE, id=to_global_id("Customer", ids["c0"]))
    # then: masked, compiled, and nothing audited
    for response in (page, one):
        assert response.status_code == 200 and b'"errors"' not in response.content
        assert response.headers.get_list("x-lendgraph-compiled")
        assert b"+86 138 0013 8000" not in response.content
    assert b"+86 138" in page.content  # the masked form
    assert await _entries(before) == []


REFUSE = {
    "postgres": [
        "CREATE FUNCTION lg_test_refuse_reads() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'audit refused' USING ERRCODE = 'check_violation'; END $$",
        "CREATE TRIGGER lg_test_refuse_reads BEFORE INSERT ON audit_entry FOR EACH ROW "
        "WHEN (NEW.action = 'read_sensitive') EXECUTE FUNCTION lg_test_refuse_reads()",
    ],
    "sqlite": [
        "CREATE TRIGGER lg_test_refuse_reads BEFORE INSERT ON audit_entry "
        "WHEN NEW.action = 'read_sensitive' BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
    ],
}
ALLOW = {
    "postgres": [
        "DROP TRIGGER lg_test_refuse_reads ON audit_entry",
        "DROP FUNCTION lg_test_refuse_reads()",
    ],
    "sqlite": ["DROP TRIGGER lg_test_refuse_reads"],
}


@pytest.mark.parametrize("query", [PAGE, ONE])
async def test_no_unmasked_data_leaves_when_its_audit_cannot_be_written(
    anonymous: GraphQLClient, query: str
) -> None:
    # given: the database refuses every audit entry of a read
    ids = await _world()
    await anonymous.login("admin")
    client = connections.get("default")
    dialect = client.capabilities.dialect
    for sql in REFUSE[dialect]:
        await client.execute_script(sql)
    try:
        # when
        variables = {"id": to_global_id("Customer", ids["c0"])} if query is ONE else {}
        response = await _ask(anonymous, "on", query, **variables)
    finally:
        for sql in ALLOW[dialect]:
            await client.execute_script(sql)
    # then: an error of ours (not the database's words), and not one unmasked value
    assert b"errors" in response.content or response.status_code >= 500
    assert b"audit refused" not in response.content, response.content
    codes = {e.get("extensions", {}).get("code") for e in response.json().get("errors", [])}
    assert codes == {"INTERNAL_SERVER_ERROR"}, response.content
    for value in (*PHONES, *ID_NUMBERS):
        assert value is None or value.encode() not in response.content, response.content
    assert await _entries(0) == []
