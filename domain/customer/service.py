"""Customers: create, update, read and filter."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain import sqltext
from domain.clock import service as clock
from domain.customer.models import Customer, CustomerExternalRef, CustomerTag
from domain.customer.validation import clean_customer
from domain.customfield import service as custom_fields
from domain.customfield.models import CustomFieldValue
from domain.enums import CustomerKind, LifecycleStage, RiskRating
from domain.errors import ConflictError, NotFoundError, Problems
from domain.loan.models import Loan, LoanStatus
from domain.user.models import User


@dataclass(frozen=True, slots=True)
class CustomFieldCondition:
    """A custom field equal to one of some values."""

    name: str
    values: list[str]


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    """Conditions on customers; all given ones must hold."""

    search: str | None = None
    kind: CustomerKind | None = None
    risk_ratings: list[RiskRating] = field(default_factory=list)
    lifecycle_stages: list[LifecycleStage] = field(default_factory=list)
    tag: str | None = None
    bucket: str | None = None
    account_manager_id: int | None = None
    branch: str | None = None
    rfm_segment: str | None = None
    custom_fields: list[CustomFieldCondition] = field(default_factory=list)
    full_phone_search: bool = True  # False: digits match only the end of a phone (masked callers)


TRIGRAM = 3  # characters: a shorter search text has no trigram to look up


def search_condition(text: str, *, full_phone: bool = True) -> Q:
    """Customers whose name, phone or external reference matches a search text.

    Without `full_phone`, digits match only the last four of a phone, so a caller who sees
    phones masked cannot recover the hidden middle digits by searching.
    """
    text = text.strip()
    matched = Q(name__icontains=text)
    digits = re.sub(r"\D", "", text)
    if full_phone and len(digits) >= 4:
        matched |= Q(phone__contains=digits)
    elif len(digits) == 4:
        matched |= Q(phone__endswith=digits)
    referred = CustomerExternalRef.filter(external_id=text).values("customer_id")
    if not sqltext.postgres() or len(text) < TRIGRAM:
        return matched | Q(id__in=Subquery(referred))
    # PostgreSQL, a text of three characters or more: every match found first, by the trigram
    # indexes on name and phone (migration 0033) and the references' index, each set as one
    # array; the page is then the first of them in key order. As conditions beside the page's
    # order and limit, PostgreSQL walked the customers in key order testing each (2.5 s over a
    # million customers when few match). A shorter text has no trigram to look up: its matches
    # are many (a surname) and the walk finds a page soon
    found = Customer.filter(matched).values("id")
    return Q(id=sqltext.AnyOf(found)) | Q(id=sqltext.AnyOf(referred))


def filtered(query: QuerySet[Customer], flt: CustomerFilter | None) -> QuerySet[Customer]:
    """Apply a filter to a customer query, as SQL."""
    if flt is None:
        return query
    if flt.search:
        query = query.filter(search_condition(flt.search, full_phone=flt.full_phone_search))
    if flt.kind:
        query = query.filter(kind=flt.kind)
    if flt.risk_ratings:
        query = query.filter(risk_rating__in=flt.risk_ratings)
    if flt.lifecycle_stages:
        query = query.filter(lifecycle_stage__in=flt.lifecycle_stages)
    if flt.tag:
        tagged = CustomerTag.filter(tag__name=flt.tag).values("customer_id")
        query = query.filter(id__in=Subquery(tagged))
    if flt.bucket:
        in_bucket = Loan.filter(bucket=flt.bucket, status=LoanStatus.ACTIVE).values("customer_id")
        query = query.filter(id__in=Subquery(in_bucket))
    if flt.account_manager_id is not None:
        query = query.filter(account_manager_id=flt.account_manager_id)
    if flt.branch:
        query = query.filter(branch=flt.branch)
    if flt.rfm_segment:
        query = query.filter(rfm_segment=flt.rfm_segment)
    for condition in flt.custom_fields:
        matching = CustomFieldValue.filter(
            field__name=condition.name, value_text__in=condition.values
        ).values("customer_id")
        query = query.filter(id__in=Subquery(matching))
    return query


async def get_or_raise(customer_id: int) -> Customer:
    """The customer with this id, or NotFoundError."""
    customer = await Customer.get_or_none(id=customer_id)
    if customer is None:
        raise NotFoundError("Customer", customer_id)
    return customer


async def _check_manager(manager_id: int | None, problems: Problems) -> None:
    if manager_id is not None and not await User.exists(id=manager_id, is_active=True):
        problems.add("account_manager_id", f"no active user {manager_id}")


async def create(
    *,
    data: Mapping[str, Any],
    custom: Mapping[str, Any] | None = None,
    account_manager_id: int | None = None,
    external_refs: list[tuple[str, str]] | None = None,
) -> Customer:
    """Create a customer after validating every attribute and custom field."""
    problems = Problems()
    today = await clock.get()
    values = clean_customer(data, partial=False, today=today, problems=problems)
    defs = await custom_fields.definitions()
    cleaned = custom_fields.clean_values(custom or {}, defs, problems)
    await _check_manager(account_manager_id, problems)
    for source, external_id in external_refs or []:
        if await CustomerExternalRef.exists(source=source, external_id=external_id):
            problems.add("external_refs", f"({source}, {external_id}) belongs to another customer")
    problems.raise_if_any()
    async with in_transaction():
        customer = await Customer.create(**values, account_manager_id=account_manager_id)
        await custom_fields.store(customer.id, cleaned, defs)
        await CustomerExternalRef.bulk_create(
            [
                CustomerExternalRef(customer_id=customer.id, source=s, external_id=e)
                for s, e in external_refs or []
            ]
        )
    return customer


_UNSET: Any = object()


async def update(
    customer_id: int,
    *,
    data: Mapping[str, Any],
    custom: Mapping[str, Any] | None = None,
    account_manager_id: int | None = _UNSET,
    expected_updated_at: Any = None,
) -> Customer:
    """Change some attributes of a customer; only the given keys change."""
    customer = await get_or_raise(customer_id)
    problems = Problems()
    given = dict(data)
    if "id_number" in given and "id_type" not in given:
        given["id_type"] = customer.id_type
    values = clean_customer(given, partial=True, today=await clock.get(), problems=problems)
    defs = await custom_fields.definitions()
    stored = CustomFieldValue.filter(customer_id=customer_id).values_list("field__name", flat=True)
    existing = {str(name) for name in await stored}
    cleaned = custom_fields.clean_values(custom or {}, defs, problems, existing=existing)
    if account_manager_id is not _UNSET:
        await _check_manager(account_manager_id, problems)
        values["account_manager_id"] = account_manager_id
    problems.raise_if_any()
    async with in_transaction():
        locked = await Customer.filter(id=customer_id).select_for_update().first()
        if locked is None:
            raise NotFoundError("Customer", customer_id)
        if expected_updated_at is not None and locked.updated_at != expected_updated_at:
            raise ConflictError("the customer was changed by someone else; reload and retry")
        if values:
            locked.update_from_dict(values)
            await locked.save()
        await custom_fields.store(customer_id, cleaned, defs)
    return locked
