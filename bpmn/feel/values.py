"""FEEL values that Python lacks: durations, ranges and functions, and the number context."""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# IEEE 754-2008 decimal128: 34 digits, half even; every overflow, invalid or division by
# zero raises, and the evaluator turns it into null (FEEL has no NaN nor infinity).
NUMBER_CONTEXT = decimal.Context(
    prec=34,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=6144,
    Emin=-6143,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


def number(value: Decimal) -> Decimal | None:
    """The value rounded to 34 digits, or None when it is not finite."""
    if not value.is_finite():
        return None
    return NUMBER_CONTEXT.plus(value)


@dataclass(frozen=True, order=True)
class DaysTimeDuration:
    """A days and time duration, held as signed seconds (fractions kept)."""

    seconds: Decimal

    @property
    def days(self) -> Decimal:
        """Whole days, signed."""
        return self._part(86_400, None)

    @property
    def hours(self) -> Decimal:
        """Hours after the whole days, signed."""
        return self._part(3_600, 24)

    @property
    def minutes(self) -> Decimal:
        """Minutes after the whole hours, signed."""
        return self._part(60, 60)

    @property
    def second_part(self) -> Decimal:
        """Seconds after the whole minutes, signed (whole seconds)."""
        return self._part(1, 60)

    def _part(self, unit: int, modulo: int | None) -> Decimal:
        whole = int(abs(self.seconds)) // unit
        if modulo is not None:
            whole %= modulo
        return Decimal(-whole if self.seconds < 0 else whole)

    def __str__(self) -> str:
        days, rest = divmod(abs(self.seconds), 86_400)
        hours, rest = divmod(rest, 3_600)
        minutes, seconds = divmod(rest, 60)
        clock = "".join(
            f"{format(amount.normalize(), 'f')}{letter}"
            for amount, letter in ((hours, "H"), (minutes, "M"), (seconds, "S"))
            if amount
        )
        if not days and not clock:
            return "PT0S"
        text = "P" + (f"{days}D" if days else "") + (f"T{clock}" if clock else "")
        return ("-" if self.seconds < 0 else "") + text


@dataclass(frozen=True, order=True)
class YearsMonthsDuration:
    """A years and months duration, held as signed months."""

    months: int

    @property
    def years(self) -> Decimal:
        """Whole years, signed."""
        whole = abs(self.months) // 12
        return Decimal(-whole if self.months < 0 else whole)

    @property
    def month_part(self) -> Decimal:
        """Months after the whole years, signed."""
        whole = abs(self.months) % 12
        return Decimal(-whole if self.months < 0 else whole)

    def __str__(self) -> str:
        years, months = divmod(abs(self.months), 12)
        text = (f"{years}Y" if years else "") + (f"{months}M" if months or not years else "")
        return ("-" if self.months < 0 else "") + "P" + text


@dataclass(frozen=True)
class Range:
    """A FEEL range; an absent end (None) is unbounded."""

    start: Any
    end: Any
    start_included: bool = True
    end_included: bool = True

    def __str__(self) -> str:
        left = "[" if self.start_included else "("
        right = "]" if self.end_included else ")"
        return f"{left}{self.start}..{self.end}{right}"


@dataclass(frozen=True, eq=False)
class FeelFunction:
    """A FEEL function: a user definition, a BKM or decision service, or a built-in.

    ``body`` takes the arguments as a dict by parameter name, unless ``positional`` is set
    (built-ins), when it takes them in order. ``variadic`` functions take any count.
    """

    params: tuple[str, ...]
    body: Callable[..., Any]
    name: str = "anonymous"
    positional: bool = False
    variadic: bool = False
    required: int | None = None
    param_types: Mapping[str, str] = field(default_factory=dict)
    overloads: tuple[tuple[str, ...], ...] = ()

    @property
    def minimum(self) -> int:
        """How many arguments a call must give at least."""
        return len(self.params) if self.required is None else self.required

    @property
    def maximum(self) -> int:
        """How many arguments a call may give at most (when not variadic)."""
        return max(len(params) for params in (self.params, *self.overloads))

    def __str__(self) -> str:
        return f"function {self.name}({', '.join(self.params)})"
