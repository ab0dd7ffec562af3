"""One engine run, many instances: a run's state as a template, filled in per instance.

A template run takes its task ids from a fixed sequence (the same run from the start makes
the same ids, so a run resumed from scratch with more answers agrees with the shorter one),
and stand-in values (sentinels) where an instance has its own ids. A :class:`Template` is the
run's JSON text cut at every task id and sentinel; ``fill`` joins it with an instance's fresh
task ids and its own values. Whether a run only carries those values along (and never
computes with them) is checked by running it twice with different sentinels
(:mod:`bpmn.bulk_paths`).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import SpiffWorkflow.task as spiff_task
from SpiffWorkflow.util.task import TaskState

from bpmn import engine

_TEMPLATE_PREFIX = 0x1E9D_5EED
_counter: ContextVar[Iterator[int] | None] = ContextVar("template_ids", default=None)
_spiff_uuid4 = spiff_task.uuid4


def _uuid4() -> uuid.UUID:
    counter = _counter.get()
    if counter is None:
        made: uuid.UUID = _spiff_uuid4()
        return made
    return uuid.UUID(int=(_TEMPLATE_PREFIX << 96) | next(counter))


spiff_task.uuid4 = _uuid4
TEMPLATE_ID = re.compile(r"1e9d5eed-0000-0000-[0-9a-f]{4}-[0-9a-f]{12}")


@contextmanager
def template_ids() -> Iterator[None]:
    """Task ids from the fixed sequence in this context (and the threads it starts)."""
    token = _counter.set(itertools.count(1))
    try:
        yield
    finally:
        _counter.reset(token)


def calling_task(handle: engine.WorkflowHandle, operation: str) -> tuple[str | None, str | None]:
    """Element id and engine task id of the READY service task bound to ``operation``."""
    for task in handle._workflow.get_tasks():
        spec = task.task_spec
        if getattr(spec, "operation_name", None) == operation and task.state == TaskState.READY:
            return spec.bpmn_id, str(task.id)
    return None, None


def calling_data(handle: engine.WorkflowHandle, task_id: str | None) -> dict[str, Any]:
    """The data of the calling task (what a service call sees as its context)."""
    return handle.task_data(task_id) if task_id else {}


# sentinels: ints far beyond any row id (set b negative, so a comparison with a threshold
# tells the two runs apart), strings no one writes
INT_BASE = {"a": 7_300_000_000_000_000, "b": -8_600_000_000_000_000}


def sentinel(kind: str, index: int, value: Any) -> Any:
    """The stand-in of set ``kind`` (a or b) for the index-th opaque value like ``value``."""
    if isinstance(value, int):
        base = INT_BASE[kind]
        return base + index if base > 0 else base - index
    return f"~{kind}{index:04d}~"


SENTINEL = re.compile(r"(?<![0-9])-?(?:73|86)000000000\d{5}(?![0-9])|~[ab]\d{4}~")


def swap(text: str, values: Mapping[str, str]) -> str:
    """Replace every sentinel of ``text`` found in ``values`` (by its token) by its value."""
    return SENTINEL.sub(lambda m: values.get(m.group(0), m.group(0)), text)


def token(value: Any) -> str:
    """How a value reads in JSON text, a string's quotes left out (it sits inside one)."""
    if isinstance(value, str):
        return json.dumps(value)[1:-1]
    return str(value) if type(value) is int else json.dumps(value)


@dataclass(frozen=True, slots=True)
class Template:
    """JSON text cut at task ids and sentinels; ``slots`` name what goes between the parts."""

    parts: tuple[str, ...]
    slots: tuple[str, ...]
    source: str  # the run's own text
    task_ids: tuple[str, ...]  # the template's engine task ids, once each
    itself: dict[str, str]  # every slot as itself (a sentinel the instance does not fill)

    @classmethod
    def of(cls, text: str) -> Template:
        parts, slots, at = [], [], 0
        for found in re.finditer(f"{TEMPLATE_ID.pattern}|{SENTINEL.pattern}", text):
            parts.append(text[at : found.start()])
            slots.append(found.group(0))
            at = found.end()
        parts.append(text[at:])
        ids = tuple(dict.fromkeys(s for s in slots if TEMPLATE_ID.fullmatch(s)))
        return cls(tuple(parts), tuple(slots), text, ids, {s: s for s in slots})

    def fill(self, ids: dict[str, str], values: Mapping[str, str]) -> str:
        """The text with the instance's own task ids (made on first sight) and values."""
        for template_id in self.task_ids:
            if template_id not in ids:
                own_id(ids, template_id)
        table = {**self.itself, **ids, **values}
        out: list[str] = [""] * (2 * len(self.slots) + 1)
        out[0::2] = self.parts
        out[1::2] = map(table.__getitem__, self.slots)
        return "".join(out)


_ids = random.Random(int.from_bytes(os.urandom(16), "big"))  # ids, not secrets
_VERSION_4 = (0x4000 << 64) | (0x8000 << 48)
_NOT_VERSION = ~((0xF000 << 64) | (0xC000 << 48))


def new_id() -> str:
    """A random engine task id (a version 4 UUID, as SpiffWorkflow makes them), quickly."""
    h = f"{(_ids.getrandbits(128) & _NOT_VERSION) | _VERSION_4:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def own_id(ids: dict[str, str], template_id: str) -> str:
    """An instance's own engine task id for a template's (made on first sight).

    An instance's ids share one random id's first 32 hex digits and count in the last four
    (112 random bits tell instances apart, the count tells an instance's tasks apart).
    """
    found = ids.get(template_id)
    if found is None:
        base = ids.get("")
        if base is None:
            base = ids[""] = new_id()[:-4]
        found = ids[template_id] = f"{base}{len(ids):04x}"
    return found


STATE_CHANGE = re.compile(r'"last_state_change":\s*[0-9.eE+-]+')


def comparable(text: str) -> str:
    """Engine state text without its wall-clock stamps, to compare two runs."""
    return STATE_CHANGE.sub('"last_state_change":0', text)
