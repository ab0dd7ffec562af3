"""Bad input is the client's error, typed and naming the field: never an unexpected error.

Ids are read in one place (`api.relay.decode_id`); values are checked against the column they
land in or are compared with (`domain.columns`), limits read from the models themselves.
"""

import pytest

from api.relay import to_global_id
from domain.customer.models import Customer
from domain.loan.models import Loan
from tests import factories
from tests.api.conftest import GraphQLClient

RESULT = "__typename ... on UserError { code message } ... on ValidationError { fields { field message } }"
CLAIM = f"mutation ($id: ID!) {{ claimTask(input: {{taskId: $id}}) {{ {RESULT} }} }}"
RETRY = f"mutation ($id: ID!) {{ retryProcessInstance(input: {{id: $id}}) {{ {RESULT} }} }}"
DELETE_BOARD = f"mutation ($id: ID!) {{ deleteBoard(id: $id) {{ {RESULT} }} }}"
LOANS = "query ($b: [String!]) { loans(filter: {buckets: $b}) { totalCount } }"
CREATE = f"""mutation ($name: String!, $income: Decimal) {{
    createCustomer(input: {{name: $name, monthlyIncome: $income}}) {{ {RESULT} }} }}"""
TAG_RULE = f"""mutation ($name: String!, $condition: String!) {{
    saveTagRule(input: {{name: $name, condition: $condition}}) {{ {RESULT} }} }}"""

JUNK_IDS = ["", " ", "not-an-id", "Q3VzdG9tZXI6MQ", to_global_id("Nope", 1),
            to_global_id("Task", 0), to_global_id("Task", 2**31), to_global_id("Task", 10**30)]  # fmt: skip


def _refused(result: dict[str, object], field: str) -> str:
    assert result["__typename"] == "ValidationError", result
    assert result["fields"] == [{"field": field, "message": result["fields"][0]["message"]}]  # type: ignore[index]
    return str(result["message"])


@pytest.mark.parametrize("junk", JUNK_IDS)
async def test_ids_of_every_shape_are_a_validation_error_naming_the_field(
    gql: GraphQLClient, junk: str
) -> None:
    # when mutations get an id that cannot be one of ours
    claimed = (await gql.data(CLAIM, id=junk))["claimTask"]
    retried = (await gql.data(RETRY, id=junk))["retryProcessInstance"]
    deleted = (await gql.data(DELETE_BOARD, id=junk))["deleteBoard"]
    # then each answers a ValidationError on its own field, whatever was wrong with the id
    assert _refused(claimed, "taskId") == "Invalid input: taskId: is not a Task id"
    assert _refused(retried, "id") == "Invalid input: id: is not a ProcessInstance id"
    assert _refused(deleted, "id") == "Invalid input: id: is not a Board id"


async def test_an_id_of_another_type_is_refused_even_when_the_row_exists(
    gql: GraphQLClient,
) -> None:
    owner = await factories.customer()
    claimed = (await gql.data(CLAIM, id=to_global_id("Customer", owner.id)))["claimTask"]
    assert _refused(claimed, "taskId") == "Invalid input: taskId: is not a Task id"


async def test_a_filter_value_longer_than_its_column_is_a_validation_error(
    gql: GraphQLClient,
) -> None:
    # given the column's own limit
    limit = Loan._meta.fields_map["bucket"].max_length
    # when a filter compares it with a longer string
    body = await gql(LOANS, b=["M1", "x" * (limit + 9)])
    # then a top-level VALIDATION error names the field and the maximum
    [error] = body["errors"]
    assert error["extensions"]["code"] == "VALIDATION"
    assert error["message"] == f"Invalid input: bucket: must be at most {limit} characters"
    # and a value at the limit is just a value that matches nothing
    assert (await gql.data(LOANS, b=["x" * limit]))["loans"]["totalCount"] == 0


async def test_an_input_longer_than_its_column_is_a_validation_error(gql: GraphQLClient) -> None:
    limit = Customer._meta.fields_map["name"].max_length
    result = (await gql.data(CREATE, name="王" * (limit + 1)))["createCustomer"]
    assert "must be at most" in _refused(result, "name")
    assert (await gql.data(CREATE, name="王" * limit))["createCustomer"]["__typename"] == (
        "CreateCustomerSuccess"
    )
    odd = (await gql.data(TAG_RULE, name="T" * 65, condition="(" * 300))["saveTagRule"]
    assert odd["__typename"] == "ValidationError"


async def test_text_with_a_nul_character_is_refused_on_both_databases(gql: GraphQLClient) -> None:
    result = (await gql.data(CREATE, name="王\x00芳"))["createCustomer"]
    assert _refused(result, "name") == "Invalid input: name: must not contain NUL characters"


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "1e400", "1" * 30, "abc"])
async def test_decimals_no_column_can_hold_are_request_errors(
    gql: GraphQLClient, amount: str
) -> None:
    body = await gql(CREATE, name="王芳", income=amount)
    assert "data" not in body or body["data"] is None
    [error] = body["errors"]
    assert "Decimal cannot represent" in error["message"]
    assert error["extensions"] == {"code": "VALIDATION"}
    assert "INTERNAL_SERVER_ERROR" not in str(body)


async def test_a_decimal_beyond_its_column_names_the_field(gql: GraphQLClient) -> None:
    field = Customer._meta.fields_map["monthly_income"]
    whole = field.max_digits - field.decimal_places
    result = (await gql.data(CREATE, name="王芳", income="9" * whole + "0.00"))["createCustomer"]
    assert _refused(result, "monthlyIncome") == (
        f"Invalid input: monthlyIncome: must have at most {whole} digits before the decimal point"
    )


async def test_json_too_deep_or_with_huge_numbers_is_a_request_error(gql: GraphQLClient) -> None:
    query = 'mutation ($t: JSON!) { saveBoard(input: {name: "b", tiles: $t}) { __typename } }'
    deep: object = 1
    for _ in range(40):
        deep = [deep]
    response = await gql.http.post(
        "/graphql", headers=gql.headers, json={"query": query, "variables": {"t": deep}}
    )
    body = response.json()
    assert "JSON value" in body["errors"][0]["message"], body
    assert body["errors"][0]["extensions"] == {"code": "VALIDATION"}
    # a number beyond 64 bits, in a variable or written into the document
    response = await gql.http.post(
        "/graphql", headers=gql.headers,
        json={"query": query, "variables": {"t": [{"n": 2**70}]}},
    )  # fmt: skip
    body = response.json()
    assert "JSON value" in body["errors"][0]["message"], body
    literal = 'mutation { saveBoard(input: {name: "b", tiles: [{n: 1180591620717411303424}]}) { __typename } }'
    body = await gql(literal)
    assert "JSON value" in body["errors"][0]["message"], body
    assert body["errors"][0]["extensions"] == {"code": "VALIDATION"}


async def test_cursors_that_are_not_ours_are_a_validation_error(gql: GraphQLClient) -> None:
    owner = await factories.customer()
    query = """query ($id: ID!, $after: String) { customer(id: $id) {
        interactions(after: $after) { totalCount } } }"""
    for after in ("LS01", "wrLCsg==", "%%%", "MQ=="):  # "--5", "²²", junk, one key of two
        body = await gql(query, id=to_global_id("Customer", owner.id), after=after)
        [error] = body["errors"]
        assert error["message"] == "Invalid input: after: is not a valid cursor", after
    big = await gql("query ($a: String) { loans(after: $a) { totalCount } }", a="OTk5OTk5OTk5OTk5")
    assert big["errors"][0]["message"] == "Invalid input: after: is not a valid cursor"


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        ("mutation ($d: Date!) { setBusinessDate(input: {date: $d}) { __typename } }",
         {"d": "9999-12-31"}),
        ("query ($d: Date) { loans(filter: {disbursedFrom: $d}) { totalCount } }",
         {"d": "0001-01-01"}),
        ("query ($t: DateTime) { auditLog(filter: {until: $t}) { totalCount } }",
         {"t": "9999-12-31T23:59:59+00:00"}),
    ],
)  # fmt: skip
async def test_dates_at_the_ends_of_the_calendar_are_request_errors(
    gql: GraphQLClient, document: str, variables: dict[str, str]
) -> None:
    # a business date of 9999-12-31 would overflow every later "today + n days"
    body = await gql(document, **variables)
    [error] = body["errors"]
    assert "outside 1000-01-01..8999-12-31" in error["message"]
    assert error["extensions"] == {"code": "VALIDATION"}
    assert (await gql.data("{ businessDate }"))["businessDate"] == "2026-06-15"


async def test_a_filter_value_outside_an_enum_column_is_a_validation_error(
    gql: GraphQLClient,
) -> None:
    body = await gql('{ tasks(filter: {status: "0"}) { totalCount } }')
    [error] = body["errors"]
    assert error["message"] == (
        "Invalid input: status: must be one of CANCELLED, CLAIMED, COMPLETED, OPEN"
    )
    assert error["extensions"]["code"] == "VALIDATION"


def test_a_datetime_without_offset_is_utc_and_every_iso_form_parses() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from api.scalars import parse_datetime

    assert parse_datetime("2026-06-15T10:00:00") == datetime(2026, 6, 15, 10, tzinfo=UTC)
    assert parse_datetime("2026-06-15T10:00:00Z") == datetime(2026, 6, 15, 10, tzinfo=UTC)
    east = parse_datetime("2026-06-15T18:00:00+08:00")
    assert east == datetime(2026, 6, 15, 10, tzinfo=UTC)
    assert east.utcoffset() == timezone(timedelta(hours=8)).utcoffset(None)


def test_every_node_type_has_its_table_for_the_id_range() -> None:
    import re
    from pathlib import Path

    from api.relay import ID_MODELS
    from api.schema import schema

    node = schema._schema.get_type("Node")
    nodes = {
        t.name for t in schema._schema.type_map.values() if node in getattr(t, "interfaces", ())
    }
    minted = {m for path in (Path(__file__).resolve().parents[2] / "api").rglob("*.py")
              for m in re.findall(r'to_global_id\("(\w+)"', path.read_text())}  # fmt: skip
    assert nodes | minted <= set(ID_MODELS), sorted((nodes | minted) - set(ID_MODELS))


@pytest.mark.parametrize("variable", ["password", "username"])
async def test_an_unpaired_surrogate_is_a_bad_request_not_a_crash(
    anonymous: GraphQLClient, variable: str
) -> None:
    # JSON can spell a string that is not text ("\ud800"); it must not reach argon2 or a driver
    values = {"u": "root", "p": "pass"} | {variable[0]: "ab\\ud800cd"}
    query = "mutation ($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { __typename } }"
    # written by hand: json.dumps would escape the backslash and send plain text
    pairs = ", ".join(f'"{k}": "{v}"' for k, v in values.items())
    body = f'{{"query": "{query}", "variables": {{{pairs}}}}}'
    answer = await anonymous.http.post(
        "/graphql", content=body.encode(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert "JSON" in answer.text
