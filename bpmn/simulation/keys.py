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
            else {name: [_as_decimal(c) for c in found] for name, found in cuts.items()}
        )

    @property
    def analysed(self) -> bool:
        """Whether the table was read into classes (else each combination is its own)."""
        return self._cuts is not None

    def key(self, values: Mapping[str, Any]) -> Hashable:
        """The class of ``values``; the exact values when the table could not be read."""
        if self._cuts is None:
            return ("exact", tuple(sorted((k, type(v).__name__, _hashable(v))
                                          for k, v in values.items())))  # fmt: skip
        parts: list[Hashable] = []
        for name, cuts in self._cuts.items():
            if name not in values:
                parts.append(("missing",))
                continue
            value = values[name]
            if value is None:
                parts.append(("none",))
            elif _numeric(value):
                number = _as_decimal(value)
                at = bisect_left(cuts, number)
                parts.append(("n", 2 * at + int(at < len(cuts) and cuts[at] == number)))
            else:  # a text (or other value) is compared with constants only: its own class
                parts.append(("v", type(value).__name__, _hashable(value)))
        return ("class", tuple(parts))


def _numeric(value: Any) -> bool:
    if type(value) is int:
        return True
    if type(value) is float or type(value) is Decimal:
        return bool(value.is_finite()) if isinstance(value, Decimal) else value == value
    return False


def _as_decimal(value: int | float | Decimal) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(repr(value))


def _hashable(value: Any) -> Hashable:
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _hashable(v)) for k, v in value.items()))
    return value if isinstance(value, Hashable) else repr(value)
