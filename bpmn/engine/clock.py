"""The business clock SpiffWorkflow's timers read, installed in its timer module on import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

_business_now: ContextVar[dt.datetime | None] = ContextVar("business_now", default=None)


class _ClockedDatetime(dt.datetime):
    """SpiffWorkflow's timers read ``datetime.now``: this one answers with the business clock.

    Installed in Spiff's timer module only. Inside :func:`business_clock` timers arm from and
    compare with the business moment given; outside it they use the wall clock as before.
    """

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> Any:
        moment = _business_now.get()
        if moment is None:
            return dt.datetime.now(tz)
        return moment.astimezone(tz) if tz is not None else moment


spiff_timer.datetime = _ClockedDatetime


def business_now() -> dt.datetime:
    """The business moment (aware), as timers and FEEL's now() and today() read it."""
    moment = _business_now.get()
    return dt.datetime.now(dt.UTC) if moment is None else moment.astimezone(dt.UTC)


@contextmanager
def business_clock(moment: dt.datetime) -> Iterator[None]:
    """Run timers against ``moment`` (aware) in this context and the threads it starts."""
    token = _business_now.set(moment)
    try:
        yield
    finally:
        _business_now.reset(token)
