from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.loan.delinquency import (
    DEFAULT_BUCKET_SPEC,
    DEFAULT_BUCKETS,
    DEFAULT_THRESHOLD_DPD,
    Bucket,
    bucket_for,
    days_past_due,
    is_default,
    parse_buckets,
)
from domain.loan.schedule import add_months, first_due_date


def test_default_buckets_match_default_spec() -> None:
    assert parse_buckets(DEFAULT_BUCKET_SPEC) == DEFAULT_BUCKETS
    assert [b.name for b in DEFAULT_BUCKETS] == [f"M{k}" for k in range(8)]


@pytest.mark.parametrize(
    ("dpd", "name"),
    [
        (0, "M0"),
        (1, "M1"),
        (30, "M1"),
        (31, "M2"),
        (60, "M2"),
        (61, "M3"),
        (90, "M3"),
        (91, "M4"),
        (120, "M4"),
        (121, "M5"),
        (150, "M5"),
        (151, "M6"),
        (180, "M6"),
        (181, "M7"),
        (10_000, "M7"),
    ],
)
def test_bucket_boundaries(dpd: int, name: str) -> None:
    assert bucket_for(dpd) == name


def test_bucket_for_rejects_negative_and_uncovered() -> None:
    with pytest.raises(ValueError, match="dpd must be >= 0"):
        bucket_for(-1)
    with pytest.raises(ValueError, match="no bucket contains dpd 31"):
        bucket_for(31, [Bucket("A", 0, 30)])


def test_is_default_threshold() -> None:
    assert DEFAULT_THRESHOLD_DPD == 90
    assert not is_default(89)
    assert is_default(90)
    assert not is_default(90, threshold=91)
    assert is_default(91, threshold=91)


def test_parse_custom_buckets_with_whitespace() -> None:
    assert parse_buckets(" current:0 , late : 1-15, bad:16+ ") == (
        Bucket("current", 0, 0),
        Bucket("late", 1, 15),
        Bucket("bad", 16, None),
    )
    assert parse_buckets("all:0+") == (Bucket("all", 0, None),)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty"),
        ("M0:0,,M1:1+", "empty part"),
        ("M0:1-30,M1:31+", "'M0:1-30': the first bucket must start at 0"),
        ("M0:0,M1:2-30,M2:31+", "'M1:2-30': leaves a gap after 'M0'"),
        ("M0:0-10,M1:5-30,M2:31+", "'M1:5-30': overlaps 'M0'"),
        ("M0:0,M1:1-30", "'M1:1-30': the last bucket must be open-ended"),
        ("M0:0,M1:1+,M2:31+", "'M2:31\\+': follows open-ended bucket 'M1'"),
        ("M0:0,M1:1-x,M2:31+", "'M1:1-x': 'x' is not a non-negative integer"),
        ("M0:0,M1:30-1,M2:31+", "'M1:30-1': upper bound 1 is below lower bound 30"),
        ("M0:0,M0:1+", "duplicate name 'M0'"),
        ("M0:0,M1 1+", "'M1 1\\+': expected NAME:MIN"),
        ("M0:0,:1+", "':1\\+': expected NAME:MIN"),
        ("M0:-1,M1:0+", "'M0:-1'"),
    ],
)
def test_parse_buckets_errors_name_the_bad_part(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_buckets(spec)


def test_bucket_validates_itself() -> None:
    with pytest.raises(ValueError, match="below min_dpd"):
        Bucket("X", 5, 4)
    with pytest.raises(ValueError, match="min_dpd must be >= 0"):
        Bucket("X", -1, None)


def test_days_past_due_examples() -> None:
    due = [(date(2024, 1, 31), True), (date(2024, 2, 29), False), (date(2024, 3, 31), False)]
    assert days_past_due(due, date(2024, 2, 29)) == 0  # due today is not past due
    assert days_past_due(due, date(2024, 3, 1)) == 1
    assert days_past_due(due, date(2024, 4, 5)) == 36  # oldest unpaid counts, not the latest
    assert days_past_due([], date(2024, 4, 5)) == 0
    assert days_past_due([(d, True) for d, _ in due], date(2025, 1, 1)) == 0


def test_days_past_due_jan_31_loan_across_leap_february() -> None:
    first = first_due_date(date(2024, 1, 31))
    assert first == date(2024, 2, 29)
    dues = [(add_months(first, k), False) for k in range(3)]
    assert days_past_due(dues, date(2024, 3, 31)) == 31
    assert bucket_for(days_past_due(dues, date(2024, 3, 31))) == "M2"


# --- properties ---------------------------------------------------------------------------

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))
schedules = st.lists(dates, min_size=0, max_size=24)


@settings(deadline=None, max_examples=100)
@given(schedules, dates, st.integers(min_value=0, max_value=400))
def test_dpd_non_decreasing_while_nothing_is_paid(
    due_dates: list[date], business_date: date, step: int
) -> None:
    unpaid = [(d, False) for d in due_dates]
    before = days_past_due(unpaid, business_date)
    after = days_past_due(unpaid, business_date + timedelta(days=step))
    assert 0 <= before <= after
    if before > 0:
        assert after == before + step


@settings(deadline=None, max_examples=100)
@given(schedules, dates)
def test_dpd_zero_once_everything_due_is_paid(due_dates: list[date], business_date: date) -> None:
    pairs = [(d, d < business_date) for d in due_dates]
    assert days_past_due(pairs, business_date) == 0


@settings(deadline=None, max_examples=100)
@given(st.integers(min_value=0, max_value=5000), st.integers(min_value=0, max_value=5000))
def test_bucket_for_monotone(a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    names = [bucket.name for bucket in DEFAULT_BUCKETS]
    assert names.index(bucket_for(lo)) <= names.index(bucket_for(hi))
    assert is_default(lo) <= is_default(hi)


@settings(deadline=None, max_examples=100)
@given(st.lists(st.integers(min_value=1, max_value=60), min_size=0, max_size=8), st.data())
def test_parse_buckets_round_trip_and_monotone(widths: list[int], data: st.DataObject) -> None:
    parts, start = [], 0
    for k, width in enumerate(widths):
        parts.append(f"B{k}:{start}-{start + width - 1}")
        start += width
    parts.append(f"B{len(widths)}:{start}+")
    buckets = parse_buckets(",".join(parts))
    assert len(buckets) == len(widths) + 1
    dpd_a = data.draw(st.integers(min_value=0, max_value=start + 50))
    dpd_b = data.draw(st.integers(min_value=dpd_a, max_value=start + 100))
    names = [b.name for b in buckets]
    assert names.index(bucket_for(dpd_a, buckets)) <= names.index(bucket_for(dpd_b, buckets))
