"""FEEL types: instance of, type names, item definitions, and Python values turned into FEEL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from bpmn.feel import (
    FeelError,
    FeelFunction,
    Range,
    evaluate,
    feel_equal,
    instance_of,
    item_definitions,
    parse_type,
    to_feel,
    type_name,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 instance of number", True),
        ('"1" instance of number', False),
        ("null instance of number", False),
        ("null instance of Any", False),
        ('@"2026-01-01" instance of date', True),
        ('@"2026-01-01T10:00:00" instance of date', False),
        ('@"P1D" instance of days and time duration', True),
        ('@"P1Y" instance of years and months duration', True),
        ("[1, 2] instance of list<number>", True),
        ('[1, "2"] instance of list<number>', False),
        ("{a: 1} instance of context<a: number>", True),
        ('{a: "x"} instance of context<a: number>', False),
        ("{a: null} instance of context<a: string>", True),
        ("[1..2] instance of range<number>", True),
        ("(function(a, b) a) instance of function<Any, Any> -> Any", True),
        ("(function(a) a) instance of function<Any, Any> -> Any", False),
    ],
)
def test_instance_of(text: str, expected: bool) -> None:
    assert evaluate(text, {}) is expected


def test_item_definitions_are_known_by_name_while_registered() -> None:
    adult = parse_type("context<name: string, age: number>")
    with item_definitions(
        {"tApplicant": adult, "tScore": lambda v: isinstance(v, Decimal) and 0 <= v <= 999}
    ):
        assert evaluate('{name: "Ann", age: 40} instance of tApplicant', {}) is True
        assert evaluate('{name: "Ann"} instance of tApplicant', {}) is False
        assert evaluate("[650, 720] instance of list<tScore>", {}) is True
        assert instance_of(Decimal(1200), "tScore") is False
    assert evaluate("640 instance of tScore", {}) is False


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (Decimal(1), "number"),
        (True, "boolean"),
        (None, "Null"),
        (dt.date(2026, 1, 1), "date"),
        (dt.datetime(2026, 1, 1), "date and time"),
        (dt.time(10, 0), "time"),
        ([1], "list"),
        ({"a": 1}, "context"),
        (Range(Decimal(1), Decimal(2)), "range"),
        (FeelFunction(("a",), lambda args: args["a"]), "function"),
    ],
)
def test_type_names(value: Any, name: str) -> None:
    assert type_name(value) == name


def test_python_values_become_feel_values() -> None:
    converted = to_feel(
        {"amount": 1250.5, "count": 3, "tags": ("a", "b"), "due": dt.timedelta(days=2)}
    )
    assert converted["amount"] == Decimal("1250.5") and isinstance(converted["amount"], Decimal)
    assert converted["count"] == Decimal(3)
    assert converted["tags"] == ["a", "b"]
    assert evaluate("due.days", {"due": dt.timedelta(days=2)}) == Decimal(2)
    assert evaluate("x + 0.1", {"x": 0.2}) == Decimal("0.3")
    with pytest.raises(FeelError):
        to_feel(object())


def test_feel_equal_is_by_value_and_three_valued() -> None:
    assert feel_equal(Decimal("1.0"), Decimal(1)) is True
    assert feel_equal([Decimal(1), {"a": "x"}], [Decimal(1), {"a": "x"}]) is True
    assert feel_equal(Decimal(1), "1") is None
    assert feel_equal(None, None) is True
