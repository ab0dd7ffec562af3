"""The table of FEEL built-in functions and the helpers their definitions share."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from bpmn.feel.values import FeelFunction

BUILTINS: dict[str, FeelFunction] = {}

_F = TypeVar("_F", bound=Callable[..., Any])


def builtin(
    name: str,
    params: tuple[str, ...],
    *,
    required: int | None = None,
    variadic: bool = False,
    overloads: tuple[tuple[str, ...], ...] = (),
) -> Callable[[_F], _F]:
    """Register the decorated Python function as the FEEL built-in ``name``."""

    def register(body: _F) -> _F:
        BUILTINS[name] = FeelFunction(
            params,
            body,
            name=name,
            positional=True,
            variadic=variadic,
            required=required,
            overloads=overloads,
        )
        return body

    return register


ABSENT: Any = object()  # an optional argument not given (null given is another thing)


class Invalid(ValueError):
    """An argument FEEL does not accept: the call's result is null."""


def single(value: Any) -> Any:
    """A one-item list stands for its item where a single value is expected."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def num(value: Any) -> Decimal:
    """``value`` when it is a FEEL number, else Invalid."""
    value = single(value)
    if isinstance(value, Decimal):
        return value
    raise Invalid("expected a number")


def integer(value: Any) -> int:
    """``value`` when it is a whole FEEL number, as int, else Invalid."""
    number = num(value)
    if number != number.to_integral_value():
        raise Invalid("expected a whole number")
    return int(number)


def whole(value: Any) -> int:
    """A position, length or scale: a number truncated toward zero, else Invalid."""
    return int(num(value))


def text(value: Any) -> str:
    """``value`` when it is a FEEL string, else Invalid."""
    value = single(value)
    if isinstance(value, str):
        return value
    raise Invalid("expected a string")


def items(args: tuple[Any, ...]) -> list[Any]:
    """The list a variadic list function works on: one list argument, or the arguments."""
    if len(args) == 1 and isinstance(args[0], list):
        return list(args[0])
    if len(args) == 1 and args[0] is None:
        raise Invalid("null list")
    return list(args)


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list (a single value counts as a one-item list)."""
    if isinstance(value, list):
        return value
    if value is None:
        raise Invalid("expected a list")
    return [value]
