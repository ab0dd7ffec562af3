"""Decision table input entries (unary tests) as a modeller writes them in a rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from bpmn.feel import FeelSyntaxError, parse_unary_tests, unary_test, unary_test_value

D = Decimal


@pytest.mark.parametrize(
    ("entry", "value", "expected"),
    [
        ("-", D(5), True),
        ("-", None, True),
        ("", D(5), True),
        ("  ", "x", True),
        ("< 18", D(17), True),
        ("< 18", D(18), False),
        (">= 18", D(18), True),
        ("[18..65]", D(65), True),
        ("[18..65)", D(65), False),
        ("]18..65]", D(18), False),
        ("(18..65]", D(19), True),
        ("18", D(18), True),
        ("18, 21, 30", D(21), True),
        ("18, 21, 30", D(22), False),
        ('"Approved"', "Approved", True),
        ('"Approved", "Pending"', "Declined", False),
        ('not("Declined")', "Approved", True),
        ('not("Declined", "Pending")', "Pending", False),
        ("not(< 10)", D(12), True),
        ("? > 10 and ? < 20", D(15), True),
        ("? > 10 and ? < 20", D(25), False),
        ("true", True, True),
        ("false", True, False),
        ("null", None, True),
        ("< 10", None, False),
        ('[date("2026-01-01")..date("2026-12-31")]', dt.date(2026, 6, 1), True),
        ('>= date("2026-01-01")', dt.date(2025, 12, 31), False),
        ("[1, 2, 3]", D(2), True),
        ("count(?) > 2", [D(1), D(2), D(3)], True),
        ("list contains(?, 2)", [D(1), D(2)], True),
        ("Threshold", D(50), True),
        ("> Threshold", D(50), False),
    ],
)
def test_input_entries(entry: str, value: Any, expected: Any) -> None:
    context = {"Threshold": 50, "Limits": {"low": 1, "high": 5}}
    assert unary_test(entry, value, context) is expected


def test_a_range_needs_its_brackets() -> None:
    with pytest.raises(FeelSyntaxError) as refused:
        unary_test("Limits.low..Limits.high", D(3), {"Limits": {"low": 1, "high": 5}})
    assert refused.value.position == 10
    assert "'..'" in refused.value.message


def test_unknown_is_null_in_the_three_valued_result_and_no_in_the_boolean() -> None:
    assert unary_test_value('< "b"', D(1), {}) is None
    assert unary_test('< "b"', D(1), {}) is False
    assert unary_test_value('not(< "b")', D(1), {}) is None


def test_a_parsed_entry_is_reused_and_still_sees_names_with_spaces() -> None:
    entry = parse_unary_tests("> Minimum Income")
    assert unary_test(entry, D(3000), {"Minimum Income": 2500}) is True
    assert unary_test(entry, D(2000), {"Minimum Income": 2500}) is False


def test_input_values_from_python_become_feel_values() -> None:
    assert unary_test("[1..10]", 5, {}) is True
    assert unary_test("< 0.3", 0.1 + 0.1, {}) is True
