"""Mutations return typed results: successes, and errors that say what and where."""

from decimal import Decimal

from api.relay import to_global_id
from domain.customer.models import Customer
from domain.loan.models import Installment, Payment
from tests import factories
from tests.api.conftest import GraphQLClient

CREATE = """
mutation ($input: CreateCustomerInput!) {
  createCustomer(input: $input) {
    __typename
    ... on CreateCustomerSuccess { customer { id name phone consent customFields externalRefs { source externalId } } }
    ... on UserError { code message }
    ... on ValidationError { fields { field message } }
  }
}
"""

POST = """
mutation ($input: PostPaymentInput!) {
  postPayment(input: $input) {
    __typename
    ... on PostPaymentSuccess { duplicate payment { amount } loan { outstandingPrincipal daysPastDue schedule { seq paidAmount status } } }
    ... on UserError { code message }
  }
}
"""


async def test_create_customer_lists_every_bad_field_and_stores_nothing(gql: GraphQLClient) -> None:
    # when
    data = await gql.data(
        CREATE, input={"name": "", "phone": "555", "email": "x@", "customFields": {"nope": 1}}
    )
    # then
    result = data["createCustomer"]
    assert result["__typename"] == "ValidationError"
    assert result["code"] == "VALIDATION"
    assert {f["field"] for f in result["fields"]} == {"name", "phone", "email", "customFields.nope"}
    assert await Customer.all().count() == 0


async def test_create_customer_with_custom_fields_and_reference(gql: GraphQLClient) -> None:
    # given
    define = """mutation { defineCustomField(input: {name: "occupation", type: CHOICE,
        allowedValues: ["teacher", "farmer"], required: true}) { __typename } }"""
    await gql.data(define)
    # when
    data = await gql.data(CREATE, input={
        "name": "李雷", "phone": "138-0013-8000", "consent": ["SMS", "EMAIL"],
        "customFields": {"occupation": "teacher"},
        "externalRefs": [{"source": "core_banking", "externalId": "CB-1"}],
    })  # fmt: skip
    # then
    customer = data["createCustomer"]["customer"]
    assert customer["phone"] == "13800138000"
    assert customer["consent"] == ["SMS", "EMAIL"]
    assert customer["customFields"] == {"occupation": "teacher"}
    assert customer["externalRefs"] == [{"source": "core_banking", "externalId": "CB-1"}]
    # and a required field cannot be left out
    missing = await gql.data(CREATE, input={"name": "韩梅梅"})
    assert missing["createCustomer"]["fields"] == [
        {"field": "customFields.occupation", "message": "is required"}
    ]


async def test_update_changes_only_given_fields(gql: GraphQLClient) -> None:
    # given
    owner = await factories.customer("张伟", email="zw@example.com")
    update = """mutation ($input: UpdateCustomerInput!) { updateCustomer(input: $input) {
        __typename ... on UpdateCustomerSuccess { customer { name email phone } } } }"""
    # when
    data = await gql.data(
        update, input={"id": to_global_id("Customer", owner.id), "email": "new@example.com"}
    )
    # then
    assert data["updateCustomer"]["customer"] == {
        "name": "张伟", "email": "new@example.com", "phone": owner.phone
    }  # fmt: skip


async def test_update_of_unknown_customer_is_not_found(gql: GraphQLClient) -> None:
    update = """mutation ($input: UpdateCustomerInput!) { updateCustomer(input: $input) {
        __typename ... on UserError { code } } }"""
    data = await gql.data(update, input={"id": to_global_id("Customer", 999), "name": "x"})
    assert data["updateCustomer"] == {"__typename": "NotFoundError", "code": "NOT_FOUND"}


async def test_post_payment_allocates_and_is_idempotent(gql: GraphQLClient) -> None:
    # given a 10,000 loan at 12% over 12 months: installment 888.49 (100.00 interest)
    owner = await factories.customer()
    loan = await factories.loan(owner, principal="10000.00", rate="0.12", term=12)
    payment = {"loanId": to_global_id("Loan", loan.id), "amount": "888.49",
               "paidAt": "2026-02-14T02:00:00Z", "idempotencyKey": "bank-77"}  # fmt: skip
    # when posted twice
    first = (await gql.data(POST, input=payment))["postPayment"]
    second = (await gql.data(POST, input=payment))["postPayment"]
    # then one payment, the first installment paid, the principal down by 788.49
    assert first["duplicate"] is False and second["duplicate"] is True
    assert await Payment.filter(loan_id=loan.id).count() == 1
    assert first["loan"]["outstandingPrincipal"] == "9211.51"
    assert first["loan"]["schedule"][0] == {"seq": 1, "paidAmount": "888.49", "status": "PAID"}
    # and the same key for another amount is a conflict
    clash = (await gql.data(POST, input={**payment, "amount": "10.00"}))["postPayment"]
    assert clash["__typename"] == "ConflictError"


async def test_partial_payment_pays_interest_before_principal(gql: GraphQLClient) -> None:
    owner = await factories.customer()
    loan = await factories.loan(owner, principal="10000.00", rate="0.12", term=12)
    await gql.data(POST, input={"loanId": to_global_id("Loan", loan.id), "amount": "150.00",
                                "paidAt": "2026-02-20T02:00:00Z", "idempotencyKey": "p1"})  # fmt: skip
    first = await Installment.get(loan_id=loan.id, seq=1)
    assert (first.interest_paid, first.principal_paid) == (Decimal("100.00"), Decimal("50.00"))
    assert first.paid_on is None


async def test_bad_payment_is_refused_with_reason(gql: GraphQLClient) -> None:
    owner = await factories.customer()
    loan = await factories.loan(owner)
    data = await gql.data(POST, input={"loanId": to_global_id("Loan", loan.id), "amount": "-5",
                                       "paidAt": "2026-02-20T02:00:00Z", "idempotencyKey": "k"})  # fmt: skip
    assert data["postPayment"] == {
        "__typename": "ValidationError", "code": "VALIDATION",
        "message": "Invalid input: amount: must be more than zero",
    }  # fmt: skip
    wrong_type = await gql.data(POST, input={"loanId": to_global_id("Customer", owner.id),
        "amount": "5.00", "paidAt": "2026-02-20T02:00:00Z", "idempotencyKey": "k"})  # fmt: skip
    assert wrong_type["postPayment"]["message"] == "Invalid input: loanId: is not a Loan id"


async def test_submit_application_checks_product_bounds(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    owner = await factories.customer()
    await factories.product("CONSUMER")
    submit = """mutation ($input: SubmitApplicationInput!) { submitApplication(input: $input) {
        __typename ... on SubmitApplicationSuccess { application { status amount productCode customer { name } } }
        ... on ValidationError { fields { field message } } } }"""
    base = {"customerId": to_global_id("Customer", owner.id), "productCode": "CONSUMER",
            "channel": "APP", "purpose": "renovation"}  # fmt: skip
    ok = await gql.data(submit, input={**base, "amount": "50000.00", "termMonths": 24})
    assert ok["submitApplication"]["application"] == {  # stored, and its approval started
        "status": "IN_REVIEW", "amount": "50000.00", "productCode": "CONSUMER",
        "customer": {"name": owner.name},
    }  # fmt: skip
    bad = await gql.data(submit, input={**base, "amount": "5.00", "termMonths": 99})
    assert {f["field"] for f in bad["submitApplication"]["fields"]} == {"amount", "termMonths"}


async def test_promise_to_pay_needs_amount_and_date(gql: GraphQLClient) -> None:
    owner = await factories.customer()
    record = """mutation ($input: RecordInteractionInput!) { recordInteraction(input: $input) {
        __typename ... on RecordInteractionSuccess { interaction { outcome promiseAmount promiseDate } }
        ... on ValidationError { fields { field } } } }"""
    base = {"customerId": to_global_id("Customer", owner.id), "channel": "PHONE",
            "direction": "OUTBOUND", "type": "CALL", "outcome": "PROMISE_TO_PAY"}  # fmt: skip
    bad = await gql.data(record, input=base)
    assert {f["field"] for f in bad["recordInteraction"]["fields"]} == {
        "promiseAmount",
        "promiseDate",
    }
    ok = await gql.data(
        record, input={**base, "promiseAmount": "500.00", "promiseDate": "2026-06-20"}
    )
    assert ok["recordInteraction"]["interaction"] == {
        "outcome": "PROMISE_TO_PAY", "promiseAmount": "500.00", "promiseDate": "2026-06-20"
    }  # fmt: skip
