"""Fault points: named places where a test can make the process die (kill -9) or raise.

A fault suite sets ``LENDGRAPH_FAULT`` to a comma-separated list of points (for example
``outbox.after_send`` or ``daily.profiles.before_commit``); the process is killed with SIGKILL
when it reaches one, unless ``LENDGRAPH_FAULT_ACTION=raise``, which raises :class:`FaultInjected`
(for tests in one process), or ``=term``, which sends it SIGTERM and goes on.
``LENDGRAPH_FAULT_AFTER=N`` lets the point pass N times first.
Only in ``LENDGRAPH_MODE=test``: a production process never stops here.
"""

from __future__ import annotations

import os
import signal

FAULT_ENV, FAULT_ACTION_ENV, FAULT_AFTER_ENV = (
    "LENDGRAPH_FAULT", "LENDGRAPH_FAULT_ACTION", "LENDGRAPH_FAULT_AFTER"
)  # fmt: skip
_passed: dict[str, int] = {}


class FaultInjected(Exception):
    """A test's fault point was reached (``LENDGRAPH_FAULT_ACTION=raise``)."""


def reach(point: str) -> None:
    """Die here (or raise) when the test's ``LENDGRAPH_FAULT`` names this point."""
    if os.environ.get("LENDGRAPH_MODE") != "test":
        return
    if point not in os.environ.get(FAULT_ENV, "").split(","):
        return
    passed = _passed.get(point, 0)
    if passed < int(os.environ.get(FAULT_AFTER_ENV) or 0):
        _passed[point] = passed + 1
        return
    action = os.environ.get(FAULT_ACTION_ENV)
    if action == "raise":
        raise FaultInjected(point)
    if action == "term":  # a polite stop right here: the process's SIGTERM handling is tested
        os.kill(os.getpid(), signal.SIGTERM)
        return
    os.kill(os.getpid(), signal.SIGKILL)
