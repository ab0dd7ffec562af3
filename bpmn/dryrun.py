"""Dry runs: a draft diagram run in memory with sample data, to see the path it takes.

Nothing touches the database: service tasks get the answers given (by operation name) or the
registry's example result, human tasks are completed with the answers given for their element
(or the run stops there), and timers fire at once. The result is the path of elements in the
order they ran, where the run stopped, and the data at that point.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bpmn import engine, registry, validation
from bpmn.errors import BpmnError

MAX_ROUNDS = 50


@dataclass
class DryRun:
    """What a dry run did."""

    process_id: str
    status: str  # COMPLETED, WAITING (a human task or message without an answer), FAILED
    path: list[str] = field(default_factory=list)
    waiting_at: list[str] = field(default_factory=list)
    service_calls: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    error_element: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def dry_run(
    bpmn_xml: bytes,
    dmn_xmls: list[bytes],
    data: Mapping[str, Any],
    *,
    process_id: str | None = None,
    service_answers: Mapping[str, Any] | None = None,
    task_answers: Mapping[str, Mapping[str, Any]] | None = None,
) -> DryRun:
    """Run a draft in memory; raises DeployError when the draft would not deploy."""
    bundle = validation.deploy_check(bpmn_xml, dmn_xmls)
    pid = process_id or bundle.process_ids[0]
    result = DryRun(process_id=pid, status="WAITING")
    answers = dict(service_answers or {})

    def services(name: str, arguments: dict[str, Any]) -> Any:
        result.service_calls.append({"operation": name, "arguments": arguments})
        if name in answers:
            return answers[name]
        return dict(registry.get_operation(name).example)

    handle = engine.new_workflow(bundle, pid, engine.make_engine(service_handler=services), data)
    answered = {k: dict(v) for k, v in (task_answers or {}).items()}
    try:
        for _ in range(MAX_ROUNDS):
            engine.run_engine_steps(handle)
            if handle.completed:
                result.status = "COMPLETED"
                break
            ready = [t for t in handle.ready_human_tasks() if t.element_id in answered]
            if ready:
                task = ready[0]
                engine.finish_human_task(handle, task.task_id, answered[task.element_id])
                continue
            timers = handle.pending_timers()
            if timers and not handle.ready_human_tasks():
                engine.fire_timers(handle, {t.task_id for t in timers})
                continue
            result.waiting_at = [t.element_id for t in handle.ready_human_tasks()] + [
                t.element_id for t in timers
            ]
            break
    except BpmnError as exc:
        result.status = "FAILED"
        result.error = str(exc)
        result.error_element = getattr(exc, "element_id", None)
    result.path = handle.completed_elements()
    ready = handle.ready_human_tasks()
    result.data = handle.task_data(ready[0].task_id) if ready else handle.data
    return result
