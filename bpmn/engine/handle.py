"""A running workflow behind an opaque handle, and what can be read of it: its ready human
tasks, the timers and messages it waits for, the elements it has completed."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from bpmn.errors import WorkflowRunError


@dataclass(frozen=True)
class PendingTimer:
    """A timer event an instance waits on, with its due moment (UTC)."""

    element_id: str
    task_id: str
    due_at: dt.datetime


@dataclass(frozen=True)
class ReadyTask:
    task_id: str
    element_id: str
    name: str | None
    lane: str | None
    kind: str


@dataclass
class WorkflowHandle:
    """An opaque running workflow; use the module functions to act on it."""

    process_id: str
    _workflow: Any = field(repr=False)

    @property
    def completed(self) -> bool:
        pending = TaskState.READY | TaskState.WAITING | TaskState.STARTED
        deep = any(t.state & pending for t in self._workflow.tasks.values())
        return bool(self._workflow.is_completed()) and not deep

    @property
    def data(self) -> dict[str, Any]:
        return dict(self._workflow.data)

    def ready_human_tasks(self) -> list[ReadyTask]:
        tasks = self._workflow.get_tasks(state=TaskState.READY, manual=True)
        return [
            ReadyTask(
                str(t.id), t.task_spec.bpmn_id, t.task_spec.bpmn_name,
                t.task_spec.lane, type(t.task_spec).__name__,
            )
            for t in tasks
        ]  # fmt: skip

    def pending_timers(self) -> list[PendingTimer]:
        """Waiting timers and when they are due (armed on the clock of the last run)."""
        found = []
        for task in _waiting_event_tasks(self._workflow):
            value = task._get_internal_data("event_value")
            if not _catches(task, TimerEventDefinition) or not isinstance(value, str):
                continue
            due = dt.datetime.fromisoformat(value)
            if due.tzinfo is None:
                due = due.replace(tzinfo=dt.UTC)
            found.append(PendingTimer(task.task_spec.bpmn_id, str(task.id), due))
        return found

    def completed_elements(self) -> list[str]:
        """Element ids of the tasks that ran, in the order they finished."""
        done = [
            t for t in self._workflow.get_tasks()
            if t.has_state(TaskState.COMPLETED) and getattr(t.task_spec, "bpmn_id", None)
        ]  # fmt: skip
        done.sort(key=lambda t: t.last_state_change)
        return [t.task_spec.bpmn_id for t in done]

    def waiting_messages(self) -> list[str]:
        """Names of the messages the instance waits for."""
        return sorted(
            {d.name for t in _waiting_event_tasks(self._workflow) for d in _catches(t, Message)}
        )

    def task_data(self, task_id: str) -> dict[str, Any]:
        return dict(self._find(task_id).data)

    def _find(self, task_id: str) -> Any:
        try:
            task = self._workflow.get_task_from_id(uuid.UUID(task_id))
        except (ValueError, TaskNotFoundException):
            task = None
        if task is None:
            raise WorkflowRunError(f"no task {task_id}")
        return task


Message = MessageEventDefinition


def _catches(task: Any, kind: type) -> list[Any]:
    """The event definitions of ``kind`` a catching task (or event-based gateway) waits for."""
    definition = task.task_spec.event_definition
    parts = (
        definition.event_definitions
        if isinstance(definition, MultipleEventDefinition)
        else [definition]
    )
    return [d for d in parts if isinstance(d, kind)]


def _waiting_event_tasks(workflow: Any) -> list[Any]:
    # the top workflow's event manager holds the catching tasks of its subprocesses too
    return [t for t in workflow.event_manager.tasks.values() if t.state == TaskState.WAITING]
