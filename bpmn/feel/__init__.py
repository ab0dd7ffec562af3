"""FEEL (DMN 1.3 chapter 10): our own parser and evaluator for decision tables and conditions.

Numbers are Decimal (34 digits, half even), strings str, dates datetime.date, times
datetime.time, date and time datetime.datetime, durations and ranges our own classes.
Nothing in an expression reaches Python: paths read context entries and the documented
properties of FEEL values only.
"""

from bpmn.feel.api import (
    FeelExpression,
    FeelUnaryTests,
    evaluate,
    parse_expression,
    parse_unary_tests,
    unary_test,
    unary_test_value,
)
from bpmn.feel.builtins import BUILTINS
from bpmn.feel.calls import feel_clock, invoke
from bpmn.feel.convert import from_python, to_feel
from bpmn.feel.errors import FeelError, FeelLimitError, FeelSyntaxError
from bpmn.feel.operators import feel_equal
from bpmn.feel.type_syntax import parse_type
from bpmn.feel.types import instance_of, item_definitions, type_name
from bpmn.feel.values import DaysTimeDuration, FeelFunction, Range, YearsMonthsDuration

__all__ = [
    "BUILTINS",
    "DaysTimeDuration",
    "FeelError",
    "FeelExpression",
    "FeelFunction",
    "FeelLimitError",
    "FeelSyntaxError",
    "FeelUnaryTests",
    "Range",
    "YearsMonthsDuration",
    "evaluate",
    "feel_clock",
    "feel_equal",
    "from_python",
    "instance_of",
    "invoke",
    "item_definitions",
    "parse_expression",
    "parse_type",
    "parse_unary_tests",
    "to_feel",
    "type_name",
    "unary_test",
    "unary_test_value",
]
