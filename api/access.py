"""Authorization inside resolvers: who asks, what they may do, which rows they may touch."""

import sys
from collections.abc import Hashable, Mapping
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.models import Model
from tortoise.transactions import in_transaction

from api.context import Context, Info
from api.loaders import SCOPED, Loaders
from authz import scoping
from authz.actions import Scope
from authz.enforcer import Authorizer
from authz.subject import Subject
from domain import shapes
from domain.access import audit
from domain.customer.models import Customer
from domain.errors import ForbiddenError, NotFoundError
from domain.loan.models import Loan


def subject_of(info: Info) -> Subject:
    """The authenticated caller (authentication is enforced before any resolver runs)."""
    subject = info.context.subject
    if subject is None:
        raise ForbiddenError("authentication required")
    return subject


def read_filter(authorizer: Authorizer, subject: Subject, obj: str) -> Q:
    """The rows of an object the subject may read; nothing when they may read none."""
    found = authorizer.row_filter(subject, obj)
    return scoping.nothing() if found is None else found


def task_filter(authorizer: Authorizer, subject: Subject) -> Q:
    """Tasks the subject may see: all with an `all` grant, else those offered to one of their
    roles or claimed by them, and only for customers within their customer read scope."""
    scopes = authorizer.scopes(subject, "task")
    if not scopes:
        return scoping.nothing()
    if Scope.ALL in scopes:
        return Q()
    mine = Q(candidate_role__in=list(subject.roles)) | Q(assignee_id=subject.user_id)
    customers = Customer.filter(read_filter(authorizer, subject, "customer")).values("id")
    return mine & Q(instance__customer_id__in=Subquery(customers))


def scope_key(authorizer: Authorizer, subject: Subject) -> Hashable:
    """What every row filter of a caller depends on (its subject and the policy's version):
    the key under which statements built from those filters are kept (`domain.shapes`)."""
    return (subject, authorizer.version)


def _key(info: Info) -> Hashable:
    return scope_key(info.context.authorizer, subject_of(info))


def scoped_loaders(authorizer: Authorizer, subject: Subject) -> Loaders:
    """Request loaders limited to the subject's read scopes (each filter made on first use)."""

    def scope_of(obj: str) -> Q:
        if obj == "task":
            return task_filter(authorizer, subject)
        return read_filter(authorizer, subject, obj) if obj in SCOPED else Q()

    return Loaders(scope_of, key=scope_key(authorizer, subject))


def anonymous_loaders() -> Loaders:
    """Request loaders of a caller who is not signed in: no scoped row at all."""
    return Loaders(
        lambda obj: scoping.nothing() if obj in SCOPED or obj == "task" else Q(), key="anonymous"
    )


def require_read(info: Info, obj: str) -> Q:
    """The read filter of an object, or ForbiddenError when the caller may read none of it."""
    subject = subject_of(info)
    found = info.context.authorizer.row_filter(subject, obj)
    if found is None:
        raise ForbiddenError(f"you may not read {obj.replace('_', ' ')}s")
    return found


def require(info: Info, obj: str, act: str) -> frozenset[Scope]:
    """The scopes in which the caller may act on an object, or ForbiddenError."""
    return info.context.authorizer.require(subject_of(info), obj, act)


async def require_row(
    info: Info, model: type[Model], pk: int, obj: str, act: str, kind: str
) -> None:
    """Refuse an action on a row outside the caller's scope for it, as if it did not exist."""
    scopes = require(info, obj, act)
    condition = scoping.filter_for(obj, subject_of(info), scopes)
    key = ("api.access.require_row", model, obj, act, _key(info))
    if not await shapes.exists(key, model, lambda ids: model.filter(condition, id=ids[0]), [pk]):
        raise NotFoundError(kind, pk)


async def require_customer(info: Info, obj: str, act: str, customer_id: int) -> frozenset[Scope]:
    """The scopes of an action, after checking the customer it concerns is within them."""
    scopes = require(info, obj, act)
    visible = scoping.customer_filter(subject_of(info), scopes)
    key = ("api.access.require_customer", obj, act, _key(info))
    if not await shapes.exists(
        key, Customer, lambda ids: Customer.filter(visible, id=ids[0]), [customer_id]
    ):
        raise NotFoundError("Customer", customer_id)
    return scopes


async def require_loan(info: Info, scopes: frozenset[Scope], loan_id: int) -> None:
    """Refuse a loan outside the given scopes of the caller, as if it did not exist."""
    visible = scoping.loan_filter(subject_of(info), scopes)
    key = ("api.access.require_loan", scopes, _key(info))
    if not await shapes.exists(key, Loan, lambda ids: Loan.filter(visible, id=ids[0]), [loan_id]):
        raise NotFoundError("Loan", loan_id)


def may_read_sensitive(context: Context) -> bool:
    """Whether the caller sees ID numbers and phones unmasked."""
    return context.subject is not None and context.authorizer.may_read_sensitive(context.subject)


class Audited:
    """Runs a change and its audit entry in one transaction: both are kept, or neither."""

    def __init__(
        self, info: Info, action: str, object_type: str, before: Mapping[str, Any] | None = None
    ) -> None:
        self.info, self.action, self.object_type, self.before = info, action, object_type, before
        self.object_id: object | None = None
        self.after: Mapping[str, Any] | None = None
        self._tx: Any = None

    async def __aenter__(self) -> "Audited":
        self._tx = in_transaction()
        await self._tx.__aenter__()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            try:
                await audit.record(
                    self.info.context.actor(),
                    action=self.action,
                    object_type=self.object_type,
                    object_id=self.object_id,
                    before=self.before,
                    after=self.after,
                )
            except BaseException:
                await self._tx.__aexit__(*sys.exc_info())
                raise
        await self._tx.__aexit__(exc_type, exc, tb)


def snapshot(row: Model, *fields: str) -> dict[str, Any]:
    """The audited view of a row: the named fields, as stored."""
    return {name: getattr(row, name) for name in fields}
