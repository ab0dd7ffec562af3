"""Syntax errors the designer shows: where (offset, line, column) and what was expected."""

from __future__ import annotations

import pytest

from bpmn.feel import FeelError, FeelSyntaxError, parse_expression, parse_unary_tests


@pytest.mark.parametrize(
    ("text", "position", "line", "column", "says"),
    [
        ("1 +", 3, 1, 4, "expected a value"),
        ("if x > 1 then 2", 15, 1, 16, "'else'"),
        ("if x > 1\nthen 2\nelse", 20, 3, 5, "expected a value"),
        ("[1, 2", 5, 1, 6, "']' to close the list"),
        ("{a: 1, b 2}", 9, 1, 10, "':' after the context key"),
        ('"unclosed', 0, 1, 1, "string not closed"),
        ("f(a: 1, 2)", 8, 1, 9, "a parameter name"),
        ("for x in [1] x", 13, 1, 14, "'return'"),
        ("some x in [1] return x", 14, 1, 15, "'satisfies'"),
        ("1 between 2", 11, 1, 12, "'and'"),
        ("a # b", 2, 1, 3, "unexpected character '#'"),
        ("/* never closed", 0, 1, 1, "'*/'"),
        ('"\\u12"', 1, 1, 2, "4 hex digits"),
        ("x instance of list<number", 25, 1, 26, "'>'"),
    ],
)
def test_errors_name_the_place_and_what_was_expected(
    text: str, position: int, line: int, column: int, says: str
) -> None:
    with pytest.raises(FeelSyntaxError) as refused:
        parse_expression(text)
    error = refused.value
    assert (error.position, error.line, error.column) == (position, line, column)
    assert says in error.message
    assert isinstance(error, FeelError)


def test_unary_tests_report_their_errors_too() -> None:
    with pytest.raises(FeelSyntaxError) as refused:
        parse_unary_tests("< 10,")
    assert refused.value.column == 6


@pytest.mark.parametrize(("text", "column"), [("== 0", 2), ("? == 0", 4), ("< <= 5", 3)])
def test_a_comparison_of_a_comparison_is_an_error_not_a_test_that_never_matches(
    text: str, column: int
) -> None:
    # Python's '==' typed into a FEEL cell would otherwise read as '= (= 0)': never true
    with pytest.raises(FeelSyntaxError) as refused:
        parse_unary_tests(text)
    assert refused.value.column == column and "a value after" in refused.value.message


def test_the_message_carries_line_and_column_for_logs() -> None:
    with pytest.raises(FeelSyntaxError) as refused:
        parse_expression("1 +\n* 2")
    assert str(refused.value).startswith("line 2, column 1:")
