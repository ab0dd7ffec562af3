import calendar
from datetime import date
from decimal import Decimal
from itertools import pairwise

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.loan.schedule import (
    CENT,
    AmortizationMethod,
    PlannedInstallment,
    add_months,
    first_due_date,
    installment_amount,
    schedule_for,
    to_cents,
)

EI = AmortizationMethod.EQUAL_INSTALLMENT
EP = AmortizationMethod.EQUAL_PRINCIPAL
D = Decimal


def annuity(p: str, r: str, n: int, first: date = date(2024, 1, 15)) -> list[PlannedInstallment]:
    return schedule_for(principal=D(p), annual_rate=D(r), term_months=n, first_due=first, method=EI)


# --- known answers ------------------------------------------------------------------------


def test_hand_computed_annuity_10000_at_12_percent_for_12_months() -> None:
    rows = annuity("10000.00", "0.12", 12, first=date(2024, 2, 29))
    assert installment_amount(D("10000.00"), D("0.12"), 12) == D("888.49")
    assert rows[0] == PlannedInstallment(1, date(2024, 2, 29), D("788.49"), D("100.00"))
    assert rows[1] == PlannedInstallment(2, date(2024, 3, 29), D("796.37"), D("92.12"))
    # last row: interest on the remaining 879.67 is 8.7967 -> 8.80; principal absorbs rounding
    assert rows[-1] == PlannedInstallment(12, date(2025, 1, 29), D("879.67"), D("8.80"))
    assert rows[-1].total_due == D("888.47")
    assert all(r.total_due == D("888.49") for r in rows[:-1])
    assert sum(r.principal_due for r in rows) == D("10000.00")
    assert sum(r.interest_due for r in rows) == D("661.86")


def test_hand_computed_equal_principal() -> None:
    rows = schedule_for(
        principal=D("10000.00"),
        annual_rate=D("0.12"),
        term_months=12,
        first_due=date(2024, 1, 31),
        method=EP,
    )
    assert rows[0] == PlannedInstallment(1, date(2024, 1, 31), D("833.33"), D("100.00"))
    assert rows[1] == PlannedInstallment(2, date(2024, 2, 29), D("833.33"), D("91.67"))
    assert rows[-1] == PlannedInstallment(12, date(2024, 12, 31), D("833.37"), D("8.33"))


SHORT_CASES = [
    ("10000.00", "0.12", 12),
    ("5000.00", "0.0599", 24),
    ("25000.00", "0.089", 60),
    ("1200.00", "0.36", 6),
    ("100000.00", "0.045", 36),
    ("250000.00", "0.065", 360),
    ("150000.00", "0.05", 120),
    ("2000.00", "0.18", 18),
    ("0.50", "0.10", 3),
]


@pytest.mark.parametrize(("p", "r", "n"), SHORT_CASES)
def test_matches_numpy_financial_within_a_cent(p: str, r: str, n: int) -> None:
    i, pv = float(r) / 12, -float(p)
    amount = installment_amount(D(p), D(r), n)
    assert abs(float(amount) - float(npf.pmt(i, n, pv))) <= 0.005 + 1e-9
    rows = annuity(p, r, n)
    for row in rows[:-1]:  # the last row carries the rounding adjustment
        assert abs(float(row.interest_due) - float(npf.ipmt(i, row.seq, n, pv))) <= 0.01
        assert abs(float(row.principal_due) - float(npf.ppmt(i, row.seq, n, pv))) <= 0.01


LONG_CASES = [("300000.00", "0.0375", 240), ("7777.77", "0.2399", 48), ("50000.00", "0.30", 120)]


@pytest.mark.parametrize(("p", "r", "n"), SHORT_CASES + LONG_CASES)
def test_drift_from_exact_schedule_is_bounded(p: str, r: str, n: int) -> None:
    # Rounding A to cents (delta) and interest each month (<= 0.005) makes the outstanding
    # drift from the exact one by at most (|delta| + 0.005) * s_k, s_k = ((1+i)^k - 1) / i.
    i, pv = float(r) / 12, -float(p)
    delta = abs(float(installment_amount(D(p), D(r), n)) - float(npf.pmt(i, n, pv)))
    for row in annuity(p, r, n)[:-1]:
        s_k = ((1 + i) ** (row.seq - 1) - 1) / i
        interest_bound = i * (delta + 0.005) * s_k + 0.005 + 1e-6
        assert abs(float(row.interest_due) - float(npf.ipmt(i, row.seq, n, pv))) <= interest_bound
        principal_bound = interest_bound + delta
        assert abs(float(row.principal_due) - float(npf.ppmt(i, row.seq, n, pv))) <= principal_bound


@pytest.mark.parametrize(("p", "n"), [("1000.00", 12), ("100.00", 3), ("12345.67", 7)])
def test_zero_rate(p: str, n: int) -> None:
    # numpy_financial's ipmt/ppmt divide by the rate (RuntimeWarning at 0); only pmt is usable
    assert abs(float(installment_amount(D(p), D("0"), n)) - npf.pmt(0.0, n, -float(p))) <= 0.005
    for method in AmortizationMethod:
        rows = schedule_for(
            principal=D(p),
            annual_rate=D("0"),
            term_months=n,
            first_due=date(2024, 1, 1),
            method=method,
        )
        assert all(r.interest_due == 0 for r in rows)
        assert all(r.principal_due == to_cents(D(p) / n) for r in rows[:-1])
        assert sum(r.principal_due for r in rows) == D(p)


def test_extreme_rate_long_term_rounding_of_a_compounds() -> None:
    # At 30% over 360 months, rounding A to cents compounds: A rounded down leaves a balloon
    # in the last installment; A rounded up pays the loan off early (clamped, never negative).
    balloon = annuity("10000.00", "0.30", 360)
    assert installment_amount(D("10000.00"), D("0.30"), 360) == D("250.03")
    assert balloon[-1].total_due == D("1556.78")
    early = annuity("12345.00", "0.30", 360)
    assert [r.total_due for r in early[-2:]] == [D("0.00"), D("0.00")]
    for rows, p in ((balloon, "10000.00"), (early, "12345.00")):
        assert sum(r.principal_due for r in rows) == D(p)
        assert all(r.principal_due >= 0 and r.interest_due >= 0 for r in rows)


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 1, 31), 2, date(2024, 3, 31)),
        (date(2024, 1, 31), 3, date(2024, 4, 30)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),
        (date(2024, 12, 15), 1, date(2025, 1, 15)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 5, 10), 0, date(2024, 5, 10)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_first_due_date_after_jan_31_disbursement() -> None:
    assert first_due_date(date(2023, 1, 31)) == date(2023, 2, 28)
    assert first_due_date(date(2024, 1, 31)) == date(2024, 2, 29)
    assert first_due_date(date(2024, 12, 31)) == date(2025, 1, 31)


def test_due_dates_computed_from_first_due_not_chained() -> None:
    rows = annuity("1000.00", "0.1", 4, first=date(2024, 1, 31))
    assert [r.due_date for r in rows] == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
    ]


def test_start_seq() -> None:
    rows = annuity("1000.00", "0.1", 1)
    assert [r.seq for r in rows] == [1]
    rows = schedule_for(
        principal=D("600.00"),
        annual_rate=D("0.1"),
        term_months=3,
        first_due=date(2024, 5, 1),
        method=EP,
        start_seq=4,
    )
    assert [r.seq for r in rows] == [4, 5, 6]


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"principal": D("0")}, "principal must be > 0"),
        ({"principal": D("-5.00")}, "principal must be > 0"),
        ({"principal": D("10.001")}, "whole number of cents"),
        ({"principal": D("NaN")}, "finite"),
        ({"annual_rate": D("-0.01")}, "annual_rate must be >= 0"),
        ({"annual_rate": D("Infinity")}, "finite"),
        ({"term_months": 0}, "term_months must be an integer >= 1"),
        ({"start_seq": 0}, "start_seq must be an integer >= 1"),
    ],
)
def test_bad_inputs_raise(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "principal": D("1000.00"),
        "annual_rate": D("0.1"),
        "term_months": 12,
        "first_due": date(2024, 1, 1),
        "method": EI,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        schedule_for(**args)  # type: ignore[arg-type]


def test_installment_amount_validates() -> None:
    with pytest.raises(ValueError, match="term_months"):
        installment_amount(D("100.00"), D("0.1"), 0)


# --- properties ---------------------------------------------------------------------------

principals = st.decimals(min_value=D("0.01"), max_value=D("5000000"), places=2)
rates = st.decimals(min_value=D("0"), max_value=D("0.60"), places=4)
terms = st.integers(min_value=1, max_value=360)
firsts = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
methods = st.sampled_from(list(AmortizationMethod))


@settings(deadline=None, max_examples=100)
@given(principals, rates, terms, firsts, methods, st.integers(min_value=1, max_value=50))
def test_schedule_properties(
    p: Decimal, r: Decimal, n: int, first: date, method: AmortizationMethod, start: int
) -> None:
    rows = schedule_for(
        principal=p,
        annual_rate=r,
        term_months=n,
        first_due=first,
        method=method,
        start_seq=start,
    )
    assert len(rows) == n
    assert [row.seq for row in rows] == list(range(start, start + n))
    assert sum(row.principal_due for row in rows) == p
    for row in rows:
        for amount in (row.principal_due, row.interest_due):
            assert amount >= 0
            assert amount == amount.quantize(CENT)
            assert amount.as_tuple().exponent == -2
    dates = [row.due_date for row in rows]
    assert all(a < b for a, b in pairwise(dates))
    for k, d in enumerate(dates):
        year, month0 = divmod(first.year * 12 + first.month - 1 + k, 12)
        assert (d.year, d.month) == (year, month0 + 1)
        assert d.day == min(first.day, calendar.monthrange(year, month0 + 1)[1])
    if method is EI:
        level = installment_amount(p, r, n)
        assert all(row.total_due <= level for row in rows[:-1])


@settings(deadline=None, max_examples=200)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)), st.integers(-60, 600))
def test_add_months_properties(start: date, months: int) -> None:
    result = add_months(start, months)
    assert result.day == min(start.day, calendar.monthrange(result.year, result.month)[1])
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months


def test_due_dates_keep_the_disbursement_day_after_a_short_month() -> None:
    # given a loan disbursed on Jan 31 of a non-leap year
    disbursed = date(2025, 1, 31)
    # when
    rows = schedule_for(
        principal=Decimal("1200.00"),
        annual_rate=Decimal("0.12"),
        term_months=4,
        first_due=first_due_date(disbursed),
        method=AmortizationMethod.EQUAL_PRINCIPAL,
        anchor_day=disbursed.day,
    )
    # then
    assert [r.due_date for r in rows] == [
        date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30), date(2025, 5, 31)
    ]  # fmt: skip
