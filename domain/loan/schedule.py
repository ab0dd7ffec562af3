"""Repayment schedules: equal installments (annuity) and equal principal.

Pure functions over ``decimal.Decimal``; amounts are rounded half-up to cents per installment
and the last installment absorbs the rounding so that principal parts sum exactly to P.
"""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

__all__ = [
    "CENT",
    "AmortizationMethod",
    "PlannedInstallment",
    "add_months",
    "first_due_date",
    "installment_amount",
    "monthly_rate",
    "schedule_for",
    "to_cents",
]

CENT = Decimal("0.01")
_ZERO = Decimal("0.00")
_PRECISION = 40


class AmortizationMethod(enum.StrEnum):
    """How each installment splits between principal and interest."""

    EQUAL_INSTALLMENT = "EQUAL_INSTALLMENT"  # annuity, 等额本息
    EQUAL_PRINCIPAL = "EQUAL_PRINCIPAL"  # 等额本金


@dataclass(frozen=True, slots=True)
class PlannedInstallment:
    """One row of a repayment schedule."""

    seq: int
    due_date: date
    principal_due: Decimal
    interest_due: Decimal

    @property
    def total_due(self) -> Decimal:
        """Principal plus interest due on this installment."""
        return self.principal_due + self.interest_due


def to_cents(value: Decimal) -> Decimal:
    """Round a money amount half-up to cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def add_months(start: date, months: int) -> date:
    """Return the same day of month ``months`` later, clamped to the end of the target month."""
    index = start.year * 12 + (start.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))


def due_date(first_due: date, k: int, anchor_day: int | None = None) -> date:
    """The k-th due date after the first, on the anchor day of month (clamped to month end)."""
    month_start = add_months(first_due.replace(day=1), k)
    last_day = calendar.monthrange(month_start.year, month_start.month)[1]
    return month_start.replace(day=min(anchor_day or first_due.day, last_day))


def first_due_date(disbursed_on: date) -> date:
    """Return the first due date: one month after disbursement, clamped to month end."""
    return add_months(disbursed_on, 1)


def monthly_rate(annual_rate: Decimal) -> Decimal:
    """Return the unrounded monthly rate r/12 (computed with 40 significant digits)."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return annual_rate / 12


def _validate(principal: Decimal, annual_rate: Decimal, term_months: int) -> None:
    if not isinstance(principal, Decimal) or not principal.is_finite():
        raise ValueError(f"principal must be a finite Decimal, got {principal!r}")
    if principal <= 0:
        raise ValueError(f"principal must be > 0, got {principal}")
    if principal != to_cents(principal):
        raise ValueError(f"principal must be a whole number of cents, got {principal}")
    if not isinstance(annual_rate, Decimal) or not annual_rate.is_finite():
        raise ValueError(f"annual_rate must be a finite Decimal fraction, got {annual_rate!r}")
    if annual_rate < 0:
        raise ValueError(f"annual_rate must be >= 0 (a fraction, 0.12 = 12%), got {annual_rate}")
    if isinstance(term_months, bool) or not isinstance(term_months, int) or term_months < 1:
        raise ValueError(f"term_months must be an integer >= 1, got {term_months!r}")


def installment_amount(principal: Decimal, annual_rate: Decimal, term_months: int) -> Decimal:
    """Return the annuity payment A = P·i/(1−(1+i)^−n) in cents (P/n when the rate is 0)."""
    _validate(principal, annual_rate, term_months)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        if annual_rate == 0:
            return to_cents(principal / term_months)
        i = monthly_rate(annual_rate)
        return to_cents(principal * i / (1 - (1 + i) ** -term_months))


def schedule_for(
    *,
    principal: Decimal,
    annual_rate: Decimal,
    term_months: int,
    first_due: date,
    method: AmortizationMethod,
    start_seq: int = 1,
    anchor_day: int | None = None,
) -> list[PlannedInstallment]:
    """Build the repayment schedule; the last installment absorbs all rounding.

    Due dates fall on `anchor_day` (the disbursement day of month) clamped to each month's
    end, so a loan disbursed on Jan 31 is due on Feb 28, Mar 31, Apr 30, ...
    """
    _validate(principal, annual_rate, term_months)
    if isinstance(start_seq, bool) or not isinstance(start_seq, int) or start_seq < 1:
        raise ValueError(f"start_seq must be an integer >= 1, got {start_seq!r}")
    method = AmortizationMethod(method)
    if method is AmortizationMethod.EQUAL_INSTALLMENT:
        level = installment_amount(principal, annual_rate, term_months)
    else:
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            level = to_cents(principal / term_months)
    i = monthly_rate(annual_rate)

    rows: list[PlannedInstallment] = []
    outstanding = principal
    for k in range(term_months):
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            interest = to_cents(outstanding * i)
        if k == term_months - 1:
            principal_part = outstanding
        elif method is AmortizationMethod.EQUAL_INSTALLMENT:
            # Clamped: with A rounded to cents, high rates over long terms can pay the loan off
            # early (A - interest > outstanding) or leave A below the interest due.
            principal_part = min(max(level - interest, _ZERO), outstanding)
        else:
            principal_part = min(level, outstanding)
        rows.append(
            PlannedInstallment(
                seq=start_seq + k,
                due_date=due_date(first_due, k, anchor_day),
                principal_due=principal_part,
                interest_due=interest,
            )
        )
        outstanding -= principal_part
    return rows
