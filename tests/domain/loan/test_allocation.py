import copy
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.loan.allocation import (
    AllocationLine,
    AllocationResult,
    InstallmentState,
    allocate,
    apply,
    prepay,
)
from domain.loan.schedule import AmortizationMethod, schedule_for

D = Decimal
EI = AmortizationMethod.EQUAL_INSTALLMENT
EP = AmortizationMethod.EQUAL_PRINCIPAL


def states(
    p: str = "1200.00",
    n: int = 3,
    first: date = date(2024, 2, 15),
    method: AmortizationMethod = EI,
    r: str = "0.12",
) -> list[InstallmentState]:
    rows = schedule_for(
        principal=D(p), annual_rate=D(r), term_months=n, first_due=first, method=method
    )
    return [InstallmentState(x.seq, x.due_date, x.principal_due, x.interest_due) for x in rows]


# 1200.00 at 12% over 3 months: (principal, interest) = (396.03, 12.00), (399.99, 8.04),
# (403.98, 4.04); due Feb 15, Mar 15, Apr 15 2024; installments 408.03, 408.03, 408.02.


def test_payment_before_due_date_goes_to_current_installment() -> None:
    result = allocate(D("408.03"), states(), paid_on=date(2024, 2, 10))
    assert result == AllocationResult([AllocationLine(1, D("0"), D("12.00"), D("396.03"))], D("0"))


def test_overpayment_before_due_date_is_excess_not_next_installment() -> None:
    result = allocate(D("500.00"), states(), paid_on=date(2024, 2, 10))
    assert [line.seq for line in result.lines] == [1]
    assert result.excess == D("91.97")


def test_overdue_oldest_first_then_next_installment() -> None:
    result = allocate(D("1000.00"), states(), paid_on=date(2024, 3, 20))
    assert result.lines == [
        AllocationLine(1, D("0"), D("12.00"), D("396.03")),
        AllocationLine(2, D("0"), D("8.04"), D("399.99")),
        AllocationLine(3, D("0"), D("4.04"), D("179.90")),
    ]
    assert result.excess == D("0")
    assert result.allocated == D("1000.00")


def test_overpayment_produces_excess() -> None:
    result = allocate(D("1300.00"), states(), paid_on=date(2024, 3, 20))
    assert sum(line.total for line in result.lines) == D("1224.08")
    assert result.excess == D("75.92")


@pytest.mark.parametrize(
    ("amount", "interest", "principal"),
    [("10.00", "10.00", "0"), ("12.00", "12.00", "0"), ("20.00", "12.00", "8.00")],
)
def test_partial_payment_covers_interest_before_principal(
    amount: str, interest: str, principal: str
) -> None:
    result = allocate(D(amount), states(), paid_on=date(2024, 2, 15))
    assert result.lines == [AllocationLine(1, D("0"), D(interest), D(principal))]


def test_fees_before_interest() -> None:
    insts = states()
    insts[0].fee_due = D("25.00")
    result = allocate(D("30.00"), insts, paid_on=date(2024, 2, 20))
    assert result.lines == [AllocationLine(1, D("25.00"), D("5.00"), D("0"))]


def test_partially_paid_installment_and_next_one() -> None:
    insts = states()
    insts[0].interest_paid, insts[0].principal_paid = D("12.00"), D("100.00")
    result = allocate(D("300.00"), insts, paid_on=date(2024, 2, 20))
    assert result.lines == [
        AllocationLine(1, D("0"), D("0"), D("296.03")),
        AllocationLine(2, D("0"), D("3.97"), D("0")),
    ]


def test_everything_paid_means_everything_is_excess() -> None:
    insts = apply(states(), allocate(D("1224.08"), states(), paid_on=date(2024, 4, 15)))
    assert all(inst.is_paid for inst in insts)
    assert allocate(D("5.00"), insts, paid_on=date(2024, 5, 1)) == AllocationResult([], D("5.00"))


@pytest.mark.parametrize("amount", ["0", "-1.00", "1.005", "NaN", "Infinity"])
def test_bad_amount_raises(amount: str) -> None:
    with pytest.raises(ValueError, match="amount must"):
        allocate(D(amount), states(), paid_on=date(2024, 2, 15))


def test_duplicate_seqs_raise() -> None:
    insts = states()
    insts[1].seq = 1
    with pytest.raises(ValueError, match="unique"):
        allocate(D("1.00"), insts, paid_on=date(2024, 2, 15))


def test_allocate_and_apply_do_not_mutate_input() -> None:
    insts = states()
    before = copy.deepcopy(insts)
    result = allocate(D("900.00"), insts, paid_on=date(2024, 3, 15))
    after = apply(insts, result)
    assert insts == before
    assert [a.is_paid for a in after] == [True, True, False]
    assert after[2].interest_paid == D("4.04")
    assert after[2].principal_paid == D("79.90")
    assert after[2].outstanding == D("324.08")


def test_apply_rejects_bad_results() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        apply(states(), AllocationResult([AllocationLine(1, D("0"), D("12.01"), D("0"))], D("0")))
    with pytest.raises(ValueError, match="unknown installment seqs \\[9\\]"):
        apply(states(), AllocationResult([AllocationLine(9, D("0"), D("1"), D("0"))], D("0")))


# --- prepayment ---------------------------------------------------------------------------


def test_prepay_keeps_original_due_dates_across_month_ends() -> None:
    # Jan 31 loan: Feb 29, Mar 31, Apr 30, ... schedule_for from Feb 29 would give Mar 29.
    insts = states("1200.00", 6, date(2024, 1, 31))
    result = allocate(D("300.00"), insts, paid_on=date(2024, 1, 20))
    assert [line.seq for line in result.lines] == [1]
    assert result.excess == D("92.94")
    remaining = insts[1:]
    pre = prepay(result.excess, remaining, annual_rate=D("0.12"), method=EI)
    assert pre.principal_prepaid == D("92.94")
    assert pre.credit == D("0")
    assert [r.seq for r in pre.new_schedule] == [2, 3, 4, 5, 6]
    assert [r.due_date for r in pre.new_schedule] == [i.due_date for i in remaining]
    assert pre.new_schedule[1].due_date == date(2024, 3, 31)
    assert sum(r.principal_due for r in pre.new_schedule) == D("912.00")
    assert pre.new_schedule[0].interest_due == D("9.12")


def test_prepay_more_than_outstanding_leaves_credit() -> None:
    remaining = states("600.00", 3, method=EP)[1:]
    pre = prepay(D("1000.00"), remaining, annual_rate=D("0.12"), method=EP)
    assert pre.principal_prepaid == D("400.00")
    assert pre.credit == D("600.00")
    assert pre.new_schedule == []
    exact = prepay(D("400.00"), remaining, annual_rate=D("0.12"), method=EP)
    assert (exact.credit, exact.new_schedule) == (D("0"), [])
    nothing = prepay(D("5.00"), [], annual_rate=D("0.12"), method=EP)
    assert nothing.principal_prepaid == 0
    assert (nothing.credit, nothing.new_schedule) == (D("5.00"), [])


def test_prepay_rejects_bad_input() -> None:
    insts = states()
    with pytest.raises(ValueError, match="excess must be >= 0"):
        prepay(D("-1.00"), insts, annual_rate=D("0.1"), method=EI)
    insts[1].interest_paid = D("1.00")
    with pytest.raises(ValueError, match="installment 2 already has payments"):
        prepay(D("1.00"), insts[1:], annual_rate=D("0.1"), method=EI)
    with pytest.raises(ValueError, match="consecutive"):
        prepay(D("1.00"), [insts[0], insts[2]], annual_rate=D("0.1"), method=EI)


# --- properties ---------------------------------------------------------------------------


@st.composite
def loans(draw: st.DrawFn) -> list[InstallmentState]:
    p = draw(st.decimals(min_value=D("1.00"), max_value=D("200000"), places=2))
    r = draw(st.decimals(min_value=D("0"), max_value=D("0.36"), places=4))
    n = draw(st.integers(min_value=1, max_value=36))
    first = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 1, 1)))
    insts = states(str(p), n, first, draw(st.sampled_from(list(AmortizationMethod))), str(r))
    fees = draw(st.lists(st.decimals(D("0"), D("50"), places=2), min_size=n, max_size=n))
    for inst, fee in zip(insts, fees, strict=True):
        inst.fee_due = fee
    return insts


amounts = st.decimals(min_value=D("0.01"), max_value=D("300000"), places=2)
offsets = st.integers(min_value=-40, max_value=1200)


@settings(deadline=None, max_examples=100)
@given(loans(), amounts, offsets, amounts, offsets)
def test_allocation_properties(
    insts: list[InstallmentState], a1: Decimal, o1: int, a2: Decimal, o2: int
) -> None:
    first = insts[0].due_date
    insts = apply(insts, allocate(a1, insts, paid_on=first + timedelta(days=o1)))
    before = copy.deepcopy(insts)
    paid_on = first + timedelta(days=o1 + abs(o2))
    result = allocate(a2, insts, paid_on=paid_on)
    assert insts == before
    assert sum(line.total for line in result.lines) + result.excess == a2
    assert result.excess >= 0
    by_seq = {i.seq: i for i in insts}
    unpaid = [i for i in insts if not i.is_paid]
    considered = [i.seq for i in unpaid if i.due_date <= paid_on]
    considered += [i.seq for i in unpaid if i.due_date > paid_on][:1]
    assert [line.seq for line in result.lines] == considered[: len(result.lines)]
    for line in result.lines:
        inst = by_seq[line.seq]
        assert 0 <= line.fee <= inst.fee_outstanding
        assert 0 <= line.interest <= inst.interest_outstanding
        assert 0 <= line.principal <= inst.principal_outstanding
        assert line.total > 0
    after = apply(insts, result)
    for inst in after:
        assert inst.fee_paid <= inst.fee_due
        assert inst.interest_paid <= inst.interest_due
        assert inst.principal_paid <= inst.principal_due
    # waterfall: money reaches a later installment only once earlier ones are settled
    after_by_seq = {i.seq: i for i in after}
    for earlier in result.lines[:-1]:
        assert after_by_seq[earlier.seq].is_paid
    if result.excess > 0:
        assert all(after_by_seq[s].is_paid for s in considered)


@settings(deadline=None, max_examples=100)
@given(loans(), st.integers(min_value=0, max_value=35), amounts, st.booleans())
def test_prepay_properties(
    insts: list[InstallmentState], split: int, excess: Decimal, ei: bool
) -> None:
    remaining = insts[min(split, len(insts) - 1) :]
    method = EI if ei else EP
    outstanding = sum(i.principal_due for i in remaining)
    pre = prepay(excess, remaining, annual_rate=D("0.08"), method=method)
    assert pre.principal_prepaid + pre.credit == excess
    assert pre.principal_prepaid == min(excess, outstanding)
    if pre.principal_prepaid == outstanding:
        assert pre.new_schedule == []
    else:
        assert pre.credit == 0
        assert [r.seq for r in pre.new_schedule] == [i.seq for i in remaining]
        assert [r.due_date for r in pre.new_schedule] == [i.due_date for i in remaining]
        new_principal = sum(r.principal_due for r in pre.new_schedule)
        assert pre.principal_prepaid + new_principal == outstanding
        assert all(r.principal_due >= 0 and r.interest_due >= 0 for r in pre.new_schedule)
