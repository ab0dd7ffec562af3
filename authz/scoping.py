"""Row scopes compiled to Tortoise Q filters: the database picks the rows, never a per-row check.

Each filter is a plain Q over the model's own columns and IN-subqueries, so it composes with
other filters (`&`, `|`), works in `.count()` and aggregates, and can sit inside a subquery of
another model (e.g. a scoped customer's loans). Several scopes are OR-ed together.

- own: customers the subject is the account manager of
- team: customers whose account manager is in the subject's team
- branch: customers of the subject's branch
- assigned: the active, past-due loans whose collector is the subject, and those loans' customers
- all: every row
"""

from collections.abc import Callable, Iterable
from functools import reduce
from operator import or_
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from authz.actions import Scope
from authz.subject import Subject
from domain.customer.models import Customer
from domain.loan.models import Loan, LoanStatus
from domain.user.models import User

ScopeArg = Scope | Iterable[Scope]


def nothing() -> Q:
    """A filter that matches no row."""
    return Q(id__in=[])


def _scopes(scope: ScopeArg) -> frozenset[Scope]:
    return frozenset([scope]) if isinstance(scope, Scope) else frozenset(scope)


def _any(parts: list[Q]) -> Q:
    return reduce(or_, parts) if parts else nothing()


def assigned_loans(subject: Subject) -> QuerySet[Loan]:
    """A collector's work: active loans past due whose collector is the subject."""
    return Loan.filter(collector_id=subject.user_id, status=LoanStatus.ACTIVE, days_past_due__gt=0)


def _customer_part(subject: Subject, scope: Scope) -> Q:
    if scope is Scope.OWN:
        return Q(account_manager_id=subject.user_id)
    if scope is Scope.TEAM:
        if subject.team is None:
            return nothing()
        team = User.filter(team=subject.team).values("id")
        return Q(account_manager_id__in=Subquery(team))
    if scope is Scope.BRANCH:
        return nothing() if subject.branch is None else Q(branch=subject.branch)
    if scope is Scope.ASSIGNED:
        return Q(id__in=Subquery(assigned_loans(subject).values("customer_id")))
    return Q()


def customer_filter(subject: Subject, scope: ScopeArg) -> Q:
    """The customers in scope."""
    scopes = _scopes(scope)
    if Scope.ALL in scopes:
        return Q()
    return _any([_customer_part(subject, s) for s in sorted(scopes)])


def customers_in_scope(subject: Subject, scope: ScopeArg) -> QuerySet[Customer]:
    """A query of the customers in scope (e.g. for `.values("id")` in a subquery)."""
    return Customer.filter(customer_filter(subject, scope))


def _of_customers(subject: Subject, scope: ScopeArg, column: str = "customer_id") -> Q:
    scopes = _scopes(scope)
    if Scope.ALL in scopes:
        return Q()
    if not scopes:
        return nothing()
    ids = customers_in_scope(subject, scopes).values("id")
    condition: dict[str, Any] = {f"{column}__in": Subquery(ids)}
    return Q(**condition)


def loan_filter(subject: Subject, scope: ScopeArg) -> Q:
    """The loans in scope: those of customers in scope, and for `assigned` the collector's own."""
    scopes = _scopes(scope)
    if Scope.ALL in scopes:
        return Q()
    parts = []
    if Scope.ASSIGNED in scopes:
        parts.append(Q(collector_id=subject.user_id, status=LoanStatus.ACTIVE, days_past_due__gt=0))
    if scopes - {Scope.ASSIGNED}:
        parts.append(_of_customers(subject, scopes - {Scope.ASSIGNED}))
    return _any(parts)


def application_filter(subject: Subject, scope: ScopeArg) -> Q:
    """The applications of customers in scope."""
    return _of_customers(subject, scope)


def interaction_filter(subject: Subject, scope: ScopeArg) -> Q:
    """The interactions with customers in scope (a collector sees their debtors' whole history)."""
    return _of_customers(subject, scope)


def message_filter(subject: Subject, scope: ScopeArg) -> Q:
    """The outbox messages to customers in scope."""
    return _of_customers(subject, scope)


def credit_report_filter(subject: Subject, scope: ScopeArg) -> Q:
    """The credit reports of customers in scope."""
    return _of_customers(subject, scope)


def payment_filter(subject: Subject, scope: ScopeArg) -> Q:
    """The payments on loans in scope."""
    scopes = _scopes(scope)
    if Scope.ALL in scopes:
        return Q()
    if not scopes:
        return nothing()
    return Q(loan_id__in=Subquery(Loan.filter(loan_filter(subject, scopes)).values("id")))


def _unscoped(subject: Subject, scope: ScopeArg) -> Q:
    return Q() if Scope.ALL in _scopes(scope) else nothing()


FILTERS: dict[str, Callable[[Subject, ScopeArg], Q]] = {
    "customer": customer_filter,
    "loan": loan_filter,
    "application": application_filter,
    "interaction": interaction_filter,
    "payment": payment_filter,
    "credit_report": credit_report_filter,
    "message": message_filter,
    "campaign": customer_filter,  # whose responses count in a campaign's figures
    "report": customer_filter,  # whose rows count in a dashboard's measures
}


def _within(child: ScopeArg, parent: ScopeArg) -> bool:
    return Scope.ALL in _scopes(child) or _scopes(parent) <= _scopes(child)


# (child, parent): whether, with these scopes, every child row of a parent row in the parent's
# scope is in the child's scope, read off the filters above (each is monotone in its scopes):
# a payment is in scope when its loan is, an interaction when its customer is, and a loan when
# its customer is, unless the customer is seen only through an assigned loan of theirs
_IMPLIED: dict[tuple[str, str], Callable[[ScopeArg, ScopeArg], bool]] = {
    ("payment", "loan"): _within,
    ("interaction", "customer"): _within,
    ("loan", "customer"): lambda child, parent: (
        Scope.ASSIGNED not in _scopes(parent) and _within(_scopes(child) - {Scope.ASSIGNED}, parent)
    ),
}


def implied(child: str, parent: str, child_scope: ScopeArg, parent_scope: ScopeArg) -> bool:
    """Whether the rows of `child` under a row of `parent` that is in scope are all in scope
    too, so a read that reaches them through it needs no filter of their own."""
    rule = _IMPLIED.get((child, parent))
    return rule is not None and rule(child_scope, parent_scope)


def filter_for(obj: str, subject: Subject, scope: ScopeArg) -> Q:
    """The row filter of an object. Objects without customer rows take only `all`."""
    return FILTERS.get(obj, _unscoped)(subject, scope)
