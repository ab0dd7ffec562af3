"""Row scopes as SQL: each role sees exactly its rows of a small hand-built portfolio."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from tortoise.expressions import Q, Subquery

from authz import scoping
from authz.actions import Scope
from authz.enforcer import Authorizer
from authz.subject import Subject
from domain.application.models import Application, ApplicationChannel
from domain.credit.models import CreditReport
from domain.customer.models import Customer
from domain.interaction.models import Direction, Interaction, InteractionChannel, InteractionType
from domain.loan.models import Loan, LoanStatus, Payment
from tests import factories
from tests.authz.support import staff, subject

AT = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)


@dataclass
class Portfolio:
    """Staff by username, and customer, loan and payment ids by name."""

    staff: dict[str, Subject]
    customers: dict[str, int]
    loans: dict[str, int]
    payments: dict[str, int]


@pytest.fixture
async def portfolio(db: str) -> Portfolio:
    """Two Shanghai account managers in team east, one in Beijing, two collectors.

    c1 am1/SH, c2 am2/SH, c3 am3/BJ, c4 unmanaged/SH, c5 hybrid/BJ, c6 am1/BJ.
    l1 c1 col1 ACTIVE 10 days past due (col1's work), l2 c2 col1 current, l3 c3 col1 CLOSED
    (40 days past due when it closed), l4 c3 col2 ACTIVE 5 days past due, l5 c4 no collector.
    """
    people = {
        "am1": await staff("am1", ["account_manager"], branch="SH", team="east"),
        "am2": await staff("am2", ["account_manager"], branch="SH", team="east"),
        "am3": await staff("am3", ["account_manager"], branch="BJ", team="north"),
        "lead": await staff("lead", ["team_lead"], branch="SH", team="east"),
        "col1": await staff("col1", ["collector"], branch="SH"),
        "col2": await staff("col2", ["collector"], branch="BJ"),
        "cs": await staff("cs", ["customer_service"], branch="SZ"),
        "risk": await staff("risk", ["risk_officer"], branch="SH"),
        "auditor": await staff("auditor", ["auditor"]),
        "analyst": await staff("analyst", ["analyst"]),
        "hybrid": await staff("hybrid", ["collector", "account_manager"], branch="BJ"),
    }
    owners = {"c1": "am1", "c2": "am2", "c3": "am3", "c4": None, "c5": "hybrid"}
    branches = {"c1": "SH", "c2": "SH", "c3": "BJ", "c4": "SH", "c5": "BJ"}
    customers = {}
    for name, owner in owners.items():
        manager = people[owner].id if owner else None
        row = await factories.customer(name, branch=branches[name], account_manager_id=manager)
        customers[name] = row.id
    # own is about the manager, not the branch: am1 also manages c6 in Beijing
    customers["c6"] = (
        await factories.customer("c6", branch="BJ", account_manager_id=people["am1"].id)
    ).id
    plan = {
        "l1": ("c1", "col1", LoanStatus.ACTIVE, 10),
        "l2": ("c2", "col1", LoanStatus.ACTIVE, 0),
        "l3": ("c3", "col1", LoanStatus.CLOSED, 40),
        "l4": ("c3", "col2", LoanStatus.ACTIVE, 5),
        "l5": ("c4", None, LoanStatus.ACTIVE, 30),
        "l6": ("c5", "hybrid", LoanStatus.ACTIVE, 0),
    }
    loans, payments = {}, {}
    for name, (owner, collector, status, dpd) in plan.items():
        loan = await factories.loan(await Customer.get(id=customers[owner]))
        await Loan.filter(id=loan.id).update(
            collector_id=people[collector].id if collector else None,
            status=status,
            days_past_due=dpd,
        )
        loans[name] = loan.id
        payment = await Payment.create(
            loan_id=loan.id, amount=Decimal("100.00"), paid_at=AT, idempotency_key=f"pay-{name}"
        )
        payments[name] = payment.id
    product = await factories.product()
    for name, customer_id in customers.items():
        await Application.create(
            customer_id=customer_id,
            product_id=product.id,
            channel=ApplicationChannel.APP,
            amount=Decimal("5000"),
            term_months=12,
            submitted_at=AT,
        )
        await Interaction.create(
            customer_id=customer_id,
            channel=InteractionChannel.PHONE,
            direction=Direction.OUTBOUND,
            type=InteractionType.CALL,
            occurred_at=AT,
            text=name,
        )
        await CreditReport.create(customer_id=customer_id, bureau="PBOC", score=700, pulled_at=AT)
    return Portfolio({k: subject(v) for k, v in people.items()}, customers, loans, payments)


def _names(ids: dict[str, int], found: list[int]) -> set[str]:
    by_id = {v: k for k, v in ids.items()}
    return {by_id[i] for i in found}


async def _visible(p: Portfolio, who: str, scope: Scope | set[Scope]) -> dict[str, set[str]]:
    s = p.staff[who]
    customer_ids = await Customer.filter(scoping.customer_filter(s, scope)).values_list(
        "id", flat=True
    )
    loan_ids = await Loan.filter(scoping.loan_filter(s, scope)).values_list("id", flat=True)
    payment_ids = await Payment.filter(scoping.payment_filter(s, scope)).values_list(
        "id", flat=True
    )
    by_customer = {}
    for model, build in (
        (Application, scoping.application_filter),
        (Interaction, scoping.interaction_filter),
        (CreditReport, scoping.credit_report_filter),
    ):
        owners = await model.filter(build(s, scope)).values_list("customer_id", flat=True)
        by_customer[model.__name__] = _names(p.customers, owners)
    result = {
        "customers": _names(p.customers, customer_ids),
        "loans": _names(p.loans, loan_ids),
        "payments": _names(p.payments, payment_ids),  # named after their loan
    }
    for name, seen in by_customer.items():
        assert seen == result["customers"], name  # customer data follows its customer
    return result


ALL_CUSTOMERS = {"c1", "c2", "c3", "c4", "c5", "c6"}
ALL_LOANS = {"l1", "l2", "l3", "l4", "l5", "l6"}


async def test_own_team_branch_assigned_all(portfolio: Portfolio) -> None:
    p = portfolio
    assert await _visible(p, "am1", Scope.OWN) == {
        "customers": {"c1", "c6"},
        "loans": {"l1"},
        "payments": {"l1"},
    }
    assert await _visible(p, "lead", Scope.TEAM) == {
        "customers": {"c1", "c2", "c6"},
        "loans": {"l1", "l2"},
        "payments": {"l1", "l2"},
    }
    assert await _visible(p, "risk", Scope.BRANCH) == {
        "customers": {"c1", "c2", "c4"},
        "loans": {"l1", "l2", "l5"},
        "payments": {"l1", "l2", "l5"},
    }
    assert await _visible(p, "col1", Scope.ASSIGNED) == {
        "customers": {"c1"},
        "loans": {"l1"},
        "payments": {"l1"},
    }
    assert await _visible(p, "col2", Scope.ASSIGNED) == {
        "customers": {"c3"},
        "loans": {"l4"},
        "payments": {"l4"},
    }
    assert await _visible(p, "cs", Scope.ALL) == {
        "customers": ALL_CUSTOMERS,
        "loans": ALL_LOANS,
        "payments": ALL_LOANS,
    }
    assert await _visible(p, "analyst", set()) == {
        "customers": set(),
        "loans": set(),
        "payments": set(),
    }
    # no team or branch on the subject: those scopes match nothing
    assert (await _visible(p, "auditor", {Scope.TEAM, Scope.BRANCH}))["customers"] == set()


async def test_each_role_through_the_authorizer(portfolio: Portfolio) -> None:
    p = portfolio
    authorizer = Authorizer()
    await authorizer.ensure_current()
    expected = {
        "am1": ({"c1", "c6"}, {"l1"}),
        "lead": ({"c1", "c2", "c6"}, {"l1", "l2"}),
        "col1": ({"c1"}, {"l1"}),
        "col2": ({"c3"}, {"l4"}),
        "cs": (ALL_CUSTOMERS, ALL_LOANS),
        "risk": (ALL_CUSTOMERS, ALL_LOANS),
        "auditor": (ALL_CUSTOMERS, ALL_LOANS),
        # collector and account manager at once: both sets (own c5, nothing past due assigned)
        "hybrid": ({"c5"}, {"l6"}),
    }
    for who, (customers, loans) in expected.items():
        s = p.staff[who]
        customer_q = authorizer.row_filter(s, "customer")
        loan_q = authorizer.row_filter(s, "loan")
        assert customer_q is not None and loan_q is not None, who
        found = await Customer.filter(customer_q).values_list("id", flat=True)
        assert _names(p.customers, found) == customers, who
        found = await Loan.filter(loan_q).values_list("id", flat=True)
        assert _names(p.loans, found) == loans, who
    assert authorizer.row_filter(p.staff["analyst"], "loan") is None


async def test_filters_compose_and_nest(portfolio: Portfolio) -> None:
    p = portfolio
    lead = p.staff["lead"]
    team = scoping.customer_filter(lead, Scope.TEAM)
    # composed with other conditions, counted, and OR-ed
    assert await Customer.filter(team, branch="BJ").count() == 1
    assert await Customer.filter(team & Q(branch="SH")).count() == 2
    either = team | Q(id=p.customers["c4"])
    assert _names(p.customers, await Customer.filter(either).values_list("id", flat=True)) == {
        "c1",
        "c2",
        "c4",
        "c6",
    }
    # nested path loan -> customer -> loans, scoped at each step
    col1 = p.staff["col1"]
    scoped_loans = Loan.filter(scoping.loan_filter(col1, Scope.ASSIGNED))
    their_customers = Customer.filter(
        scoping.customer_filter(col1, Scope.ASSIGNED),
        id__in=Subquery(scoped_loans.values("customer_id")),
    )
    sibling_loans = Loan.filter(
        scoping.loan_filter(lead, Scope.TEAM),
        customer_id__in=Subquery(their_customers.values("id")),
    )
    assert _names(p.loans, await sibling_loans.values_list("id", flat=True)) == {"l1"}
    # the same Q object can be reused by several queries
    assert await Customer.filter(team).count() == await Customer.filter(team).count() == 3
    # objects without a customer filter of their own take only "all"
    assert await Customer.filter(scoping.filter_for("audit", lead, Scope.ALL)).count() == 6
    assert await Customer.filter(scoping.filter_for("task", lead, Scope.TEAM)).count() == 0
