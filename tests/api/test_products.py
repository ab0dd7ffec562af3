"""Administrators define loan products; applications are checked against them at once."""

from decimal import Decimal

from api.relay import to_global_id
from domain.access.models import AuditEntry
from domain.product.models import Product
from tests import factories
from tests.api.conftest import GraphQLClient

SAVE = """
mutation ($input: SaveProductInput!) {
  saveProduct(input: $input) {
    __typename
    ... on SaveProductSuccess { created product { code name method minRate maxRate minTerm maxTerm minAmount maxAmount active } }
    ... on UserError { code message }
    ... on ValidationError { fields { field message } }
  }
}
"""

SUBMIT = """
mutation ($input: SubmitApplicationInput!) {
  submitApplication(input: $input) {
    __typename
    ... on UserError { code message }
    ... on ValidationError { fields { field message } }
  }
}
"""

CONSUMER = {
    "code": "CONSUMER",
    "name": "Consumer loan",
    "method": "EQUAL_INSTALLMENT",
    "minRate": "0.0600",
    "maxRate": "0.2400",
    "minTerm": 3,
    "maxTerm": 36,
    "minAmount": "1000.00",
    "maxAmount": "200000.00",
}


async def test_admin_creates_then_changes_a_product_and_both_are_audited(
    gql: GraphQLClient,
) -> None:
    # when
    created = (await gql.data(SAVE, input=CONSUMER))["saveProduct"]
    changed = (await gql.data(SAVE, input={**CONSUMER, "maxAmount": "300000.00"}))["saveProduct"]
    # then
    assert created["__typename"] == "SaveProductSuccess" and created["created"] is True
    assert created["product"]["maxRate"] == "0.240000"
    assert changed["created"] is False and changed["product"]["maxAmount"] == "300000.00"
    row = await Product.get(code="CONSUMER")
    assert row.max_amount == Decimal("300000.00") and row.active
    entries = await AuditEntry.filter(action="product.save").order_by("id")
    assert entries[0].before is None
    assert entries[1].before is not None and entries[1].before["max_amount"] == "200000.00"
    assert entries[1].after is not None and entries[1].after["max_amount"] == "300000.00"
    listed = await gql.data("{ products { code active maxAmount } }")
    assert listed["products"] == [{"code": "CONSUMER", "active": True, "maxAmount": "300000.00"}]


async def test_terms_no_application_could_fit_are_refused_field_by_field(
    gql: GraphQLClient,
) -> None:
    # when
    bad = {**CONSUMER, "code": "consumer loan", "minRate": "0.3", "maxRate": "1.5",
           "minTerm": 40, "minAmount": "0.001", "maxAmount": "-5"}  # fmt: skip
    result = (await gql.data(SAVE, input=bad))["saveProduct"]
    # then
    assert result["__typename"] == "ValidationError"
    fields = {f["field"] for f in result["fields"]}
    assert fields >= {"code", "maxRate", "maxTerm", "minAmount", "maxAmount"}
    assert await Product.all().count() == 0


async def test_a_deactivated_product_takes_no_new_application(gql: GraphQLClient) -> None:
    # given
    await gql.data(SAVE, input=CONSUMER)
    customer = await factories.customer()
    await gql.data(SAVE, input={**CONSUMER, "active": False})
    submission = {"customerId": to_global_id("Customer", customer.id), "productCode": "CONSUMER",
                  "amount": "5000.00", "termMonths": 12, "channel": "BRANCH"}  # fmt: skip
    # when
    result = (await gql.data(SUBMIT, input=submission))["submitApplication"]
    # then
    assert result["__typename"] == "ValidationError"
    assert [f["field"] for f in result["fields"]] == ["productCode"]


async def test_only_administrators_define_products(gql: GraphQLClient) -> None:
    # given
    await gql.as_user("am", ["account_manager"])
    # when
    result = (await gql.data(SAVE, input=CONSUMER))["saveProduct"]
    # then
    assert result["__typename"] == "ForbiddenError"
    assert not await Product.exists(code="CONSUMER")
