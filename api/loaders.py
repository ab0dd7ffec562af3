"""Per-request DataLoaders: one SQL statement per relation and request shape, never per row.

Each loader's base query carries the caller's row scope, so a row outside it cannot be reached
through any path (node, nested fields in either direction): it loads as if it did not exist.
"""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model

from api.dataloader import DataLoader
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


def _by_id(model: type[M], scope: Q) -> Callable[[list[int]], Awaitable[list[M | None]]]:
    async def load(ids: list[int]) -> list[M | None]:
        rows = {row.pk: row for row in await model.filter(scope, id__in=ids)}
        return [rows.get(i) for i in ids]

    return load


def _grouped(keys: Sequence[K], rows: Iterable[Any], key: Callable[[Any], K]) -> list[list[Any]]:
    groups: defaultdict[K, list[Any]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return [groups.get(k, []) for k in keys]


def _children(
    model: type[M], fk: str, scope: Q, *order: str
) -> Callable[[list[int]], Awaitable[list[list[M]]]]:
    async def load(ids: list[int]) -> list[list[M]]:
        rows = await model.filter(scope, **{f"{fk}__in": ids}).order_by(*order)
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


class Loaders:
    """The DataLoaders of one request, each limited to the rows the caller may read."""

    def __init__(self, scopes: Mapping[str, Q]) -> None:
        def s(obj: str) -> Q:
            return scopes.get(obj, Q())

        self.customer = DataLoader(_by_id(Customer, s("customer")))
        self.user = DataLoader(_by_id(User, Q()))
        self.loan = DataLoader(_by_id(Loan, s("loan")))
        self.application = DataLoader(_by_id(Application, s("application")))
        self.interaction = DataLoader(_by_id(Interaction, s("interaction")))
        self.payment = DataLoader(_by_id(Payment, s("payment")))
        self.product = DataLoader(_by_id(Product, Q()))
        self.loans_by_customer = DataLoader(_children(Loan, "customer_id", s("loan"), "id"))
        self.installments_by_loan = DataLoader(_children(Installment, "loan_id", Q(), "seq"))
        self.payments_by_loan = DataLoader(
            _children(Payment, "loan_id", s("payment"), "paid_at", "id")
        )
        self.applications_by_customer = DataLoader(
            _children(Application, "customer_id", s("application"), "-submitted_at", "-id")
        )
        self.credit_reports_by_customer = DataLoader(
            _children(CreditReport, "customer_id", s("credit_report"), "-pulled_at", "-id")
        )
        self.interactions_by_customer = DataLoader(
            _children(Interaction, "customer_id", s("interaction"), "-occurred_at", "-id")
        )
        self.external_refs_by_customer = DataLoader(
            _children(CustomerExternalRef, "customer_id", Q(), "source", "external_id")
        )
        self.process_instance = DataLoader(_instances)
        self.instance_by_business_key = DataLoader(_latest_instances)
        self.tasks_by_instance = DataLoader(_children(WorkTask, "instance_id", s("task"), "id"))
        self.waits_by_instance = DataLoader(_children(ProcessWait, "instance_id", Q(), "due_at"))
        self.tags_by_customer = DataLoader(_tags)
        self.profile_by_customer = DataLoader(_profiles)
        self.profile_changes_by_customer = DataLoader(
            _children(ProfileChange, "customer_id", Q(), "-business_date", "-id")
        )
        self.custom_fields_by_customer = DataLoader(_custom_fields)

    @classmethod
    def unscoped(cls) -> "Loaders":
        """Loaders that see every row (for trusted in-process callers, never for requests)."""
        return cls({})
