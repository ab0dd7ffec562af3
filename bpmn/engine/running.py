"""Running a workflow: engine steps bounded in tasks and time, SpiffWorkflow's silent depth
limit detected, human tasks completed, timers fired, messages delivered, and a process run
in memory as a decision."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from bpmn.engine.decisions import sole_feel_decision
from bpmn.engine.handle import Message, WorkflowHandle, _catches, _waiting_event_tasks
from bpmn.engine.parsing import ParsedBundle, _spiff_reason
from bpmn.engine.script import ServiceHandler, make_engine
from bpmn.engine.state import new_workflow
from bpmn.errors import BpmnError, DepthLimitReached, ExpressionError, WorkflowRunError

MAX_TASKS_PER_RUN = 5_000
MAX_RUN_SECONDS = 5.0
SPIFF_DEPTH_LIMIT = 1_000


def _element_of(exc: BaseException) -> str | None:
    task = getattr(exc, "task", None)
    spec = getattr(task, "task_spec", None) or getattr(exc, "task_spec", None)
    return getattr(spec, "bpmn_id", None) or getattr(exc, "id", None)


def run_engine_steps(handle: WorkflowHandle) -> None:
    """Run engine tasks until only human tasks/waits remain; bounded in tasks and time.

    Raises :class:`DepthLimitReached` when SpiffWorkflow stops silently at its depth limit
    and :class:`WorkflowRunError` (with the element id) when an expression fails.
    """
    workflow = handle._workflow
    started = time.monotonic()
    count = 0

    def guard(task: Any) -> None:
        nonlocal count
        count += 1
        if count > MAX_TASKS_PER_RUN or time.monotonic() - started > MAX_RUN_SECONDS:
            raise WorkflowRunError(
                "too many steps in one run (endless loop?)", task.task_spec.bpmn_id
            )

    try:
        workflow.do_engine_steps(will_complete_task=guard)
    except BpmnError:
        raise
    except SpiffWorkflowException as exc:
        inner = getattr(exc, "exception", None) or exc.__cause__
        if isinstance(inner, WorkflowRunError):
            raise inner from None  # keeps ServiceUnavailable apart from a real failure
        raise WorkflowRunError(_spiff_reason(exc), _element_of(exc)) from None
    except RecursionError:
        raise DepthLimitReached("task tree too deep (long loop)") from None
    _check_depth(workflow)


def _check_depth(workflow: Any) -> None:
    # is_completed() itself walks only 1,000 levels, so it says True after a silent stop
    for task in workflow.tasks.values():
        ready = task.state == TaskState.READY and not task.task_spec.manual
        if ready and task.depth >= SPIFF_DEPTH_LIMIT - 1:
            raise DepthLimitReached(
                f"task tree deeper than {SPIFF_DEPTH_LIMIT}: SpiffWorkflow stopped silently "
                "(long loop); model the loop with a wait state or a subprocess",
                task.task_spec.bpmn_id,
            )


def finish_human_task(
    handle: WorkflowHandle, task_id: str, data: Mapping[str, Any] | None = None
) -> None:
    """Complete a ready user/manual task with form data; the engine steps after it wait."""
    task = handle._find(task_id)
    if task.state != TaskState.READY or not task.task_spec.manual:
        raise WorkflowRunError("task is not a ready human task", task.task_spec.bpmn_id)
    task.data.update(data or {})
    try:
        task.run()
    except SpiffWorkflowException as exc:
        raise WorkflowRunError(_spiff_reason(exc), _element_of(exc)) from None


def complete_human_task(
    handle: WorkflowHandle, task_id: str, data: Mapping[str, Any] | None = None
) -> None:
    """Complete a ready user/manual task with form data, then run engine steps."""
    finish_human_task(handle, task_id, data)
    run_engine_steps(handle)


def fire_timers(handle: WorkflowHandle, task_ids: set[str]) -> list[str]:
    """Fire the waiting timers named by engine task id; returns their element ids.

    The caller decides what is due (the wait table, on the business clock). Timers due on
    the clock of the current context fire too, as SpiffWorkflow refreshes them all.
    """
    fired = []
    for task in _waiting_event_tasks(handle._workflow):
        if not _catches(task, TimerEventDefinition) or str(task.id) not in task_ids:
            continue
        task._set_internal_data(event_fired=True)
        task.task_spec._update(task)  # what refresh_timers does, here also inside subprocesses
        fired.append(task.task_spec.bpmn_id)
    handle._workflow.refresh_timers()
    return fired


def deliver_message(handle: WorkflowHandle, name: str, payload: Mapping[str, Any]) -> bool:
    """Hand a message to the tasks waiting for it by name; False when none waits."""
    for task in _waiting_event_tasks(handle._workflow):
        for definition in _catches(task, Message):
            if definition.name != name:
                continue
            # aimed at the waiting task's own workflow, which may be a subprocess
            event = BpmnEvent(definition, payload=dict(payload), target=task.workflow)
            handle._workflow.catch(event)
            return True
    return False


def evaluate(
    bundle: ParsedBundle,
    process_id: str,
    data: Mapping[str, Any],
    service_handler: ServiceHandler | None = None,
) -> dict[str, Any]:
    """Run a process in memory to its first wait and return the data there (nothing stored).

    For processes used as decisions (a rating, an eligibility): the answer is in the data.
    A process that is one FEEL decision and nothing else is answered by the decision alone,
    as its run would (the outputs merged into the data), without making a workflow.
    """
    feel_decision = sole_feel_decision(bundle, process_id)
    if feel_decision is not None:
        element_id, decision = feel_decision
        try:
            result = decision.evaluate(data, element_id)
        except ExpressionError as exc:
            raise WorkflowRunError(exc.reason, element_id) from None
        merged: dict[str, Any] = DeepMerge.merge(dict(data), result)
        return merged
    handle = new_workflow(bundle, process_id, make_engine(service_handler=service_handler), data)
    run_engine_steps(handle)
    ready = handle.ready_human_tasks()
    return handle.task_data(ready[0].task_id) if ready else handle.data
