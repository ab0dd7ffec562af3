"""Running the synchronous engine on the event loop's own thread, its service calls awaited.

SpiffWorkflow is synchronous, and a service task's implementation is a coroutine that needs
the step's transaction. :func:`run` starts the engine run in a greenlet on the caller's thread;
when a service task calls :func:`wait`, the greenlet hands its coroutine to the step's coroutine,
which awaits it on the loop (inside the same task context, so the same transaction) and switches
back with the answer or the exception. No worker thread, no hand-over between threads: a step
costs what its engine run and its statements cost.

An engine run holds the loop while it computes, as it held the interpreter's lock in a worker
thread: its work is bounded (the FEEL budget, SpiffWorkflow's depth limit, the service calls'
timeout), and the statements it waits for let the loop serve others meanwhile.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import greenlet

T = TypeVar("T")


class _Engine(greenlet.greenlet):  # type: ignore[misc]
    """A greenlet running an engine step: what :func:`wait` recognises."""


@dataclass(frozen=True)
class _Call:
    coroutine: Coroutine[Any, Any, Any]
    context: contextvars.Context
    timeout: float


def inside() -> bool:
    """Whether the caller runs inside :func:`run` (its service calls may :func:`wait`)."""
    return isinstance(greenlet.getcurrent(), _Engine)


def wait(coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
    """The coroutine's result, awaited by the step that started this engine run.

    Runs the coroutine in the engine run's context (the business clock, the caller's transaction)
    as its own task; raises what it raised, or TimeoutError after ``timeout`` seconds (the
    coroutine cancelled). Only inside :func:`run`.
    """
    current = greenlet.getcurrent()
    if not isinstance(current, _Engine):
        coroutine.close()
        raise RuntimeError("inline.wait outside an inline engine run")
    call = _Call(coroutine, contextvars.copy_context(), timeout)
    return current.parent.switch(call)  # type: ignore[no-any-return]


async def run(fn: Callable[[], T]) -> T:
    """``fn()`` run on this thread in a context of its own (as ``asyncio.to_thread`` gives one),
    the service calls it makes through :func:`wait` awaited here."""
    loop = asyncio.get_running_loop()
    child = _Engine(fn)
    child.gr_context = contextvars.copy_context()
    value = child.switch()
    while not child.dead:
        call: _Call = value
        task = loop.create_task(call.coroutine, context=call.context)
        try:
            answer = await asyncio.wait_for(task, call.timeout)
        except BaseException as exc:  # handed to the engine run, which raises it or handles it
            value = child.throw(exc)
        else:
            value = child.switch(answer)
    return value  # type: ignore[no-any-return]
