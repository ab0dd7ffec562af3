"""Invoking FEEL functions with positional or named arguments; invalid calls give null."""

from __future__ import annotations

import decimal
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from bpmn.feel.convert import to_feel
from bpmn.feel.errors import (
    MAX_CALL_DEPTH,
    MAX_SECONDS,
    MAX_STEPS,
    FeelError,
    FeelLimitError,
)
from bpmn.feel.values import NUMBER_CONTEXT, FeelFunction


@dataclass
class Budget:
    """The steps, time and call depth one evaluation may still use."""

    steps: int = 0
    deadline: float = field(default_factory=lambda: time.monotonic() + MAX_SECONDS)
    depth: int = 0
    clock: Callable[[], Any] | None = None

    def tick(self, count: int = 1) -> None:
        """Count ``count`` steps; FeelLimitError past the step or time budget."""
        self.steps += count
        if self.steps > MAX_STEPS:
            raise FeelLimitError("expression took too many steps")
        if self.steps & 255 < count and time.monotonic() > self.deadline:
            raise FeelLimitError("expression took too long")


_budget: ContextVar[Budget | None] = ContextVar("feel_budget", default=None)
_clock: ContextVar[Callable[[], Any] | None] = ContextVar("feel_clock", default=None)


@contextmanager
def feel_clock(clock: Callable[[], Any]) -> Iterator[None]:
    """now() and today() read ``clock`` (giving an aware datetime) in this context."""
    token = _clock.set(clock)
    try:
        yield
    finally:
        _clock.reset(token)


def current_budget() -> Budget:
    """The running evaluation's budget (a fresh one outside any evaluation)."""
    found = _budget.get()
    return found if found is not None else Budget()


@contextmanager
def budget_scope(clock: Callable[[], Any] | None) -> Iterator[Budget]:
    """One evaluation's budget; nested evaluations (functions called back) share it."""
    outer = _budget.get()
    if outer is not None:
        if clock is not None and outer.clock is None:
            outer.clock = clock
        yield outer
        return
    budget = Budget(clock=clock if clock is not None else _clock.get())
    token = _budget.set(budget)
    try:
        # Plain Decimal operators inside built-ins then round like FEEL (34 digits), too.
        with decimal.localcontext(NUMBER_CONTEXT):
            yield budget
    finally:
        _budget.reset(token)


def invoke(
    function: Any, args: list[Any] | None = None, named: Mapping[str, Any] | None = None
) -> Any:
    """Call a FEEL function; null when it is not one or the arguments do not fit it."""
    if not isinstance(function, FeelFunction):
        return None
    if _budget.get() is None:  # from Python: plain ints, floats and tuples become FEEL values
        args = None if args is None else [to_feel(arg) for arg in args]
        named = None if named is None else {key: to_feel(arg) for key, arg in named.items()}
    if named is not None:
        bound = _bind_named(function, named)
        if bound is None:
            return None
        args = bound
    args = list(args or [])
    count = len(args)
    if count < function.minimum or (count > function.maximum and not function.variadic):
        return None
    # Called from Python (a BKM by the DMN engine) it gets a budget and decimal context too.
    with budget_scope(None) as budget:
        budget.depth += 1
        try:
            if budget.depth > MAX_CALL_DEPTH:
                raise FeelLimitError("functions called each other too deeply")
            if function.positional:
                return _call_builtin(function, args)
            values = dict(zip(function.params, args, strict=False))
            for param in function.params[count:]:
                values[param] = None
            return function.body(values)
        finally:
            budget.depth -= 1


def _bind_named(function: FeelFunction, named: Mapping[str, Any]) -> list[Any] | None:
    for params in (function.params, *function.overloads):
        if not params or any(key not in params for key in named):
            continue
        last = max((params.index(key) for key in named), default=-1)
        needed = function.minimum if params is function.params else len(params)
        if function.positional and any(p not in named for p in params[:needed]):
            continue
        return [named.get(param) for param in params[: last + 1]]
    return None


def _call_builtin(function: FeelFunction, args: list[Any]) -> Any:
    try:
        return function.body(*args)
    except FeelLimitError:
        raise
    except (FeelError, ArithmeticError, ValueError, TypeError, KeyError, IndexError):
        return None  # FEEL: an invalid built-in call is null, never an abort
    except RecursionError:
        raise FeelLimitError("functions called each other too deeply") from None
