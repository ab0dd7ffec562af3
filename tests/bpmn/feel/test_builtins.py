"""FEEL built-ins: the DMN 1.3/1.4 specification's own examples, with exact results."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from bpmn.feel import DaysTimeDuration, YearsMonthsDuration, evaluate, feel_clock

D = Decimal


def check(cases: list[tuple[str, Any]]) -> None:
    for text, expected in cases:
        got = evaluate(text, {})
        assert got == expected and type(got) is type(expected), (text, got)


def test_conversion() -> None:
    check(
        [
            ('date(date and time("2012-12-25T11:00:00Z"))', dt.date(2012, 12, 25)),
            ("date(2012, 12, 25)", dt.date(2012, 12, 25)),
            ('date("2012-02-30")', None),
            ('time(23, 59, 0, duration("PT1H")) = time("23:59:00+01:00")', True),
            ('date and time("2012-12-24T23:59:00") + duration("PT1M")', dt.datetime(2012, 12, 25)),
            ('number("1 000,0", " ", ",")', D(1000)),
            ('number("1,000.0", ",", ".")', D(1000)),
            ('number("12a")', None),
            ("string(1.1)", "1.1"),
            ("string(null)", None),
            ('string([1, "a", null])', '[1, "a", null]'),
            ('duration("PT84H") = duration("P3DT12H")', True),
            ('duration("P2Y2M")', YearsMonthsDuration(26)),
            (
                'years and months duration(date("2011-12-22"), date("2013-08-24"))',
                YearsMonthsDuration(20),
            ),
            ('context([{key: "a", value: 1}, {key: "b", value: 2}])', {"a": D(1), "b": D(2)}),
        ]
    )


def test_strings() -> None:
    check(
        [
            ('substring("foobar", 3)', "obar"),
            ('substring("foobar", -2, 1)', "a"),
            ('substring("\\U01F40Eab", 2)', "ab"),
            ('string length("foo")', D(3)),
            ('upper case("aBc4")', "ABC4"),
            ('lower case("aBc4")', "abc4"),
            ('substring before("foobar", "bar")', "foo"),
            ('substring before("foobar", "xyz")', ""),
            ('substring after("foobar", "ob")', "ar"),
            ('replace("abcd", "(ab)|(a)", "[1=$1][2=$2]")', "[1=ab][2=]cd"),
            ('replace("Mary Jones", "(\\w+) (\\w+)", "$2, $1")', "Jones, Mary"),
            ('contains("foobar", "of")', False),
            ('starts with("foobar", "fo")', True),
            ('ends with("foobar", "r")', True),
            ('matches("foobar", "^fo*b")', True),
            ('matches("FooBar", "foobar", "i")', True),
            ('split("John Doe", "\\s")', ["John", "Doe"]),
            ('split("a;b;c;;", ";")', ["a", "b", "c", "", ""]),
            ('string join(["a", "b", "c"], "_and_")', "a_and_b_and_c"),
            ('string join(["a", null, "c"])', "ac"),
            ('string join([], "X")', ""),
        ]
    )


def test_lists() -> None:
    check(
        [
            ("list contains([1, 2, 3], 2)", True),
            ("list contains([1, null], null)", True),
            ("count([1, 2, 3])", D(3)),
            ("min([1, 2, 3])", D(1)),
            ("max(1, 2, 3)", D(3)),
            ("max([])", None),
            ('min(["b", "a"])', "a"),
            ("sum([1, 2, 3])", D(6)),
            ("sum([])", None),
            ('sum([1, "a"])', None),
            ("mean(1, 2, 3)", D(2)),
            ("all([false, null, true])", False),
            ("all([])", True),
            ("all(0)", None),
            ("any([false, null, true])", True),
            ("any([])", False),
            ("sublist([4, 5, 6], 1, 2)", [D(4), D(5)]),
            ("append([1], 2, 3)", [D(1), D(2), D(3)]),
            ("concatenate([1, 2], [3])", [D(1), D(2), D(3)]),
            ("insert before([1, 3], 1, 2)", [D(2), D(1), D(3)]),
            ("remove([1, 2, 3], 2)", [D(1), D(3)]),
            ("reverse([1, 2, 3])", [D(3), D(2), D(1)]),
            ("index of([1, 2, 3, 2], 2)", [D(2), D(4)]),
            ("union([1, 2], [2, 3])", [D(1), D(2), D(3)]),
            ("distinct values([1, 2, 3, 2, 1])", [D(1), D(2), D(3)]),
            ("flatten([[1, 2], [[3]], 4])", [D(1), D(2), D(3), D(4)]),
            ("product(2, 3, 4)", D(24)),
            ("median(8, 2, 5, 3, 4)", D(4)),
            ("median([6, 1, 2, 3])", D("2.5")),
            ("stddev(2, 4, 7, 5)", D("2.081665999466132735282297706979931")),
            ("stddev([47])", None),
            ("mode(6, 3, 9, 6, 6)", [D(6)]),
            ("mode([6, 1, 9, 6, 1])", [D(1), D(6)]),
            (
                "sort(list: [3, 1, 4, 5, 2], precedes: function(x, y) x < y)",
                [D(i) for i in range(1, 6)],
            ),
            ("sort([3, 1, 2], function(x, y) x > y)", [D(3), D(2), D(1)]),
            ("list replace([2, 4, 7, 8], 3, 6)", [D(2), D(4), D(6), D(8)]),
            (
                "list replace([2, 4, 7, 8], function(item, newItem) item < newItem, 5)",
                [D(5), D(5), D(7), D(8)],
            ),
        ]
    )


def test_numbers() -> None:
    check(
        [
            ("decimal(1/3, 2)", D("0.33")),
            ("decimal(2.5, 0)", D(2)),
            ("decimal(1.035, 2)", D("1.04")),
            ("decimal(-2.5, 0)", D(-2)),
            ("floor(-1.56, 1)", D("-1.6")),
            ("ceiling(-1.5)", D(-1)),
            ("round up(-1.126, 2)", D("-1.13")),
            ("round down(-5.5)", D(-5)),
            ("round half up(-5.5)", D(-6)),
            ("round half down(5.5)", D(5)),
            ("floor(1.5, null)", None),
            ("abs(-10)", D(10)),
            ('abs(@"-PT5H")', DaysTimeDuration(D(18000))),
            ("modulo(-12, 5)", D(3)),
            ("modulo(10.1, -4.5)", D("-3.4")),
            ("modulo(-10.1, -4.5)", D("-1.1")),
            ("sqrt(16)", D(4)),
            ("log(10)", D("2.302585092994045684017991454684364")),
            ("exp(5)", D("148.4131591025766034211155800405523")),
            ("odd(5)", True),
            ("even(2)", True),
            ("odd(1.5)", None),
        ]
    )


def test_contexts_and_booleans() -> None:
    check(
        [
            ('get value({key1: "value1"}, "key1")', "value1"),
            ('get value({key1: "value1"}, "missing")', None),
            (
                "get entries({a: 1, b: 2})",
                [{"key": "a", "value": D(1)}, {"key": "b", "value": D(2)}],
            ),
            ('context put({x: 1}, "y", 2)', {"x": D(1), "y": D(2)}),
            ('context put({x: 1, y: {a: 0}}, ["y", "a"], 2)', {"x": D(1), "y": {"a": D(2)}}),
            ("context merge([{x: 1}, {x: 2, y: 3}])", {"x": D(2), "y": D(3)}),
            ("not(true)", False),
            ('is(date("2012-12-25"), time("23:00:50"))', False),
            ('is(time("23:00:50Z"), time("23:00:50"))', False),
            ('is(date("2012-12-25"), date("2012-12-25"))', True),
        ]
    )


def test_temporal() -> None:
    check(
        [
            ("day of year(date(2019, 9, 17))", D(260)),
            ("day of week(date(2019, 9, 17))", "Tuesday"),
            ("month of year(date(2019, 9, 17))", "September"),
            ("week of year(date(2019, 9, 17))", D(38)),
            ("week of year(date(2005, 1, 1))", D(53)),
            ("week of year(date(2003, 12, 29))", D(1)),
        ]
    )


def test_now_and_today_read_the_clock_the_caller_gives() -> None:
    moment = dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)
    assert evaluate("today()", {}, clock=lambda: moment) == dt.date(2026, 3, 31)
    assert evaluate('now() + duration("PT1H")', {}, clock=lambda: moment) == moment + dt.timedelta(
        hours=1
    )
    assert evaluate("today()", {}) is None
    with feel_clock(lambda: moment):
        assert evaluate("today() = date(2026, 3, 31)", {}) is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("before(1, 10)", True),
        ("before(1, [2..5])", True),
        ("before([1..5), [5..10])", True),
        ("before([1..5], [5..10])", False),
        ("after([11..20], 12)", False),
        ("meets([1..5], [5..10])", True),
        ("meets([1..5), [5..10])", False),
        ("met by([5..10], [1..5])", True),
        ("overlaps([1..5], [3..8])", True),
        ("overlaps([1..5], [6..8])", False),
        ("overlaps before([1..5], [3..8])", True),
        ("overlaps after([3..8], [1..5])", True),
        ("finishes(10, [1..10])", True),
        ("finishes([3..5], [1..5])", True),
        ("finished by([1..10], 10)", True),
        ("includes([1..10], [4..6])", True),
        ("during(5, [1..10])", True),
        ("during([4..6], [1..10])", True),
        ("starts([1..5], [1..6])", True),
        ("started by([1..10], 1)", True),
        ("coincides([1..5], [1..5])", True),
        ("before(point: 1, range: [2..5])", True),
        ("before(1, null)", None),
        ('before("a", 1)', None),
    ],
)
def test_ranges(text: str, expected: Any) -> None:
    assert evaluate(text, {}) is expected


@pytest.mark.parametrize(
    "text",
    [
        "substring()",
        'substring("a", 1, 2, 3)',
        'substring(strin: "a", start position: 1)',
        "upper case(1)",
        "count(1, 2)",
    ],
)
def test_an_invalid_call_is_null_not_an_abort(text: str) -> None:
    assert evaluate(text, {}) is None
