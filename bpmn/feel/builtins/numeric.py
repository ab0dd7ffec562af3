"""Numeric built-ins: rounding with a scale, abs, modulo, roots, logarithms, parity."""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Any

from bpmn.feel.builtins.registry import ABSENT, Invalid, builtin, integer, num, whole
from bpmn.feel.values import NUMBER_CONTEXT, DaysTimeDuration, YearsMonthsDuration, number

_SCALE_LIMITS = (-6111, 6176)


def _round(value: Any, scale: Any, rounding: str) -> Decimal | None:
    amount = num(value)
    places = 0 if scale is ABSENT else whole(scale)
    if not _SCALE_LIMITS[0] <= places <= _SCALE_LIMITS[1]:
        raise Invalid("scale out of range")
    exponent = Decimal(1).scaleb(-places)
    context = NUMBER_CONTEXT.copy()
    context.rounding = rounding
    context.prec = max(34, amount.adjusted() + places + 2)
    return number(amount.quantize(exponent, context=context))


@builtin("decimal", ("n", "scale"))
def decimal_of(value: Any, scale: Any) -> Decimal | None:
    """``n`` at ``scale`` decimal places, rounded half even."""
    return _round(value, scale, decimal.ROUND_HALF_EVEN)


@builtin("floor", ("n", "scale"), required=1)
def floor(value: Any, scale: Any = ABSENT) -> Decimal | None:
    """Rounded toward negative infinity (at ``scale`` places)."""
    return _round(value, scale, decimal.ROUND_FLOOR)


@builtin("ceiling", ("n", "scale"), required=1)
def ceiling(value: Any, scale: Any = ABSENT) -> Decimal | None:
    """Rounded toward positive infinity (at ``scale`` places)."""
    return _round(value, scale, decimal.ROUND_CEILING)


@builtin("round up", ("n", "scale"), required=1)
def round_up(value: Any, scale: Any = ABSENT) -> Decimal | None:
    """Rounded away from zero."""
    return _round(value, scale, decimal.ROUND_UP)


@builtin("round down", ("n", "scale"), required=1)
def round_down(value: Any, scale: Any = ABSENT) -> Decimal | None:
    """Rounded toward zero."""
    return _round(value, scale, decimal.ROUND_DOWN)


@builtin("round half up", ("n", "scale"), required=1)
def round_half_up(value: Any, scale: Any = ABSENT) -> Decimal | None:
    """Rounded to nearest, ties away from zero."""
    return _round(value, scale, decimal.ROUND_HALF_UP)


@builtin("round half down", ("n", "scale"), required=1)
def round_half_down(value: Any, scale: Any = ABSENT) -> Decimal | None:
    """Rounded to nearest, ties toward zero."""
    return _round(value, scale, decimal.ROUND_HALF_DOWN)


@builtin("abs", ("n",))
def absolute(value: Any) -> Any:
    """The absolute value of a number or duration."""
    if isinstance(value, DaysTimeDuration):
        return DaysTimeDuration(abs(value.seconds))
    if isinstance(value, YearsMonthsDuration):
        return YearsMonthsDuration(abs(value.months))
    return abs(num(value))


@builtin("modulo", ("dividend", "divisor"))
def modulo(dividend: Any, divisor: Any) -> Decimal | None:
    """The remainder with the divisor's sign: dividend - divisor * floor(dividend/divisor)."""
    a, b = num(dividend), num(divisor)
    quotient = NUMBER_CONTEXT.divide(a, b).to_integral_value(rounding=decimal.ROUND_FLOOR)
    return number(NUMBER_CONTEXT.subtract(a, NUMBER_CONTEXT.multiply(b, quotient)))


@builtin("sqrt", ("number",))
def sqrt(value: Any) -> Decimal | None:
    """The square root (null for a negative number)."""
    return number(NUMBER_CONTEXT.sqrt(num(value)))


@builtin("log", ("number",))
def log(value: Any) -> Decimal | None:
    """The natural logarithm (null unless positive)."""
    return number(NUMBER_CONTEXT.ln(num(value)))


@builtin("exp", ("number",))
def exp(value: Any) -> Decimal | None:
    """e raised to the number."""
    return number(NUMBER_CONTEXT.exp(num(value)))


@builtin("odd", ("number",))
def odd(value: Any) -> bool:
    """Whether a whole number is odd."""
    return integer(value) % 2 == 1


@builtin("even", ("number",))
def even(value: Any) -> bool:
    """Whether a whole number is even."""
    return integer(value) % 2 == 0
