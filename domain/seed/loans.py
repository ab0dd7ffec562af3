"""Repayment histories simulated with the real allocation rules, up to the business date."""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from zoneinfo import ZoneInfo

from domain.loan.allocation import AllocationLine, InstallmentState, allocate, apply, prepay
from domain.loan.delinquency import Bucket, bucket_for, days_past_due
from domain.loan.models import LoanStatus
from domain.loan.schedule import first_due_date, schedule_for, to_cents
from domain.seed.plans import CHARGE_OFF_DPD, LATE_SHARE, MISS_SHARE, LoanPlan

_ZERO = Decimal("0.00")


@dataclass(slots=True)
class PaymentEvent:
    """One payment and how it was allocated."""

    amount: Decimal
    paid_at: datetime
    paid_on: date
    lines: list[AllocationLine]
    principal_prepaid: Decimal = _ZERO
    credit: Decimal = _ZERO
    on_time: bool = True


@dataclass(slots=True)
class LoanOutcome:
    """A simulated loan as of the business date."""

    plan: LoanPlan
    states: list[InstallmentState]
    paid_on: dict[int, date]
    payments: list[PaymentEvent] = field(default_factory=list)
    status: LoanStatus = LoanStatus.ACTIVE
    closed_on: date | None = None
    outstanding: Decimal = _ZERO
    credit_balance: Decimal = _ZERO
    days_past_due: int = 0
    bucket: str = "M0"
    oldest_unpaid_due: date | None = None


class _Ledger:
    """Installment states of one loan with payments applied through the allocation rules."""

    def __init__(self, plan: LoanPlan, zone: ZoneInfo) -> None:
        rows = schedule_for(
            principal=plan.principal,
            annual_rate=plan.annual_rate,
            term_months=plan.term,
            first_due=first_due_date(plan.disbursed_on),
            method=plan.product.method,
        )
        self.plan = plan
        self.zone = zone
        self.states = [
            InstallmentState(r.seq, r.due_date, r.principal_due, r.interest_due) for r in rows
        ]
        self.outcome = LoanOutcome(plan, self.states, {}, outstanding=plan.principal)
        self.first = 0  # index of the oldest unpaid installment; paid ones form a prefix

    def owed_through(self, index: int) -> Decimal:
        """Everything owed on the unpaid installments up to and including `index`."""
        owed = _ZERO
        for s in self.states[self.first : index + 1]:
            owed += s.fee_due - s.fee_paid + s.interest_due - s.interest_paid
            owed += s.principal_due - s.principal_paid
        return owed

    def principal_after(self, index: int) -> Decimal:
        """Scheduled principal of the installments after `index`."""
        return sum((s.principal_due for s in self.states[index + 1 :]), _ZERO)

    def pay(self, rng: random.Random, amount: Decimal, day: date, exact: int | None = None) -> None:
        """Allocate a payment made on a local calendar day, as `post_payment` would.

        `allocate` only looks at the overdue installments and the next one, so only those are
        passed. With `exact`, the amount is exactly what is owed through that index and the
        installments before it are all due by `day`: the allocation then touches exactly those.
        """
        states, out = self.states, self.outcome
        if exact is not None and (exact == self.first or states[exact - 1].due_date <= day):
            end = exact
        else:
            end = self.first
            while end < len(states) and states[end].due_date <= day:
                end += 1
        window = states[self.first : end + 1]
        result = allocate(amount, window, paid_on=day)
        updated = apply(window, result)
        states[self.first : self.first + len(window)] = updated
        on_time = True
        by_seq = {s.seq: s for s in updated}
        for line in result.lines:
            state = by_seq[line.seq]
            if state.is_paid:
                out.paid_on[line.seq] = day
            on_time = on_time and state.due_date >= day
        midnight = datetime(day.year, day.month, day.day, tzinfo=self.zone)
        moment = midnight + timedelta(seconds=rng.randint(8 * 3600, 22 * 3600))
        event = PaymentEvent(amount, moment.astimezone(UTC), day, result.lines, on_time=on_time)
        repaid = sum((line.principal for line in result.lines), _ZERO)
        if result.excess > 0:
            last = max((line.seq for line in result.lines), default=0)
            remaining = [s for s in states if s.seq > last and s.nothing_paid]
            pre = prepay(
                result.excess,
                remaining,
                annual_rate=self.plan.annual_rate,
                method=self.plan.product.method,
            )
            event.principal_prepaid, event.credit = pre.principal_prepaid, pre.credit
            repaid += pre.principal_prepaid
            out.credit_balance += pre.credit
            kept = [s for s in states if not (s.seq > last and s.nothing_paid)]
            states[:] = kept + [
                InstallmentState(r.seq, r.due_date, r.principal_due, r.interest_due)
                for r in pre.new_schedule
            ]
        out.payments.append(event)
        out.outstanding -= repaid
        while self.first < len(states) and states[self.first].seq in out.paid_on:
            self.first += 1
        if out.outstanding == 0 and self.first == len(states):
            out.status, out.closed_on = LoanStatus.CLOSED, day


def simulate(
    plan: LoanPlan,
    rng: random.Random,
    *,
    business_date: date,
    zone: ZoneInfo,
    buckets: Sequence[Bucket],
) -> LoanOutcome:
    """Repay a planned loan up to the business date, then set its status and delinquency."""
    ledger = _Ledger(plan, zone)
    states, out, behaviour = ledger.states, ledger.outcome, plan.behaviour
    earliest = plan.disbursed_on + timedelta(days=1)
    index = 0
    while index < len(states) and out.status is LoanStatus.ACTIVE:
        inst = states[index]
        if plan.stop_from is not None and inst.due_date >= plan.stop_from:
            day = inst.due_date + timedelta(days=rng.randint(3, 25))
            if rng.random() < 0.3 and day < business_date:  # a token partial payment
                share = Decimal(rng.randint(20, 60)) / 100
                ledger.pay(
                    rng, max(to_cents(ledger.owed_through(index) * share), Decimal("0.01")), day
                )
            break
        early = inst.seq in plan.prepay_seqs or inst.seq == plan.payoff_seq
        then = states[index + 1].due_date if index + 1 < len(states) else None
        stops = plan.stop_from is not None and then is not None and then >= plan.stop_from
        if not early and then and not stops and rng.random() < MISS_SHARE[behaviour]:
            index += 1  # missed; paid together with the next one
            continue
        if early:
            day = inst.due_date - timedelta(days=rng.randint(1, 5))
        elif rng.random() < LATE_SHARE[behaviour]:
            day = inst.due_date + timedelta(days=rng.randint(1, 5))
        elif rng.random() < 0.6:
            day = inst.due_date
        else:
            day = inst.due_date - timedelta(days=rng.randint(1, 5))
        day = max(day, earliest)
        if day >= business_date:
            break
        amount = owed = ledger.owed_through(index)
        if inst.seq == plan.payoff_seq:
            amount += ledger.principal_after(index)
        elif inst.seq in plan.prepay_seqs:
            extra = float(ledger.principal_after(index)) * rng.uniform(0.1, 0.3)
            amount += Decimal(max(int(extra / 100), 1) * 100)
        elif index == len(states) - 1 and rng.random() < 0.1:
            rounded = (amount / 10).to_integral_value(ROUND_CEILING) * 10  # a round sum
            amount = rounded if rounded > amount else rounded + 10  # the excess becomes credit
        exact = index if amount == owed else None
        ledger.pay(rng, amount.quantize(Decimal("0.01")), day, exact)
        earliest = day
        index += 1
    pairs = [(s.due_date, s.seq in out.paid_on) for s in states]
    dpd = days_past_due(pairs, business_date) if out.status is LoanStatus.ACTIVE else 0
    if dpd:
        out.oldest_unpaid_due = business_date - timedelta(days=dpd)
    if dpd > CHARGE_OFF_DPD and out.oldest_unpaid_due is not None:
        out.status = LoanStatus.CHARGED_OFF
        out.closed_on = out.oldest_unpaid_due + timedelta(days=CHARGE_OFF_DPD)
        dpd = 0
    out.days_past_due, out.bucket = dpd, bucket_for(dpd, buckets)
    return out
