"""References from rows to other records, resolved in bulk: one query per kind per batch."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from domain.campaign.models import Campaign
from domain.customer.models import CustomerExternalRef
from domain.importer import values
from domain.importer.rows import Key, Row, key_filter
from domain.loan.models import Loan, LoanStatus
from domain.loan.schedule import AmortizationMethod
from domain.product.models import Product
from domain.user.models import User


@dataclass(frozen=True, slots=True)
class LoanRef:
    """What rows that name a loan need to know about it."""

    id: int
    customer_id: int
    disbursed_on: date
    status: LoanStatus


@dataclass(frozen=True, slots=True)
class ProductRef:
    """What a loan row needs to know about its product."""

    id: int
    method: AmortizationMethod


def _ref_key(row: Row, id_column: str, source_column: str) -> Key | None:
    external_id = values.text(row, id_column, max_len=128, required=True)
    source = values.text(row, source_column, max_len=64) or row.source
    return None if external_id is None else (source, external_id)


def _describe(key: Key) -> str:
    return f"'{key[1]}' (source '{key[0]}')"


async def resolve_customers(rows: Sequence[Row]) -> None:
    """Set values['customer_id'] from customer_external_id (+ customer_source)."""
    wanted = {row.line: _ref_key(row, "customer_external_id", "customer_source") for row in rows}
    keys = {k for k in wanted.values() if k is not None}
    found: dict[Key, int] = {}
    if keys:
        query = CustomerExternalRef.filter(**key_filter(keys))
        for source, external_id, customer_id in await query.values_list(
            "source", "external_id", "customer_id"
        ):
            found[(str(source), str(external_id))] = int(customer_id)
    for row in rows:
        key = wanted[row.line]
        if key is None:
            continue
        if key in found:
            row.values["customer_id"] = found[key]
        else:
            row.add("customer_external_id", f"no customer {_describe(key)}")


async def resolve_loans(rows: Sequence[Row], *, required: bool) -> dict[int, LoanRef]:
    """The loan each row names by loan_external_id (+ loan_source), by row line."""
    wanted: dict[int, Key] = {}
    for row in rows:
        if required or row.given("loan_external_id"):
            key = _ref_key(row, "loan_external_id", "loan_source")
            if key is not None:
                wanted[row.line] = key
    found: dict[Key, LoanRef] = {}
    if wanted:
        query = Loan.filter(**key_filter(wanted.values())).values_list(
            "source", "external_id", "id", "customer_id", "disbursed_on", "status"
        )
        for source, external_id, loan_id, customer_id, disbursed_on, status in await query:
            key = (str(source), str(external_id))
            found[key] = LoanRef(int(loan_id), int(customer_id), disbursed_on, LoanStatus(status))
    result: dict[int, LoanRef] = {}
    for row in rows:
        key = wanted.get(row.line)
        if key is None:
            continue
        if key in found:
            result[row.line] = found[key]
        else:
            row.add("loan_external_id", f"no loan {_describe(key)}")
    return result


async def resolve_users(
    rows: Sequence[Row], column: str, target: str, *, keep: dict[int, int | None] | None = None
) -> None:
    """Set values[target] to the id of the user named in `column` (None when empty)."""
    # With `keep` (row line -> stored user id) the user must be active, unless it is the one
    # already stored: re-running a file never fails on someone who has left since.
    names = {row.line: values.text(row, column, max_len=64) for row in rows if column in row.data}
    wanted = {name for name in names.values() if name}
    found: dict[str, tuple[int, bool]] = {}
    if wanted:
        query = User.filter(username__in=sorted(wanted)).values_list("username", "id", "is_active")
        found = {str(n): (int(i), bool(active)) for n, i, active in await query}
    for row in rows:
        if row.line not in names:
            continue
        name = names[row.line]
        user = found.get(name) if name else None
        if not name:
            row.values[target] = None
        elif user is None:
            row.add(column, f"no user '{name}'")
        elif keep is not None and not user[1] and keep.get(row.line) != user[0]:
            row.add(column, f"user '{name}' is not active")
        else:
            row.values[target] = user[0]


async def products_by_code(codes: set[str]) -> dict[str, ProductRef]:
    """Products by code."""
    if not codes:
        return {}
    query = Product.filter(code__in=sorted(codes)).values_list("code", "id", "method")
    return {str(c): ProductRef(int(i), AmortizationMethod(m)) for c, i, m in await query}


async def campaigns_by_code(codes: set[str]) -> dict[str, int]:
    """Campaign ids by code."""
    if not codes:
        return {}
    query = Campaign.filter(code__in=sorted(codes)).values_list("code", "id")
    return {str(code): int(campaign_id) for code, campaign_id in await query}
