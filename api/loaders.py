"""Per-request DataLoaders: one SQL statement per relation and request shape, never per row."""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

from tortoise.models import Model

from api.dataloader import DataLoader
from domain.application.models import Application
from domain.credit.models import CreditReport
from domain.customer.models import Customer, CustomerExternalRef, CustomerTag
from domain.customfield.models import CustomFieldValue
from domain.customfield.service import typed
from domain.interaction.models import Interaction
from domain.loan.models import Installment, Loan, Payment
from domain.product.models import Product
from domain.user.models import User

M = TypeVar("M", bound=Model)
K = TypeVar("K", bound=Hashable)


def _by_id(model: type[M]) -> Callable[[list[int]], Awaitable[list[M | None]]]:
    async def load(ids: list[int]) -> list[M | None]:
        rows = {row.pk: row for row in await model.filter(id__in=ids)}
        return [rows.get(i) for i in ids]

    return load


def _grouped(keys: Sequence[K], rows: Iterable[Any], key: Callable[[Any], K]) -> list[list[Any]]:
    groups: defaultdict[K, list[Any]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return [groups.get(k, []) for k in keys]


def _children(
    model: type[M], fk: str, *order: str
) -> Callable[[list[int]], Awaitable[list[list[M]]]]:
    async def load(ids: list[int]) -> list[list[M]]:
        rows = await model.filter(**{f"{fk}__in": ids}).order_by(*order)
        return _grouped(ids, rows, lambda r: getattr(r, fk))

    return load


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
    """The DataLoaders of one request."""

    def __init__(self) -> None:
        self.customer = DataLoader(_by_id(Customer))
        self.user = DataLoader(_by_id(User))
        self.loan = DataLoader(_by_id(Loan))
        self.application = DataLoader(_by_id(Application))
        self.interaction = DataLoader(_by_id(Interaction))
        self.product = DataLoader(_by_id(Product))
        self.loans_by_customer = DataLoader(_children(Loan, "customer_id", "id"))
        self.installments_by_loan = DataLoader(_children(Installment, "loan_id", "seq"))
        self.payments_by_loan = DataLoader(_children(Payment, "loan_id", "paid_at", "id"))
        self.applications_by_customer = DataLoader(
            _children(Application, "customer_id", "-submitted_at", "-id")
        )
        self.credit_reports_by_customer = DataLoader(
            _children(CreditReport, "customer_id", "-pulled_at", "-id")
        )
        self.interactions_by_customer = DataLoader(
            _children(Interaction, "customer_id", "-occurred_at", "-id")
        )
        self.external_refs_by_customer = DataLoader(
            _children(CustomerExternalRef, "customer_id", "source", "external_id")
        )
        self.tags_by_customer = DataLoader(_tags)
        self.custom_fields_by_customer = DataLoader(_custom_fields)
