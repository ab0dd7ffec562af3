"""Payment allocation (oldest first: fees, interest, principal) and principal prepayment."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.loan.schedule import AmortizationMethod, PlannedInstallment, schedule_for, to_cents

__all__ = [
    "AllocationLine",
    "AllocationResult",
    "InstallmentState",
    "PrepaymentResult",
    "allocate",
    "apply",
    "prepay",
]

_ZERO = Decimal("0")


@dataclass(slots=True)
class InstallmentState:
    """What is owed and already paid on one installment."""

    seq: int
    due_date: date
    principal_due: Decimal
    interest_due: Decimal
    fee_due: Decimal = _ZERO
    principal_paid: Decimal = _ZERO
    interest_paid: Decimal = _ZERO
    fee_paid: Decimal = _ZERO

    @property
    def fee_outstanding(self) -> Decimal:
        """Fees still owed (never negative)."""
        return max(self.fee_due - self.fee_paid, _ZERO)

    @property
    def interest_outstanding(self) -> Decimal:
        """Interest still owed (never negative)."""
        return max(self.interest_due - self.interest_paid, _ZERO)

    @property
    def principal_outstanding(self) -> Decimal:
        """Principal still owed (never negative)."""
        return max(self.principal_due - self.principal_paid, _ZERO)

    @property
    def outstanding(self) -> Decimal:
        """Total still owed on this installment."""
        return self.fee_outstanding + self.interest_outstanding + self.principal_outstanding

    @property
    def is_paid(self) -> bool:
        """True when nothing is owed any more."""
        return self.outstanding == 0

    @property
    def nothing_paid(self) -> bool:
        """True when no money has been applied to this installment yet."""
        return self.fee_paid == 0 and self.interest_paid == 0 and self.principal_paid == 0


@dataclass(frozen=True, slots=True)
class AllocationLine:
    """Money applied to one installment."""

    seq: int
    fee: Decimal
    interest: Decimal
    principal: Decimal

    @property
    def total(self) -> Decimal:
        """Fee plus interest plus principal."""
        return self.fee + self.interest + self.principal


@dataclass(frozen=True, slots=True)
class AllocationResult:
    """Lines (oldest first, only installments that received money) and the excess."""

    lines: list[AllocationLine]
    excess: Decimal

    @property
    def allocated(self) -> Decimal:
        """Total applied to installments."""
        return sum((line.total for line in self.lines), _ZERO)


@dataclass(frozen=True, slots=True)
class PrepaymentResult:
    """Principal prepaid, credit left over, and the re-amortized remaining schedule."""

    principal_prepaid: Decimal
    credit: Decimal
    new_schedule: list[PlannedInstallment]


def _check_money(name: str, value: Decimal, *, positive: bool) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"{name} must be a finite Decimal, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if not positive and value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    if value != to_cents(value):
        raise ValueError(f"{name} must have at most 2 decimal places, got {value}")


def _check_unique_seqs(installments: Sequence[InstallmentState]) -> None:
    seqs = [inst.seq for inst in installments]
    if len(seqs) != len(set(seqs)):
        raise ValueError(f"installment seqs must be unique, got {sorted(seqs)}")


def _considered(installments: Sequence[InstallmentState], paid_on: date) -> list[InstallmentState]:
    unpaid = sorted(
        (inst for inst in installments if not inst.is_paid), key=lambda s: (s.due_date, s.seq)
    )
    due = [inst for inst in unpaid if inst.due_date <= paid_on]
    upcoming = [inst for inst in unpaid if inst.due_date > paid_on]
    return due + upcoming[:1]


def allocate(
    amount: Decimal, installments: Sequence[InstallmentState], *, paid_on: date
) -> AllocationResult:
    """Allocate a payment to overdue dues plus the next installment, oldest first."""
    _check_money("amount", amount, positive=True)
    _check_unique_seqs(installments)
    left = amount
    lines: list[AllocationLine] = []
    for inst in _considered(installments, paid_on):
        if left == 0:
            break
        fee = min(left, inst.fee_outstanding)
        left -= fee
        interest = min(left, inst.interest_outstanding)
        left -= interest
        principal = min(left, inst.principal_outstanding)
        left -= principal
        line = AllocationLine(seq=inst.seq, fee=fee, interest=interest, principal=principal)
        if line.total > 0:
            lines.append(line)
    return AllocationResult(lines=lines, excess=left)


def apply(
    installments: Sequence[InstallmentState], result: AllocationResult
) -> list[InstallmentState]:
    """Return updated copies of the installments with the allocation applied (input order)."""
    _check_unique_seqs(installments)
    by_seq = {line.seq: line for line in result.lines}
    if len(by_seq) != len(result.lines):
        raise ValueError("allocation lines must have unique seqs")
    known = {inst.seq for inst in installments}
    unknown = sorted(set(by_seq) - known)
    if unknown:
        raise ValueError(f"allocation refers to unknown installment seqs {unknown}")
    updated: list[InstallmentState] = []
    for inst in installments:
        line = by_seq.get(inst.seq)
        if line is None:
            updated.append(dataclasses.replace(inst))
            continue
        if (
            line.fee > inst.fee_outstanding
            or line.interest > inst.interest_outstanding
            or line.principal > inst.principal_outstanding
        ):
            raise ValueError(f"allocation for installment {inst.seq} exceeds what is owed")
        updated.append(
            dataclasses.replace(
                inst,
                fee_paid=inst.fee_paid + line.fee,
                interest_paid=inst.interest_paid + line.interest,
                principal_paid=inst.principal_paid + line.principal,
            )
        )
    return updated


def prepay(
    excess: Decimal,
    remaining: Sequence[InstallmentState],
    *,
    annual_rate: Decimal,
    method: AmortizationMethod,
) -> PrepaymentResult:
    """Prepay principal of the untouched remaining installments and re-amortize them."""
    _check_money("excess", excess, positive=False)
    ordered = sorted(remaining, key=lambda s: s.seq)
    for inst in ordered:
        if not inst.nothing_paid:
            raise ValueError(f"installment {inst.seq} already has payments; it is not remaining")
    seqs = [inst.seq for inst in ordered]
    if seqs and seqs != list(range(seqs[0], seqs[0] + len(seqs))):
        raise ValueError(f"remaining installment seqs must be consecutive, got {seqs}")
    outstanding = sum((inst.principal_due for inst in ordered), _ZERO)
    prepaid = min(excess, outstanding)
    credit = excess - prepaid
    left = outstanding - prepaid
    if left == 0:
        return PrepaymentResult(principal_prepaid=prepaid, credit=credit, new_schedule=[])
    fresh = schedule_for(
        principal=left,
        annual_rate=annual_rate,
        term_months=len(ordered),
        first_due=ordered[0].due_date,
        method=method,
        start_seq=ordered[0].seq,
    )
    # schedule_for derives dates from the first one; keep the originals, which may differ
    # when the first remaining date was clamped to a month end (e.g. Feb 28 -> Mar 28 vs 31).
    new_schedule = [
        dataclasses.replace(row, due_date=orig.due_date)
        for row, orig in zip(fresh, ordered, strict=True)
    ]
    return PrepaymentResult(principal_prepaid=prepaid, credit=credit, new_schedule=new_schedule)
