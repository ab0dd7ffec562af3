"""Loan products: defined and changed by administrators, checked before they are stored."""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.errors import Problems
from domain.loan.schedule import AmortizationMethod
from domain.product.models import Product

CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
MAX_TERM_MONTHS = 480  # forty years: mortgages included
RATE_CEILING = Decimal("1")  # 100 % a year: above that a rate is a typo, not a product


@dataclass(frozen=True, slots=True)
class ProductTerms:
    """What a product lends: its amortization and the bounds an application must fit."""

    code: str
    name: str
    method: AmortizationMethod
    min_rate: Decimal
    max_rate: Decimal
    min_term: int
    max_term: int
    min_amount: Decimal
    max_amount: Decimal
    active: bool = True


def _check_money(problems: Problems, field: str, value: Decimal) -> None:
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        problems.add(field, "must be an amount in whole cents")
    elif value <= 0:
        problems.add(field, "must be more than 0")
    elif value >= Decimal("1e14"):
        problems.add(field, "must be less than 100,000,000,000,000")


def _check_rate(problems: Problems, field: str, value: Decimal) -> None:
    if not value.is_finite() or value != value.quantize(Decimal("0.000001")):
        problems.add(field, "must be a yearly rate with at most 6 decimals (0.1200 is 12 %)")
    elif not Decimal("0") <= value <= RATE_CEILING:
        problems.add(field, f"must be between 0 and {RATE_CEILING} (a share, 0.12 is 12 %)")


def check(terms: ProductTerms) -> None:
    """Refuse terms that no application could fit, naming every offending field."""
    problems = Problems()
    if not CODE.match(terms.code):
        problems.add("code", "must be 1-32 capital letters, digits or _, starting with a letter")
    if not terms.name.strip() or len(terms.name) > 128:
        problems.add("name", "must be 1-128 characters")
    _check_rate(problems, "min_rate", terms.min_rate)
    _check_rate(problems, "max_rate", terms.max_rate)
    rates = (terms.min_rate, terms.max_rate)
    if all(r.is_finite() for r in rates) and terms.min_rate > terms.max_rate:
        problems.add("max_rate", "must not be below min_rate")
    for field, term in (("min_term", terms.min_term), ("max_term", terms.max_term)):
        if not 1 <= term <= MAX_TERM_MONTHS:
            problems.add(field, f"must be between 1 and {MAX_TERM_MONTHS} months")
    if terms.min_term > terms.max_term:
        problems.add("max_term", "must not be below min_term")
    _check_money(problems, "min_amount", terms.min_amount)
    _check_money(problems, "max_amount", terms.max_amount)
    if (
        terms.min_amount.is_finite()
        and terms.max_amount.is_finite()
        and terms.min_amount > terms.max_amount
    ):
        problems.add("max_amount", "must not be below min_amount")
    problems.raise_if_any()


async def save(terms: ProductTerms) -> tuple[Product, dict[str, Any] | None]:
    """Create the product or change it (keyed by code). Returns the row and its values before.

    Loans already made keep their own principal, rate and term: a change applies to new
    applications only. Deactivating a product stops new applications for it.
    """
    check(terms)
    values: dict[str, Any] = {
        "name": terms.name.strip(),
        "method": terms.method,
        "min_rate": terms.min_rate,
        "max_rate": terms.max_rate,
        "min_term": terms.min_term,
        "max_term": terms.max_term,
        "min_amount": terms.min_amount,
        "max_amount": terms.max_amount,
        "active": terms.active,
    }
    row = await Product.select_for_update().get_or_none(code=terms.code)
    if row is None:
        return await Product.create(code=terms.code, **values), None
    before = {name: getattr(row, name) for name in values}
    row.update_from_dict(values)
    await row.save()
    return row, before
