"""The calls into the FEEL engine, with FEEL's refusals turned into DMN errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from bpmn import feel
from bpmn.dmn.errors import DmnErrorCode, DmnEvaluationError

Clock = Callable[[], dt.datetime]

# The clock now() and today() read during one evaluation of the DRG.
_clock: ContextVar[Clock | None] = ContextVar("dmn_clock", default=None)


@contextmanager
def using_clock(clock: Clock | None) -> Iterator[None]:
    """Evaluate with ``clock`` feeding FEEL's now() and today()."""
    token = _clock.set(clock)
    try:
        yield
    finally:
        _clock.reset(token)


def evaluate(text: str, scope: Mapping[str, Any], element_id: str) -> Any:
    """Evaluate FEEL text in a scope; empty text is null."""
    if not text or text.isspace():
        return None
    try:
        return feel.evaluate(text, scope, clock=_clock.get())
    except feel.FeelError as exc:
        raise DmnEvaluationError(str(exc), element_id, _code(exc)) from None


def test(text: str, value: Any, scope: Mapping[str, Any], element_id: str) -> bool:
    """Whether ``value`` passes FEEL unary tests; ``-`` (or nothing) passes everything."""
    stripped = text.strip()
    if stripped in ("", "-"):
        return True
    try:
        return feel.unary_test(stripped, value, scope, clock=_clock.get()) is True
    except feel.FeelError as exc:
        raise DmnEvaluationError(str(exc), element_id, _code(exc)) from None


def equal(left: Any, right: Any) -> bool:
    """FEEL equality (numbers by value, contexts and lists item by item)."""
    return feel.feel_equal(left, right) is True


def call(function: Any, args: Mapping[str, Any], element_id: str) -> Any:
    """Invoke a FEEL function value with named arguments."""
    if not isinstance(function, feel.FeelFunction):
        raise DmnEvaluationError("the invoked name is not a function", element_id)
    unknown = [name for name in args if name not in function.params]
    if unknown and not function.variadic:
        raise DmnEvaluationError(
            f"{function.name} has no parameter {', '.join(unknown)}", element_id
        )
    if function.positional:  # a built-in: FEEL binds names, optional and variadic ones
        return feel.invoke(function, named=dict(args))
    return function.body({name: args.get(name) for name in function.params})


def _code(exc: feel.FeelError) -> DmnErrorCode:
    return DmnErrorCode.LIMIT if isinstance(exc, feel.FeelLimitError) else DmnErrorCode.EXPRESSION
