"""Guards and conventions: node ids, page caps, depth and alias limits, masked errors."""

import pytest

from api.relay import to_global_id
from tests import factories
from tests.api.conftest import GraphQLClient


async def test_node_returns_the_right_type_null_when_absent_and_refuses_junk(
    gql: GraphQLClient,
) -> None:
    owner = await factories.customer("赵敏")
    query = """query ($id: ID!) { node(id: $id) { __typename id ... on Customer { name } } }"""
    found = await gql.data(query, id=to_global_id("Customer", owner.id))
    assert found["node"] == {
        "__typename": "Customer",
        "id": to_global_id("Customer", owner.id),
        "name": "赵敏",
    }
    assert (await gql.data(query, id=to_global_id("Customer", 424242)))["node"] is None
    # ids that cannot be ours are refused, naming the argument, the same everywhere
    for junk in (
        "not-an-id",
        "",
        to_global_id("Secret", owner.id),
        to_global_id("Customer", 2**31),
    ):
        [error] = (await gql(query, id=junk))["errors"]
        assert error["extensions"]["code"] == "VALIDATION"
        assert error["message"] == "Invalid input: id: is not a known object's id"
    # customer(id:) with a loan's id is refused, not the loan
    body = await gql("query ($id: ID!) { customer(id: $id) { id } }", id=to_global_id("Loan", 1))
    assert body["errors"][0]["message"] == "Invalid input: id: is not a Customer id"
    assert body["data"] == {"customer": None}


async def test_page_size_is_capped(gql: GraphQLClient) -> None:
    body = await gql("{ customers(first: 5000) { totalCount } }")
    [error] = body["errors"]
    assert error["message"] == "Invalid input: first: must be between 0 and 200"
    assert error["extensions"]["code"] == "VALIDATION"


async def test_pagination_is_stable_under_inserts(gql: GraphQLClient) -> None:
    for n in range(5):
        await factories.customer(f"c{n}")
    query = """query ($after: String) { customers(first: 2, after: $after) {
        edges { node { name } } pageInfo { hasNextPage endCursor } } }"""
    first = (await gql.data(query))["customers"]
    await factories.customer("late arrival")
    second = (await gql.data(query, after=first["pageInfo"]["endCursor"]))["customers"]
    assert [e["node"]["name"] for e in first["edges"]] == ["c0", "c1"]
    assert [e["node"]["name"] for e in second["edges"]] == ["c2", "c3"]


async def test_deep_queries_are_refused(gql: GraphQLClient) -> None:
    deep = "{ customers { edges { node { loans { customer { loans { customer { loans { customer { loans { customer { name } } } } } } } } } } } }"
    body = await gql(deep)
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_too_many_aliases_are_refused(gql: GraphQLClient) -> None:
    query = "{ " + " ".join(f"a{n}: businessDate" for n in range(40)) + " }"
    body = await gql(query)
    assert "aliases" in body["errors"][0]["message"]


async def test_search_filters_by_name_phone_and_external_id(gql: GraphQLClient) -> None:
    from domain.customer.models import CustomerExternalRef

    a = await factories.customer("欧阳娜娜", phone="13912345678")
    await factories.customer("刘洋", phone="13700000000")
    await CustomerExternalRef.create(customer_id=a.id, source="crm", external_id="CRM-77")
    query = """query ($s: String!) { customers(filter: {search: $s}) { totalCount edges { node { name } } } }"""
    for text in ("欧阳", "2345678", "CRM-77"):
        result = (await gql.data(query, s=text))["customers"]
        assert result["totalCount"] == 1, text
        assert result["edges"][0]["node"]["name"] == "欧阳娜娜"


async def test_unexpected_errors_are_masked_with_an_id(
    gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # given a fault deep in the server that mentions something private
    async def broken() -> None:
        raise RuntimeError("password=hunter2 at /srv/secret")

    monkeypatch.setattr("domain.clock.service.get", broken)
    # when
    body = await gql("{ businessDate }")
    # then the client sees an id, the log sees the cause, nobody sees the secret
    [error] = body["errors"]
    assert "hunter2" not in str(body)
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["errorId"] in error["message"]
    assert any(error["extensions"]["errorId"] in r.getMessage() for r in caplog.records)
