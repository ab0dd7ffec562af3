"""Compiled reads answer byte for byte what the resolvers answer, for every role, in one statement.

Documents over the customer graph are generated (hypothesis): random selections of fields,
aliases, named and inline fragments, `@include`/`@skip` on variables, `__typename`, page sizes
and cursors, and now and then a field the compiler does not take (the root field falls back).
Each is asked with the compiler on and off, as several roles, and the two bodies must be the
same bytes. `LENDGRAPH_EQUIVALENCE_EXAMPLES` sets how many documents (`make fuzz`: 500).
"""

import os
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.relay import encode_cursor, to_global_id
from domain.access.models import AuditEntry
from domain.clock import service as clock
from domain.customer.models import Customer
from domain.interaction import service as interactions
from domain.interaction.models import (
    Direction,
    Interaction,
    InteractionChannel,
    InteractionType,
    Outcome,
)
from domain.loan import service as loans
from domain.loan.models import Loan
from domain.statements import count_statements
from tests import factories
from tests.api.conftest import GraphQLClient, password_hash

EXAMPLES = int(os.environ.get("LENDGRAPH_EQUIVALENCE_EXAMPLES", "60"))
ROLES = {"admin": ["admin"], "risk": ["risk_officer"], "am1": ["account_manager"],
         "col1": ["collector"], "cs": ["customer_service"]}  # fmt: skip

CUSTOMER = ["id", "name", "kind", "idType", "email", "birthDate", "address", "timeZone",
            "monthlyIncome", "branch", "preferredChannel", "riskRating", "lifecycleStage",
            "consent", "createdAt", "idNumber", "phone", "rfm { recency frequency monetary segment }"]  # fmt: skip
LOAN = ["id", "status", "principal", "annualRate", "termMonths", "method", "disbursedOn",
        "outstandingPrincipal", "creditBalance", "daysPastDue", "bucket", "closedOn",
        "productCode"]  # fmt: skip
INSTALLMENT = ["seq", "dueDate", "principalDue", "interestDue", "feeDue", "totalDue",
               "paidAmount", "paidOn", "status"]  # fmt: skip
PAYMENT = ["id", "amount", "paidAt", "idempotencyKey", "principalPrepaid", "credit"]
INTERACTION = ["id", "channel", "direction", "type", "text", "outcome", "promiseAmount",
               "promiseDate", "occurredAt", "loanId"]  # fmt: skip
# fields the compiler does not take: a document with one is answered by the resolvers
ELSEWHERE = {"customer": ["tags { name }", "accountManager { username }"],
             "loan": ["collector { username }"],
             "interaction": ["agent { username }"]}  # fmt: skip
ODD_TEXT = ['say "hi" \\ back', "line\nbreak\ttab\x01", "é 汉字 🙂 \u2028", "", "  spaced  "]


def _pick(draw: st.DrawFn, names: list[str], extra: list[str]) -> list[str]:
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=6, unique=True))
    if extra and draw(st.integers(0, 9)) == 0:
        chosen.append(draw(st.sampled_from(extra)))
    out = []
    for name in chosen:
        field, _, selection = name.partition(" ")
        mode = draw(st.integers(0, 9))
        if mode == 0:
            field = f"a{draw(st.integers(0, 3))}_{field}: {field}"
        elif mode in (1, 2):
            field += " @include(if: $on)" if mode == 1 else " @skip(if: $on)"
        out.append(f"{field} {selection}".strip())
    if draw(st.booleans()):
        out.append("__typename")
    return out


def _fragmented(draw: st.DrawFn, fields: list[str], on: str) -> tuple[str, str]:
    """A selection body and its fragment definitions: fields as they are, half of them in a
    named fragment, or all in an inline fragment."""
    fragment = draw(st.integers(0, 2))
    half = len(fields) // 2
    if fragment == 1:
        body = "...Bits " + " ".join(fields[half:])
        return body, f"fragment Bits on {on} {{ " + " ".join(fields[:half] or ["id"]) + " }"
    if fragment == 2:
        return f"... on {on} {{ " + " ".join(fields) + " } id", ""
    return " ".join(fields), ""


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A document over one root field (`customers`, `customer`, `loans`, `loan`) and its
    variables (`id` and `after` are placeholders the test turns into real ids and cursors)."""
    loan = _pick(draw, LOAN, ELSEWHERE["loan"])
    if draw(st.booleans()):
        loan.append("schedule { " + " ".join(_pick(draw, INSTALLMENT, [])) + " }")
    if draw(st.booleans()):
        loan.append("payments { " + " ".join(_pick(draw, PAYMENT, [])) + " }")
    customer = _pick(draw, CUSTOMER, ELSEWHERE["customer"])
    if draw(st.integers(0, 3)) == 0:
        loan.append("customer { " + " ".join(_pick(draw, CUSTOMER, [])) + " }")
    if draw(st.booleans()):
        customer.append("loans { " + " ".join(loan) + " }")
    if draw(st.booleans()):
        node = " ".join(_pick(draw, INTERACTION, ELSEWHERE["interaction"]))
        first = draw(
            st.sampled_from(
                [
                    "",
                    "(first: 0)",
                    "(first: 2)",
                    "(first: 30)",
                    '(first: 1, after: "CURSOR")',
                    '(after: "BADCURSOR")',
                ]
            )
        )
        parts = draw(st.lists(st.sampled_from(["totalCount", "pageInfo { hasNextPage endCursor }",
                                               f"edges {{ cursor node {{ {node} }} }}"]),
                              min_size=1, max_size=3, unique=True))  # fmt: skip
        customer.append(f"interactions{first} {{ {' '.join(parts)} }}")
    root = draw(st.sampled_from(["customers", "customers", "customer", "loans", "loan", "node"]))
    on = "Loan" if root.startswith("loan") else "Customer"
    body, tail = _fragmented(draw, loan if on == "Loan" else customer, on)
    variables: dict[str, Any] = {"on": draw(st.booleans())}
    if root == "node":  # an interface: a customer's or a loan's id, fields for both types
        variables["kind"] = draw(st.sampled_from(["Customer", "Loan"]))
        body = (f"id ... on Customer {{ {' '.join(customer)} }} "
                f"... on Loan {{ {' '.join(loan)} }}")  # fmt: skip
        tail = ""
    if root in ("customer", "loan", "node"):  # by id: one in scope or not, or none
        variables["id"] = draw(st.sampled_from([1, 2, 3]))
        query = f"query Q($on: Boolean!, $id: ID!) {{ {root}(id: $id) {{ {body} }} }} {tail}"
        return query, variables
    size = draw(st.sampled_from([None, 0, 1, 3, 60]))
    page = [
        "totalCount",
        "pageInfo { hasNextPage endCursor }",
        f"edges {{ cursor node {{ {body} }} }}",
    ]
    connection = " ".join(draw(st.permutations(page))[: draw(st.integers(1, 3))])
    after = draw(st.sampled_from([None, None, 1, 2]))
    args = ", ".join(
        ([f"first: {size}"] if size is not None else []) + (["after: $after"] if after else [])
    )
    if after:
        variables["after"] = after
    head = "query Q($on: Boolean!" + (", $after: String" if after else "") + ")"
    query = f"{head} {{ {root}{f'({args})' if args else ''} {{ {connection} }} }} {tail}"
    return query, variables


async def _world(gql: GraphQLClient) -> dict[str, int]:
    users = {name: await factories.user(name, roles, password_hash=password_hash())
             for name, roles in ROLES.items()}  # fmt: skip
    other = await factories.user("am2", ["account_manager"])
    await clock.set_(date(2026, 6, 15))
    phones = ["+86 138 0013 8000", "0086-139-1234-5678", "12", "１３８００１３８０００", None]
    owners, lent = [], []
    for n in range(6):
        owner = await factories.customer(f"客户{n}", account_manager_id=(users["am1"] if n % 2 else other).id)  # fmt: skip
        await Customer.filter(id=owner.id).update(
            phone=phones[n % len(phones)], id_number=["110105 19491231 002X", None][n % 2],
            email=ODD_TEXT[n % len(ODD_TEXT)], rfm_recency=n % 3 or None, rfm_segment="Loyal",
            consent_sms=bool(n % 2), consent_email=bool(n % 3),
        )  # fmt: skip
        owners.append(owner)
    for n, owner in enumerate(owners[:4]):
        loan = await factories.loan(owner, principal=f"{12000 + n * 1111}.50",
                                    disbursed_on=date(2026, 1, 15))  # fmt: skip
        lent.append(loan.id)
        if n % 2:
            await Loan.filter(id=loan.id).update(collector_id=users["col1"].id)
        await loans.post_payment(loan_id=loan.id, amount=Decimal("1234.56"),
                                 paid_at=datetime(2026, 2, 14, 9, 30, 0, 123456, tzinfo=UTC),
                                 idempotency_key=f"k-{n}")  # fmt: skip
        for m in range(3):
            await interactions.record(
                customer_id=owner.id, channel=InteractionChannel.PHONE,
                direction=Direction.OUTBOUND, type_=InteractionType.CALL,
                text=ODD_TEXT[(n + m) % len(ODD_TEXT)], loan_id=loan.id if m else None,
                agent_id=users["col1"].id, outcome=Outcome.PROMISE_TO_PAY if m == 1 else None,
                promise_amount=Decimal("300.00") if m == 1 else None,
                promise_date=date(2026, 6, 20) if m == 1 else None,
                occurred_at=datetime(2026, 3, 1 + m, 10, 0, m * 7, tzinfo=UTC),
            )  # fmt: skip
    await loans.refresh_delinquency(date(2026, 6, 15))
    # amounts stored other than at their scale (SQLite keeps the text it is given): the
    # compiled SQL writes them through printf, the rest as they are
    for loan_id, principal, outstanding in zip(lent[1:], ["15000", "1.5E+4", "15000.5"],
                                               ["1E+4", "9000.5", "0.004"], strict=True):  # fmt: skip
        await Loan.filter(id=loan_id).update(principal=Decimal(principal),
                                             outstanding_principal=Decimal(outstanding))  # fmt: skip
    middle = await Interaction.filter(customer_id=owners[1].id).order_by("occurred_at").first()
    assert middle is not None
    return {"first": owners[0].id, "second": owners[1].id, "last": owners[-1].id,
            "loan1": lent[0], "loan2": lent[1], "lastloan": lent[-1],
            "micros": (middle.occurred_at - datetime(1970, 1, 1, tzinfo=UTC))
            // timedelta(microseconds=1) + 7_000_000, "interaction": middle.id}  # fmt: skip


async def _ask(gql: GraphQLClient, mode: str, query: str, variables: dict[str, Any]) -> bytes:
    os.environ["LENDGRAPH_COMPILED_READS"] = mode
    try:
        response = await gql.http.post("/graphql", json={"query": query, "variables": variables},
                                       headers=gql.headers)  # fmt: skip
    finally:
        del os.environ["LENDGRAPH_COMPILED_READS"]
    assert response.status_code == 200
    return response.content


@pytest.fixture
def generated() -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(documents())
    def collect(document: tuple[str, dict[str, Any]]) -> None:
        found.append(document)

    collect()
    return found


async def test_compiled_and_resolver_answers_are_the_same_bytes(
    anonymous: GraphQLClient, generated: list[tuple[str, dict[str, Any]]]
) -> None:
    keys = await _world(anonymous)
    customers = {1: keys["first"], 2: keys["second"], 3: keys["last"] + 1000}
    loans_ = {1: keys["loan1"], 2: keys["loan2"], 3: keys["lastloan"] + 1000}
    cursor = encode_cursor(keys["micros"], keys["interaction"])  # 7 s after the oldest
    for role in ROLES:
        await anonymous.login(role)
        for drawn_query, drawn in generated:
            variables = dict(drawn)
            query = drawn_query.replace('"CURSOR"', f'"{cursor}"').replace("BADCURSOR", "bm9wZQ==")
            root = re.search(r"\) \{ (\w+)", query)
            assert root is not None
            kind = variables.pop("kind", "Loan" if root[1].startswith("loan") else "Customer")
            ids = loans_ if kind == "Loan" else customers
            if "after" in variables:
                variables = {**variables, "after": encode_cursor(ids[variables["after"]])}
            if "id" in variables:
                variables = {**variables, "id": to_global_id(kind, ids[variables["id"]])}
            compiled = await _ask(anonymous, "on", query, variables)
            loaded = await _ask(anonymous, "off", query, variables)
            assert compiled == loaded, (role, query, variables, compiled, loaded)


PAGE = """{ customers(first: 10) { totalCount edges { cursor node { id name phone idNumber
  loans { principal schedule { seq totalDue status } payments { amount paidAt } }
  interactions(first: 2) { totalCount edges { cursor node { text occurredAt loanId } }
  pageInfo { hasNextPage endCursor } } } } pageInfo { hasNextPage endCursor } } }"""


async def test_one_statement_answers_the_page_and_its_reads_are_audited_alike(
    anonymous: GraphQLClient,
) -> None:
    await _world(anonymous)
    await anonymous.login("admin")
    audits = []
    for mode in ("off", "on"):
        before = await AuditEntry.filter(action="read_sensitive").count()
        with count_statements() as log:
            body = await _ask(anonymous, mode, PAGE, {})
        entries = await AuditEntry.filter(action="read_sensitive").order_by("id").offset(before)
        audits.append(sorted((e.object_id, tuple(e.fields_read), e.user_id, e.username, e.via,
                              e.request_id is not None) for e in entries))  # fmt: skip
        if mode == "on":
            reads = [
                s for s in log.statements if s.lstrip().upper().startswith(("SELECT", "/* READ"))
            ]
            # the caller with the policy version, then the page (its business date inside it)
            assert len(reads) == 2, reads
    assert audits[0] == audits[1] and audits[0], audits
    assert b'"errors"' not in body


async def test_a_field_without_a_compiled_form_is_answered_by_the_resolvers(
    anonymous: GraphQLClient,
) -> None:
    await _world(anonymous)
    await anonymous.login("am1")
    query = """{ customers { edges { node { name tags { name } } } }
                 mine: customers { edges { node { name loans { productCode } } } } }"""
    with count_statements() as log:
        compiled = await _ask(anonymous, "on", query, {})
    assert compiled == await _ask(anonymous, "off", query, {})
    assert len(log.statements) > 3  # the loaders ran
    # the response says which root fields one statement answered
    response = await anonymous.http.post("/graphql", json={"query": query},
                                         headers=anonymous.headers)  # fmt: skip
    assert response.headers.get_list("x-lendgraph-compiled") == ["mine"]


async def test_the_sql_masks_are_the_python_masks(db: str) -> None:
    from api.compiled.dialect import dialect_for, prepare
    from authz.masking import mask_id_number, mask_phone

    values: list[str] = []

    @settings(max_examples=300, derandomize=True, database=None, deadline=None)
    @given(st.text(alphabet="0123456789+-() x\t０　", max_size=24))
    def collect(value: str) -> None:
        values.append(value)

    collect()
    d = dialect_for()
    await prepare(d.client)
    for value in values:
        sql = f"SELECT {d.mask_phone(d.param(value))}, {d.mask_id_number(d.param(value))}"
        _, rows = await d.client.execute_query(sql + (" FROM (SELECT 1) x" if d.postgres else ""),
                                               d.values)  # fmt: skip
        assert tuple(rows[0]) == (mask_phone(value), mask_id_number(value)), repr(value)
        d.parameters.values.clear()


def test_a_bad_setting_stops_the_server_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from api.app import create_app

    monkeypatch.setenv("LENDGRAPH_COMPILED_READS", "sometimes")
    with pytest.raises(ValueError, match="LENDGRAPH_COMPILED_READS must be 'on' or 'off'"):
        create_app("sqlite://:memory:")


async def test_node_of_a_customer_or_a_loan_is_compiled_for_its_type(
    anonymous: GraphQLClient,
) -> None:
    keys = await _world(anonymous)
    await anonymous.login("am1")
    query = """query ($id: ID!) { node(id: $id) { __typename id
      ... on Customer { name phone loans { principal } } ... on Loan { principal bucket } } }"""
    for kind, pk in (("Customer", keys["second"]), ("Loan", keys["loan2"])):
        variables = {"id": to_global_id(kind, pk)}
        compiled = await anonymous.http.post("/graphql", headers=anonymous.headers,
                                             json={"query": query, "variables": variables})  # fmt: skip
        assert compiled.headers.get_list("x-lendgraph-compiled") == ["node"]
        assert compiled.json()["data"]["node"]["__typename"] == kind
        assert compiled.content == await _ask(anonymous, "off", query, variables)


async def test_a_statement_with_long_text_values_is_not_kept(
    anonymous: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.compiled import root

    await _world(anonymous)
    await anonymous.login("admin")
    query = """query ($s: String!) { customers(filter: {search: $s}) { totalCount
      edges { node { name } } } }"""
    for limit, search, kept in ((4096, "客户" * 50, True), (80, "客户" * 60, False)):
        monkeypatch.setattr(root, "MAX_KEPT_TEXT", limit)
        root.STATEMENTS.kept.clear()
        compiled = await _ask(anonymous, "on", query, {"s": search})
        assert compiled == await _ask(anonymous, "off", query, {"s": search})
        assert b'"totalCount":0' in compiled
        assert bool(root.STATEMENTS.kept) is kept
        assert all(len(repr(key)) < 1000 for key in root.STATEMENTS.kept)  # a digest, not text
