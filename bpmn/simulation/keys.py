"""Class keys of a table's inputs that also hold for decimals.

:mod:`bpmn.decision_classes` reads the constants each input is compared with. Live data
carries decimals (an amount, a debt-to-income ratio), and then the engine reads a float
constant in a cell as the decimal it is written as (``0.6`` as ``Decimal("0.6")``), which
the float the classes keep is not exactly. Comparing every number as the decimal of its
shortest spelling keeps the order and equality of floats and is what the engine compares
when decimals are about, so one key serves both.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Hashable, Mapping
from decimal import Decimal
from typing import Any

from bpmn import decision_classes


class Keys:
    """The key of a set of inputs: inputs with the same key get the same rules and outputs."""

    def __init__(self, classes: decision_classes.Classes) -> None:
        cuts = classes.cuts
        self._cuts = (
            None
            if cuts is None
            else tuple((name, [_as_decimal(c) for c in found]) for name, found in cuts.items())
        )

    @property
    def analysed(self) -> bool:
        """Whether the table was read into classes (else each combination is its own)."""
        return self._cuts is not None

    def key(self, values: Mapping[str, Any]) -> Hashable:
        """The class of ``values``; the exact values when the table could not be read."""
        if self._cuts is None:
            return ("exact", every_value(values))
        parts: list[Hashable] = []
        add = parts.append
        for name, cuts in self._cuts:  # run for every case: the common kinds first
            value = values.get(name, _MISSING)
            kind = type(value)
            if kind is float and value == value and abs(value) != _INFINITY:
                value, kind = Decimal(repr(value)), Decimal
            if kind is int or (kind is Decimal and value.is_finite()):
                # ints and decimals compare exactly with the decimal cuts
                at = bisect_left(cuts, value)
                add(2 * at + (at < len(cuts) and cuts[at] == value))
            elif value is None or value is _MISSING:
                add(value)
            else:  # a text is compared with constants only, so is its own class (NaN too)
                add((kind.__name__, hashable(value)))
        return tuple(parts)


_INFINITY = float("inf")
_MISSING: Any = object()


def _as_decimal(value: int | float | Decimal) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(repr(value))


def every_value(values: Mapping[str, Any]) -> Hashable:
    """A key of every name and value (typed, so 1 and True and "1" differ)."""
    return tuple(sorted((k, type(v).__name__, hashable(v)) for k, v in values.items()))


def hashable(value: Any) -> Hashable:
    if isinstance(value, list | tuple):
        return tuple(hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), hashable(v)) for k, v in value.items()))
    return value if isinstance(value, Hashable) else repr(value)
