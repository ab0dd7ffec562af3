"""Where instances started in bulk go: one engine run per distinct path, not per instance.

Instances whose start data agree on everything but their own ids (the fields named opaque,
such as ``loan_id``), and whose service calls answered alike but for their own ids (a message
id), take the same path through the diagram. A path node is run once in memory, with
sentinels in place of those ids and the answers met so far: it ends at its next service call
(made for all its instances at once, set-based) or where the instances wait (human tasks,
timers, messages) or end. Each node runs twice with two different sets of sentinels; a node
whose two runs differ by more than the sentinels (the diagram computes with an id) is not
shared, and its instances are started one by one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bpmn import copies, engine
from bpmn.errors import BpmnError, WorkflowRunError
from bpmn.views import data_of, json_safe
from domain.errors import DomainError


class _Stop(WorkflowRunError):
    """A node's run reached a service call it has no answer for."""

    def __init__(self, call: Call) -> None:
        super().__init__("stopped for a service call", call.element_id)
        self.call = call


@dataclass(frozen=True, slots=True)
class Call:
    """The service call a node stops at (arguments and context in sentinel form)."""

    operation: str
    arguments: copies.Template  # JSON (tagged decimals and dates)
    element_id: str | None
    task_id: str | None  # the template's engine task id
    data: copies.Template  # the calling task's data, JSON


@dataclass(frozen=True, slots=True)
class Finish:
    """Where a node's instances wait or end, as templates."""

    state: copies.Template  # the engine state
    data: copies.Template  # the data a caller sees, tagged JSON
    completed: bool
    messages: list[str]
    human: list[engine.ReadyTask]
    timers: list[engine.PendingTimer]


@dataclass(frozen=True, slots=True)
class Unshared:
    """A node not to share: its instances start one by one (and fail there, if they do)."""

    reason: str


Outcome = Call | Finish | Unshared


def _dumps(value: Any) -> str:
    return json.dumps(value, default=engine._json_default, sort_keys=True)


_DECODER = json.JSONDecoder(object_hook=engine._json_untag)


def loads(text: str) -> Any:
    """JSON text of this module back to values (decimals and dates restored)."""
    return _DECODER.decode(text)


@dataclass
class Shape:
    """An instance's path so far: the key of its node and its opaque values in order."""

    key: tuple[str, ...]
    values: list[Any] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # sentinel (set a) -> value, as JSON

    def add(self, found: Any, opaque: tuple[str, ...]) -> Shape:
        """The shape after ``found`` (start data or an answer) with its ``opaque`` fields."""
        if not isinstance(found, dict):
            return Shape((*self.key, _dumps(found)), self.values, self.tokens)
        plain: dict[str, Any] = {}
        values, tokens = list(self.values), dict(self.tokens)
        for name, value in found.items():
            if name in opaque and isinstance(value, int | str) and not isinstance(value, bool):
                plain[name] = f"<opaque {type(value).__name__} {len(values)}>"
                tokens[copies.token(copies.sentinel("a", len(values), value))] = copies.token(value)
                values.append(value)
            else:
                plain[name] = value
        return Shape((*self.key, _dumps(plain)), values, tokens)


def _stand_in(found: Any, values: list[Any], kind: str) -> Any:
    """``found`` with its opaque markers replaced by set ``kind``'s sentinels."""
    if not isinstance(found, dict):
        return found
    out = {}
    for name, value in found.items():
        if isinstance(value, str) and value.startswith("<opaque "):
            index = int(value.rsplit(" ", 1)[1][:-1])
            out[name] = copies.sentinel(kind, index, values[index])
        else:
            out[name] = value
    return out


def _run(
    bundle: engine.ParsedBundle, process_id: str, moment: datetime, steps: list[dict[str, Any]]
) -> Call | Finish:
    """Run from the start with ``steps`` (start data, then answers) to the next stop."""
    answers = steps[1:]
    box: list[engine.WorkflowHandle] = []
    used = 0

    def handler(name: str, arguments: dict[str, Any]) -> Any:
        nonlocal used
        if used < len(answers):
            used += 1
            return answers[used - 1]
        element, task = copies.calling_task(box[0], name)
        data = copies.calling_data(box[0], task)
        raise _Stop(Call(name, copies.Template.of(_dumps(arguments)), element, task,
                         copies.Template.of(_dumps(data))))  # fmt: skip

    with engine.business_clock(moment), copies.template_ids():
        handle = engine.new_workflow(
            bundle, process_id, engine.make_engine(service_handler=handler), steps[0]
        )
        box.append(handle)
        try:
            engine.run_engine_steps(handle)
        except _Stop as stop:
            return stop.call
        data = json_safe(data_of(handle))
        return Finish(
            copies.Template.of(engine.serialize(handle)),
            copies.Template.of(_dumps(data)),
            handle.completed,
            handle.waiting_messages(),
            handle.ready_human_tasks(),
            handle.pending_timers() if not handle.completed else [],
        )


def _text(outcome: Call | Finish) -> str:
    if isinstance(outcome, Call):
        return _dumps([outcome.operation, outcome.arguments.source, outcome.element_id,
                       outcome.task_id, outcome.data.source])  # fmt: skip
    timers = [(t.element_id, t.task_id, t.due_at.isoformat()) for t in outcome.timers]
    human = [(t.task_id, t.element_id) for t in outcome.human]
    filled = [copies.comparable(outcome.state.source), outcome.data.source]
    return _dumps([filled, outcome.completed, outcome.messages, human, timers])


def run_node(
    bundle: engine.ParsedBundle, process_id: str, moment: datetime, key: tuple[str, ...],
    values: list[Any],
) -> Outcome:  # fmt: skip
    """The outcome of the node ``key``, checked: two sentinel sets must agree."""
    marked = [loads(step) for step in key]
    outcomes: list[Call | Finish] = []
    try:
        for kind in ("a", "b"):
            steps = [_stand_in(step, values, kind) for step in marked]
            outcomes.append(_run(bundle, process_id, moment, steps))
    except (BpmnError, DomainError) as exc:  # the one-by-one start stores it, as it should
        return Unshared(str(exc))
    a, b = outcomes
    to_b = {
        copies.token(copies.sentinel("a", i, v)): copies.token(copies.sentinel("b", i, v))
        for i, v in enumerate(values)
    }
    if copies.swap(_text(a), to_b) != _text(b):
        return Unshared("the diagram computes with an instance's own values")
    return a
