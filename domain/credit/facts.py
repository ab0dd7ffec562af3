"""What deciding an application reads about it, in one statement.

The application's terms and product, the applicant's monthly income, the newest credit report,
the worst days past due of the applicant's active loans and the business date: read together,
each value converted by its column's own field so it is what the models would give.

A credit approval reads them at its start and its scoring task reads them in the run: what the
start read is kept (`kept`) for the run's first service call, and forgotten as soon as any
call has answered (`forget`, by the service handler), so a call that may have written what they
read (a pulled report) is followed by a read anew. The scoring task that comes first, as it
does when the report is fresh, sends no statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from tortoise.models import Model

from domain import sqltext
from domain.application.models import Application, ApplicationStatus
from domain.clock import service as clock
from domain.clock.models import BusinessDay
from domain.credit.models import CreditReport
from domain.customer.models import Customer
from domain.loan.models import LoanStatus
from domain.product.models import Product

_FACTS = """
SELECT a.id, a.customer_id, a.amount, a.term_months, a.status, p.code AS product_code,
       c.monthly_income, r.score, r.total_debt, r.pulled_at,
       (SELECT b.current FROM business_day b WHERE b.id = 1) AS today,
       (SELECT MAX(l.days_past_due) FROM loan l
         WHERE l.customer_id = a.customer_id AND l.status = :active) AS worst_dpd
FROM application a
JOIN product p ON p.id = a.product_id
JOIN customer c ON c.id = a.customer_id
LEFT JOIN credit_report r ON r.id = (
    SELECT n.id FROM credit_report n WHERE n.customer_id = a.customer_id
    ORDER BY n.pulled_at DESC, n.id DESC LIMIT 1)
WHERE a.id = :application_id
"""


@dataclass(frozen=True, slots=True)
class ApplicationFacts:
    """An application as its decision sees it."""

    application_id: int
    customer_id: int
    amount: Decimal
    term_months: int
    status: ApplicationStatus
    product_code: str
    monthly_income: Decimal | None
    bureau_score: int | None  # of the newest report; None without one
    total_debt: Decimal | None
    pulled_at: datetime | None
    worst_dpd: int  # of the active loans; 0 without one
    today: date  # the business date

    @property
    def has_report(self) -> bool:
        """Whether the applicant has a credit report."""
        return self.pulled_at is not None


def as_field(model: type[Model], name: str, raw: Any) -> Any:
    """A value read by raw SQL as the model's field ``name`` would give it (None stays None)."""
    return None if raw is None else model._meta.fields_map[name].to_python_value(raw)


_kept: ContextVar[ApplicationFacts | None] = ContextVar("application_facts", default=None)


@contextmanager
def kept(found: ApplicationFacts) -> Iterator[None]:
    """Answer `of` for this application with `found` inside the block (and the contexts it
    starts) until `forget` is called there."""
    token = _kept.set(found)
    try:
        yield
    finally:
        _kept.reset(token)


def forget() -> None:
    """Read the facts anew from here on (something may have written what they read)."""
    if _kept.get() is not None:
        _kept.set(None)


async def of(application_id: int) -> ApplicationFacts | None:
    """The facts of an application (as `kept` keeps them, else read); None when there is no
    such application."""
    known = _kept.get()
    if known is not None and known.application_id == application_id:
        return known
    _, rows = await sqltext.execute(
        _FACTS, {"application_id": application_id, "active": LoanStatus.ACTIVE.value}
    )
    if not rows:
        return None
    row = rows[0]
    today = as_field(BusinessDay, "current", row["today"])
    return ApplicationFacts(
        application_id=int(row["id"]),
        customer_id=int(row["customer_id"]),
        amount=as_field(Application, "amount", row["amount"]),
        term_months=int(row["term_months"]),
        status=ApplicationStatus(row["status"]),
        product_code=as_field(Product, "code", row["product_code"]),
        monthly_income=as_field(Customer, "monthly_income", row["monthly_income"]),
        bureau_score=as_field(CreditReport, "score", row["score"]),
        total_debt=as_field(CreditReport, "total_debt", row["total_debt"]),
        pulled_at=as_field(CreditReport, "pulled_at", row["pulled_at"]),
        worst_dpd=int(row["worst_dpd"] or 0),
        today=today if today is not None else clock.local_date(datetime.now(UTC)),
    )
