"""FEEL expressions a decision modeller writes, with the exact values the spec gives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from bpmn.feel import (
    BUILTINS,
    DaysTimeDuration,
    FeelFunction,
    YearsMonthsDuration,
    evaluate,
    invoke,
)

D = Decimal


def feel(text: str, **names: Any) -> Any:
    return evaluate(text, names)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", D(7)),
        ("10 / 4", D("2.5")),
        ("1 / 3", D("0.3333333333333333333333333333333333")),
        ("2 ** 10", D(1024)),
        ("3 ** 4 ** 5", D(3486784401)),
        ("-3 ** 2", D(9)),
        ("--10", D(10)),
        ("0.1 + 0.2", D("0.3")),
        ("1 / 0", None),
        ("1 + null", None),
        ('"a" + "b"', "ab"),
        ('"a" + 1', None),
        ("10 ** 100000000", None),
        ("- 1.000000000000000000000000000000001", D("-1.000000000000000000000000000000001")),
        ("mean(1, 2, 2)", D("1.666666666666666666666666666666667")),
        ("1.000000000000000000000000000000001 - 1", D("1E-33")),
    ],
)
def test_arithmetic(text: str, expected: Any) -> None:
    assert feel(text) == expected


def test_names_with_spaces_resolve_against_the_context() -> None:
    assert evaluate("Monthly Salary * 12", {"Monthly Salary": Decimal(10)}) == D(120)
    assert evaluate("Customer's age >= 18", {"Customer's age": 20}) is True
    assert evaluate("Approved/Declined", {"Approved/Declined": "Approved"}) == "Approved"
    assert evaluate("Loan in process and true", {"Loan in process": True}) is True


def test_names_the_text_defines_may_hold_keywords_and_symbols() -> None:
    assert feel("{Loan in process: true, r: Loan in process and true}.r") is True
    assert feel("{net-income: 5, r: net-income * 2}.r") == D(10)
    assert feel("{a: 5, b: 2, r: a-b}.r") == D(3)
    assert feel("for Loan Amount in [1, 2] return Loan Amount * 2") == [D(2), D(4)]


def test_context_entries_see_the_earlier_ones_and_paths_reach_them() -> None:
    assert feel("{monthly: 100, yearly: monthly * 12}.yearly") == D(1200)
    assert feel("{a: {b: 5}}.a.b") == D(5)
    assert feel("[{a: 1}, {a: 2}].a") == [D(1), D(2)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('if 5 > 3 then "yes" else "no"', "yes"),
        ("if null then 1 else 2", D(2)),
        ('if "x" then 1 else 2', D(2)),
        ("for i in 1..3 return i * i", [D(1), D(4), D(9)]),
        ("for i in 3..1 return i", [D(3), D(2), D(1)]),
        ("for x in [1, 2], y in [10, 20] return x + y", [D(11), D(21), D(12), D(22)]),
        (
            "for i in 1..5 return if i = 1 then 1 else i * partial[-1]",
            [D(1), D(2), D(6), D(24), D(120)],
        ),
        ("some x in [1, 5, 9] satisfies x > 8", True),
        ("every x in [1, 5, 9] satisfies x > 0", True),
        ("every x in [1, 5, 9] satisfies x > 1", False),
        ("[1, 2, 3, 4][item > 2]", [D(3), D(4)]),
        ("[1, 2, 3][1]", D(1)),
        ("[1, 2, 3][-1]", D(3)),
        ("[1, 2, 3][4]", None),
        ("[{n: 1}, {n: 5}][n > 2].n", [D(5)]),
        ("5 between 1 and 10", True),
        ("5 in (1..5)", False),
        ("5 in [1..5]", True),
        ("5 in (< 3, > 4)", True),
        ('"b" in ["a", "b"]', True),
        ("(function(a, b) a - b)(b: 1, a: 5)", D(4)),
        ("{f: function(x) x * 2, r: f(21)}.r", D(42)),
        ("{adder: function(n) function(x) x + n, add5: adder(5), r: add5(1)}.r", D(6)),
        ("1 // comment\n + /* more */ 2", D(3)),
        ('string length("\\U01F40E")', D(1)),
        ('string length("\\uD83D\\uDC0E")', D(1)),
        ('"\\u0041"', "A"),
    ],
)
def test_expressions(text: str, expected: Any) -> None:
    assert feel(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true and null", None),
        ("false and null", False),
        ("null and false", False),
        ("true or null", True),
        ("false or null", None),
        ("not(null)", None),
        ("not(true)", False),
        ("1 = null", False),
        ("null = null", True),
        ('1 < "a"', None),
        ('1 = "1"', None),
        ("[1, 2] = [1, 2]", True),
        ("{a: 1} = {a: 1}", True),
    ],
)
def test_three_valued_logic(text: str, expected: Any) -> None:
    assert feel(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('date("2026-01-31") + duration("P1M")', dt.date(2026, 2, 28)),
        ('date("2026-03-01") - date("2026-02-01")', DaysTimeDuration(D(28 * 86400))),
        ('@"2026-01-01" + @"P1D"', dt.date(2026, 1, 2)),
        ('date("2026-05-17").weekday', D(7)),
        (
            'date and time("2026-01-01T10:30:00") + duration("PT1H30M")',
            dt.datetime(2026, 1, 1, 12, 0),
        ),
        ('duration("P1DT2H") * 2', DaysTimeDuration(D(2 * 86400 + 4 * 3600))),
        ('duration("P1Y") + duration("P6M")', YearsMonthsDuration(18)),
        (
            'years and months duration(date("2020-01-15"), date("2026-01-14"))',
            YearsMonthsDuration(71),
        ),
        ('duration("P2DT3H").hours', D(3)),
        ('date and time("2026-01-01T10:00:00+02:00").time offset', DaysTimeDuration(D(7200))),
        ('time("10:30:00") < time("11:00:00")', True),
        ('date("2026-01-01") < date and time("2026-01-02T00:00:00")', None),
        (
            'string(date and time("2026-01-01T10:00:00@Europe/Paris"))',
            "2026-01-01T10:00:00@Europe/Paris",
        ),
        ('string(duration("P1DT2H3M4.5S"))', "P1DT2H3M4.5S"),
        ('string(duration("-P14M"))', "-P1Y2M"),
    ],
)
def test_temporal(text: str, expected: Any) -> None:
    assert feel(text) == expected


def test_python_functions_are_invocable_by_position_and_name() -> None:
    fee = FeelFunction(("amount", "rate"), lambda args: args["amount"] * args["rate"])
    assert evaluate("fee(200, 0.5)", {"fee": fee}) == D(100)
    assert evaluate("fee(rate: 0.1, amount: 50)", {"fee": fee}) == D(5)
    assert evaluate("fee(1, 2, 3)", {"fee": fee}) is None


def test_feel_functions_and_built_ins_are_invocable_from_python() -> None:
    rate = evaluate("function(amount, months) amount / months", {})
    assert invoke(rate, [1200, 12]) == D(100)
    assert invoke(rate, None, {"months": 4, "amount": 10}) == D("2.5")
    assert invoke(rate, [1]) is None
    assert invoke(BUILTINS["substring"], None, {"string": "foobar", "start position": 3}) == "obar"
    assert invoke(BUILTINS["mean"], [[1, 2, 2]]) == D("1.666666666666666666666666666666667")
