"""Per-request DataLoaders: one SQL statement per relation and request shape, never per row.

Each loader's base query carries the caller's row scope, so a row outside it cannot be reached
through any path (node, nested fields in either direction): it loads as if it did not exist.
"""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from api.dataloader import DataLoader
from domain import shapes
from domain.application.models import Application
from domain.credit.models import CreditReport
from domain.customer.models import Customer, CustomerExternalRef, CustomerTag
from domain.customfield.models import CustomFieldValue
from domain.customfield.service import typed
from domain.interaction.models import Interaction
from domain.loan.models import Installment, Loan, Payment
from domain.process.models import ProcessInstance, ProcessWait, WorkTask
from domain.product.models import Product
from domain.profile.models import CustomerProfile, ProfileChange
from domain.user.models import User

M = TypeVar("M", bound=Model)
K = TypeVar("K", bound=Hashable)
SCOPED = ("customer", "loan", "application", "interaction", "payment", "credit_report")


EVERY_ROW = ("every row",)  # the key of a loader's query without a scope


def _by_id(
    model: type[M], scope: Q, key: Hashable | None
) -> Callable[[list[int]], Awaitable[list[M | None]]]:
    """Rows by key within `scope`; `key` names what the scope depends on (None: build the
    query at every call), so its statement is built once per key and batch size."""

    def query(ids: Sequence[int]) -> QuerySet[M]:
        return model.filter(scope, id__in=list(ids))

    async def load(ids: list[int]) -> list[M | None]:
        found = await _select(model, ("by_id", model), key, query, ids)
        rows = {row.pk: row for row in found}
        return [rows.get(i) for i in ids]

    return load


async def _select(
    model: type[M], site: tuple[Any, ...], key: Hashable | None,
    query: Callable[[Sequence[int]], QuerySet[M]], ids: list[int],
) -> list[M]:  # fmt: skip
    """`query(ids)`'s rows: from its shape kept under `site` and `key`, or built now (no key)."""
    if key is None or not all(type(i) is int for i in ids):
        return list(await query(ids))
    return await shapes.models(("api.loaders", *site, key), model, query, ids)


def _grouped(keys: Sequence[K], rows: Iterable[Any], key: Callable[[Any], K]) -> list[list[Any]]:
    groups: defaultdict[K, list[Any]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return [groups.get(k, []) for k in keys]


def _children(
    model: type[M], fk: str, scope: Q, *order: str, key: Hashable | None
) -> Callable[[list[int]], Awaitable[list[list[M]]]]:
    def query(ids: Sequence[int]) -> QuerySet[M]:
        return model.filter(scope, **{f"{fk}__in": list(ids)}).order_by(*order)

    async def load(ids: list[int]) -> list[list[M]]:
        rows = await _select(model, ("children", model, fk, order), key, query, ids)
        return _grouped(ids, rows, lambda r: getattr(r, fk))

    return load


async def _instances(ids: list[int]) -> list[ProcessInstance | None]:
    rows = {
        r.id: r for r in await ProcessInstance.filter(id__in=ids).prefetch_related("definition")
    }
    return [rows.get(i) for i in ids]


async def _latest_instances(keys: list[str]) -> list[ProcessInstance | None]:
    rows = await (
        ProcessInstance.filter(business_key__in=keys).order_by("-id").prefetch_related("definition")
    )
    latest: dict[str, ProcessInstance] = {}
    for row in rows:
        latest.setdefault(row.business_key, row)
    return [latest.get(k) for k in keys]


async def _profiles(ids: list[int]) -> list[CustomerProfile | None]:
    rows = {r.customer_id: r for r in await CustomerProfile.filter(customer_id__in=ids)}  # type: ignore[attr-defined]
    return [rows.get(i) for i in ids]


async def _tags(ids: list[int]) -> list[list[tuple[str, str]]]:
    rows = await (
        CustomerTag.filter(customer_id__in=ids)
        .order_by("tag__name")
        .values_list("customer_id", "tag__name", "explanation")
    )
    grouped = _grouped(ids, rows, lambda r: r[0])
    return [[(name, why) for _, name, why in group] for group in grouped]


async def _custom_fields(ids: list[int]) -> list[dict[str, Any]]:
    rows = await CustomFieldValue.filter(customer_id__in=ids).prefetch_related("field")
    out: defaultdict[int, dict[str, Any]] = defaultdict(dict)
    for row in rows:
        out[row.customer_id][row.field.name] = typed(row.field, row.value_text)  # type: ignore[attr-defined]
    return [out.get(i, {}) for i in ids]


ScopeOf = Callable[[str], Q]


class Loaders:
    """The DataLoaders of one request, each limited to the rows the caller may read.

    A loader, and the row filter of its object, is made the first time a resolver asks for it:
    most requests use two or three of them, and every request would otherwise pay for all.
    `scopes` gives each object's filter, as a mapping (a missing object: every row) or as a
    function called at most once per object.
    """

    def __init__(self, scopes: Mapping[str, Q] | ScopeOf, key: Hashable | None = None) -> None:
        self._scope_of = scopes
        self._scopes: dict[str, Q] = {}
        self._key = key

    def keyed(self, obj: str) -> Hashable | None:
        """What an object's filter depends on (the caller and the policy version, given by
        whoever made the loaders), or None: its statements are then built at every call."""
        return None if self._key is None else (obj, self._key)

    def scope(self, obj: str) -> Q:
        """The row filter of an object for this request's caller (Q() for every row)."""
        found = self._scopes.get(obj)
        if found is None:
            given = self._scope_of
            found = given.get(obj, Q()) if isinstance(given, Mapping) else given(obj)
            self._scopes[obj] = found
        return found

    @cached_property
    def customer(self) -> DataLoader[int, Customer | None]:
        return DataLoader(_by_id(Customer, self.scope("customer"), self.keyed("customer")))

    @cached_property
    def user(self) -> DataLoader[int, User | None]:
        return DataLoader(_by_id(User, Q(), EVERY_ROW))

    @cached_property
    def loan(self) -> DataLoader[int, Loan | None]:
        return DataLoader(_by_id(Loan, self.scope("loan"), self.keyed("loan")))

    @cached_property
    def application(self) -> DataLoader[int, Application | None]:
        return DataLoader(_by_id(Application, self.scope("application"), self.keyed("application")))

    @cached_property
    def interaction(self) -> DataLoader[int, Interaction | None]:
        return DataLoader(_by_id(Interaction, self.scope("interaction"), self.keyed("interaction")))

    @cached_property
    def payment(self) -> DataLoader[int, Payment | None]:
        return DataLoader(_by_id(Payment, self.scope("payment"), self.keyed("payment")))

    @cached_property
    def product(self) -> DataLoader[int, Product | None]:
        return DataLoader(_by_id(Product, Q(), EVERY_ROW))

    @cached_property
    def loans_by_customer(self) -> DataLoader[int, list[Loan]]:
        return DataLoader(
            _children(Loan, "customer_id", self.scope("loan"), "id", key=self.keyed("loan"))
        )

    @cached_property
    def installments_by_loan(self) -> DataLoader[int, list[Installment]]:
        return DataLoader(_children(Installment, "loan_id", Q(), "seq", key=EVERY_ROW))

    @cached_property
    def payments_by_loan(self) -> DataLoader[int, list[Payment]]:
        return DataLoader(
            _children(
                Payment,
                "loan_id",
                self.scope("payment"),
                "paid_at",
                "id",
                key=self.keyed("payment"),
            )
        )

    @cached_property
    def applications_by_customer(self) -> DataLoader[int, list[Application]]:
        scope, key = self.scope("application"), self.keyed("application")
        return DataLoader(
            _children(Application, "customer_id", scope, "-submitted_at", "-id", key=key)
        )

    @cached_property
    def credit_reports_by_customer(self) -> DataLoader[int, list[CreditReport]]:
        scope, key = self.scope("credit_report"), self.keyed("credit_report")
        return DataLoader(
            _children(CreditReport, "customer_id", scope, "-pulled_at", "-id", key=key)
        )

    @cached_property
    def interactions_by_customer(self) -> DataLoader[int, list[Interaction]]:
        scope, key = self.scope("interaction"), self.keyed("interaction")
        return DataLoader(
            _children(Interaction, "customer_id", scope, "-occurred_at", "-id", key=key)
        )

    @cached_property
    def external_refs_by_customer(self) -> DataLoader[int, list[CustomerExternalRef]]:
        return DataLoader(
            _children(
                CustomerExternalRef, "customer_id", Q(), "source", "external_id", key=EVERY_ROW
            )
        )

    @cached_property
    def process_instance(self) -> DataLoader[int, ProcessInstance | None]:
        return DataLoader(_instances)

    @cached_property
    def instance_by_business_key(self) -> DataLoader[str, ProcessInstance | None]:
        return DataLoader(_latest_instances)

    @cached_property
    def tasks_by_instance(self) -> DataLoader[int, list[WorkTask]]:
        return DataLoader(
            _children(WorkTask, "instance_id", self.scope("task"), "id", key=self.keyed("task"))
        )

    @cached_property
    def waits_by_instance(self) -> DataLoader[int, list[ProcessWait]]:
        return DataLoader(_children(ProcessWait, "instance_id", Q(), "due_at", key=EVERY_ROW))

    @cached_property
    def tags_by_customer(self) -> DataLoader[int, list[tuple[str, str]]]:
        return DataLoader(_tags)

    @cached_property
    def profile_by_customer(self) -> DataLoader[int, CustomerProfile | None]:
        return DataLoader(_profiles)

    @cached_property
    def profile_changes_by_customer(self) -> DataLoader[int, list[ProfileChange]]:
        return DataLoader(
            _children(ProfileChange, "customer_id", Q(), "-business_date", "-id", key=EVERY_ROW)
        )

    @cached_property
    def custom_fields_by_customer(self) -> DataLoader[int, dict[str, Any]]:
        return DataLoader(_custom_fields)

    @classmethod
    def unscoped(cls) -> "Loaders":
        """Loaders that see every row (for trusted in-process callers, never for requests)."""
        return cls({}, key=EVERY_ROW)
