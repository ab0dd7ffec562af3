"""Loans: creation with their schedule, payment posting, delinquency."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain import byhand, faults, sqltext
from domain.clock import service as clock
from domain.daily.chunks import EVERYONE, Span
from domain.errors import ConflictError, NotFoundError, Problems, ValidationError
from domain.loan.allocation import InstallmentState, allocate, apply, prepay
from domain.loan.delinquency import bucket_for, days_past_due
from domain.loan.models import Installment, Loan, LoanStatus, Payment, PaymentAllocation
from domain.loan.schedule import (
    AmortizationMethod,
    PlannedInstallment,
    first_due_date,
    schedule_for,
)
from domain.settings import settings
from domain.transactions import joined

_ZERO = Decimal("0")
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class PostedPayment:
    """The outcome of posting: the payment row, and whether this call created it."""

    payment: Payment
    created: bool


# a planned schedule's rows in one statement, nothing paid yet (the columns' zero defaults
# written as Tortoise writes them: 0, stored "0" in SQLite's text column, 0.00 in PostgreSQL's)
_SCHEDULE_COLUMNS = (
    "loan_id, seq, due_date, principal_due, interest_due, fee_due, principal_paid, "
    "interest_paid, fee_paid"
)
_SCHEDULE_PG = (
    f"INSERT INTO installment ({_SCHEDULE_COLUMNS}) SELECT :lg_new_id, s.seq, s.due, "  # noqa: S608
    "s.principal, s.interest, 0, 0, 0, 0 FROM unnest(:seqs::int[], :dues::date[], "
    ":principals::numeric[], :interests::numeric[]) AS s(seq, due, principal, interest)"
)
_SQLITE_ROWS = 500  # 2,001 parameters a statement, within SQLite's 32,766


@lru_cache(maxsize=32)
def _schedule_sqlite(rows: int) -> str:
    """The SQLite INSERT of `rows` installments: four values a row after the loan's id."""
    tuples = ", ".join(["(?1, ?, ?, ?, ?, 0, 0, 0, 0)"] * rows)
    return f"INSERT INTO installment ({_SCHEDULE_COLUMNS}) VALUES {tuples}"  # noqa: S608


def _checked_plan(plan: Sequence[PlannedInstallment]) -> None:
    money = Installment._meta.fields_map["principal_due"]  # its checks: digits and places
    for row in plan:
        money.validate(row.principal_due)
        money.validate(row.interest_due)


def _schedule_pg(plan: Sequence[PlannedInstallment]) -> byhand.Statement:
    """A new loan's planned schedule as one statement (PostgreSQL, one prepared statement
    whatever the term), the loan's key named `:lg_new_id` (`byhand.create`)."""
    _checked_plan(plan)
    return _SCHEDULE_PG, {
        "seqs": [row.seq for row in plan],
        "dues": [row.due_date for row in plan],
        "principals": [row.principal_due for row in plan],
        "interests": [row.interest_due for row in plan],
    }


async def insert_schedule(loan_id: int, plan: Sequence[PlannedInstallment]) -> None:
    """Store a new loan's planned schedule: one statement for all its installments (on SQLite
    one for every 500), no model object per row."""
    if not plan:
        return
    if sqltext.postgres():
        sql, values = _schedule_pg(plan)
        await sqltext.execute(sql, {**values, byhand.NEW_ID: loan_id})
        return
    _checked_plan(plan)
    client = connections.get("default")
    for start in range(0, len(plan), _SQLITE_ROWS):
        chunk = plan[start : start + _SQLITE_ROWS]
        flat: list[Any] = [loan_id]
        for row in chunk:
            flat += (row.seq, row.due_date, row.principal_due, row.interest_due)
        await client.execute_query(_schedule_sqlite(len(chunk)), flat)


async def create(
    *,
    customer_id: int,
    product_id: int,
    principal: Decimal,
    annual_rate: Decimal,
    term_months: int,
    method: AmortizationMethod,
    disbursed_on: date,
    contract_id: int | None = None,
    source: str | None = None,
    external_id: str | None = None,
    also: Sequence[byhand.Statement] = (),
) -> Loan:
    """Create a disbursed loan and its generated schedule, in one transaction, with the
    statements `also` (`byhand.create`: on PostgreSQL one statement for all of them)."""
    try:
        plan = schedule_for(
            principal=principal,
            annual_rate=annual_rate,
            term_months=term_months,
            first_due=first_due_date(disbursed_on),
            method=method,
            anchor_day=disbursed_on.day,
        )
    except ValueError as exc:
        raise ValidationError.single("principal", str(exc)) from exc
    loan = Loan(
        customer_id=customer_id,
        product_id=product_id,
        contract_id=contract_id,
        principal=principal,
        annual_rate=annual_rate,
        term_months=term_months,
        method=method,
        disbursed_on=disbursed_on,
        outstanding_principal=principal,
        source=source,
        external_id=external_id,
    )
    async with joined():  # the caller's transaction when one is open (a process step's)
        if sqltext.postgres() and plan:
            return await byhand.create(loan, _schedule_pg(plan), *also)
        await byhand.create(loan, *also)
        await insert_schedule(loan.id, plan)
    return loan


def state_of(row: Installment) -> InstallmentState:
    """The arithmetic view of an installment row."""
    return InstallmentState(
        seq=row.seq,
        due_date=row.due_date,
        principal_due=row.principal_due,
        interest_due=row.interest_due,
        fee_due=row.fee_due,
        principal_paid=row.principal_paid,
        interest_paid=row.interest_paid,
        fee_paid=row.fee_paid,
    )


def _check_payment(amount: Decimal, idempotency_key: str) -> None:
    problems = Problems()
    if not amount.is_finite() or amount <= 0:
        problems.add("amount", "must be more than zero")
    elif amount != amount.quantize(_CENT):
        problems.add("amount", "must be in whole cents")
    if not idempotency_key.strip():
        problems.add("idempotency_key", "is required")
    elif len(idempotency_key) > 128:
        problems.add("idempotency_key", "must be at most 128 characters")
    problems.raise_if_any()


async def _existing(idempotency_key: str, loan_id: int, amount: Decimal) -> PostedPayment | None:
    found = await Payment.get_or_none(idempotency_key=idempotency_key)
    if found is None:
        return None
    if found.loan_id != loan_id or found.amount != amount:  # type: ignore[attr-defined]
        raise ConflictError(
            f"idempotency key '{idempotency_key}' was already used for another payment"
        )
    return PostedPayment(found, created=False)


async def post_payment(
    *,
    loan_id: int,
    amount: Decimal,
    paid_at: datetime,
    idempotency_key: str,
    source: str | None = None,
    external_id: str | None = None,
) -> PostedPayment:
    """Record a payment and allocate it oldest-first; the same key twice is one payment."""
    _check_payment(amount, idempotency_key)
    if clock.local_date(paid_at) > await clock.get():
        raise ValidationError.single("paid_at", "is after the business date")
    try:
        async with in_transaction():
            loan = await Loan.filter(id=loan_id).select_for_update().first()
            if loan is None:
                raise NotFoundError("Loan", loan_id)
            # Checked under the loan lock: a concurrent post of the same key waits, then sees it.
            existing = await _existing(idempotency_key, loan_id, amount)
            if existing is not None:
                return existing
            if loan.status != LoanStatus.ACTIVE:
                raise ValidationError.single("loan_id", f"loan is {loan.status.value.lower()}")
            payment = await Payment.create(
                loan_id=loan_id,
                amount=amount,
                paid_at=paid_at,
                idempotency_key=idempotency_key,
                source=source,
                external_id=external_id,
            )
            await _apply_payment(loan, payment, clock.local_date(paid_at))
            faults.reach("payment.before_commit")  # payment and allocations written, uncommitted
    except IntegrityError:
        existing = await _existing(idempotency_key, loan_id, amount)
        if existing is None:
            raise
        return existing
    return PostedPayment(payment, created=True)


async def _apply_payment(loan: Loan, payment: Payment, paid_on: date) -> None:
    rows = await Installment.filter(loan_id=loan.id).order_by("seq")
    by_seq = {row.seq: row for row in rows}
    states = [state_of(row) for row in rows]
    result = allocate(payment.amount, states, paid_on=paid_on)
    updated = {s.seq: s for s in apply(states, result)}
    allocations, changed = [], []
    for line in result.lines:
        row, state = by_seq[line.seq], updated[line.seq]
        row.fee_paid, row.interest_paid = state.fee_paid, state.interest_paid
        row.principal_paid = state.principal_paid
        if state.is_paid:
            row.paid_on = paid_on
        changed.append(row)
        allocations.append(
            PaymentAllocation(
                payment_id=payment.id,
                installment_id=row.id,
                fee=line.fee,
                interest=line.interest,
                principal=line.principal,
            )
        )
    principal_repaid = sum((line.principal for line in result.lines), _ZERO)
    if result.excess > 0:
        last_allocated = max((line.seq for line in result.lines), default=0)
        remaining = [s for s in updated.values() if s.seq > last_allocated and s.nothing_paid]
        pre = prepay(result.excess, remaining, annual_rate=loan.annual_rate, method=loan.method)
        payment.principal_prepaid, payment.credit = pre.principal_prepaid, pre.credit
        principal_repaid += pre.principal_prepaid
        loan.credit_balance += pre.credit
        new_by_seq = {p.seq: p for p in pre.new_schedule}
        for state in remaining:
            row = by_seq[state.seq]
            planned = new_by_seq.get(state.seq)
            if planned is None:
                await row.delete()
                continue
            row.principal_due, row.interest_due = planned.principal_due, planned.interest_due
            changed.append(row)
        await payment.save(update_fields=["principal_prepaid", "credit"])
    if changed:
        await Installment.bulk_update(
            changed,
            fields=["fee_paid", "interest_paid", "principal_paid", "paid_on", "principal_due",
                    "interest_due"],
        )  # fmt: skip
    if allocations:
        await PaymentAllocation.bulk_create(allocations)
    loan.outstanding_principal -= principal_repaid
    if loan.outstanding_principal == 0 and await _all_paid(loan.id):
        loan.status, loan.closed_on = LoanStatus.CLOSED, paid_on
    await _set_delinquency(loan, await clock.get())
    await loan.save(
        update_fields=["outstanding_principal", "credit_balance", "status", "closed_on",
                       "days_past_due", "bucket", "dpd_as_of"]
    )  # fmt: skip


async def _all_paid(loan_id: int) -> bool:
    return not await Installment.filter(loan_id=loan_id, paid_on__isnull=True).exists()


async def _set_delinquency(loan: Loan, business_date: date) -> None:
    pairs = await Installment.filter(loan_id=loan.id).values_list("due_date", "paid_on")
    dpd = 0
    if loan.status == LoanStatus.ACTIVE:
        dpd = days_past_due(((due, paid is not None) for due, paid in pairs), business_date)
    loan.days_past_due, loan.bucket = dpd, bucket_for(dpd, settings().buckets)
    loan.dpd_as_of = business_date


# loans of the span whose DPD moves: the days since the oldest installment due before the date
# and not paid, 0 when none; the bucket follows the DPD
_DPD_MOVES = """
UPDATE loan SET days_past_due = x.dpd, bucket = {bucket}, dpd_as_of = :day
FROM (
  SELECT l.id, COALESCE({since_oldest}, 0) AS dpd
  FROM loan l LEFT JOIN installment i
    ON i.loan_id = l.id AND i.paid_on IS NULL AND i.due_date < :day
  WHERE l.status = 'ACTIVE' AND {span}
  GROUP BY l.id
) x
WHERE loan.id = x.id AND loan.days_past_due <> x.dpd"""
# the others hold as they were on the date
_DPD_HOLDS = """
UPDATE loan SET dpd_as_of = :day
WHERE status = 'ACTIVE' AND {span}
  AND (dpd_as_of IS NULL OR dpd_as_of <> :day)"""


async def refresh_delinquency(business_date: date, *, customers: Span = EVERYONE) -> int:
    """Recompute DPD and bucket of every active loan (of these customers) as of a date, in
    two set-based statements; returns loans changed."""
    pg = sqltext.postgres()
    bucket, names = sqltext.bucket_case("x.dpd", settings().buckets)
    since = sqltext.days_between(":day", "MIN(i.due_date)", pg=pg)
    values = {"day": business_date, "lo": customers.lo, "hi": customers.hi, **names}
    async with in_transaction():
        moved, _ = await sqltext.execute(
            _DPD_MOVES.replace("{bucket}", bucket)
            .replace("{since_oldest}", since)
            .replace("{span}", customers.where("l.customer_id")),
            values,
        )
        await sqltext.execute(_DPD_HOLDS.replace("{span}", customers.where("customer_id")), values)
    return moved


async def move_business_date(new_date: date, *, allow_backwards: bool = False) -> date:
    """Move the business date and bring every loan's delinquency up to it."""
    await clock.set_(new_date, allow_backwards=allow_backwards)
    await refresh_delinquency(new_date)
    return new_date
