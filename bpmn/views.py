"""What the runner answers: an instance and its open human tasks, as plain values."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bpmn import engine
from domain.process.models import (
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    WorkTask,
    WorkTaskStatus,
)


@dataclass(frozen=True, slots=True)
class TaskView:
    """A human task of an instance."""

    id: int
    task_id: str
    element_id: str
    name: str
    candidate_role: str | None
    status: WorkTaskStatus
    assignee_id: int | None
    form: dict[str, Any] | None
    revision: int


@dataclass(frozen=True, slots=True)
class InstanceView:
    """A process instance after a call: its status, revision, data and open tasks."""

    id: int
    process_id: str
    version: int
    business_key: str
    status: InstanceStatus
    revision: int
    data: dict[str, Any]
    open_tasks: list[TaskView]
    error: str | None = None
    # the stored row as this step left it, its definition attached: what a caller answering
    # about the instance would read back after the commit
    row: ProcessInstance | None = field(default=None, compare=False, repr=False)


def data_of(handle: engine.WorkflowHandle) -> dict[str, Any]:
    """The data a caller sees: the finished data, or the first open human task's."""
    if handle.completed:
        return handle.data
    ready = handle.ready_human_tasks()
    return handle.task_data(ready[0].task_id) if ready else handle.data


def json_safe(data: dict[str, Any]) -> dict[str, Any]:
    """Task data as JSON would bring it back (dates, decimals tagged and restored)."""
    untag: Any = engine._json_untag
    return dict(json.loads(json.dumps(data, default=engine._json_default), object_hook=untag))


def task_view(row: WorkTask) -> TaskView:
    """The plain view of a task row."""
    return TaskView(
        id=row.id,
        task_id=row.task_id,
        element_id=row.element_id,
        name=row.name,
        candidate_role=row.candidate_role,
        status=row.status,
        assignee_id=row.assignee_id,  # type: ignore[attr-defined]
        form=row.form,
        revision=row.revision,
    )


ACTIVE = (WorkTaskStatus.OPEN, WorkTaskStatus.CLAIMED)


async def view_of(
    instance: ProcessInstance,
    definition: ProcessDefinition,
    data: dict[str, Any],
    open_rows: list[WorkTask] | None = None,
) -> InstanceView:
    """The plain view of an instance, with its open tasks (read unless given, in id order)."""
    if open_rows is None:
        open_rows = await WorkTask.filter(instance_id=instance.id, status__in=ACTIVE).order_by("id")
    instance.definition = definition
    return InstanceView(
        id=instance.id,
        process_id=definition.process_id,
        version=definition.version,
        business_key=instance.business_key,
        status=instance.status,
        revision=instance.revision,
        data=data,
        open_tasks=[task_view(row) for row in open_rows],
        error=instance.error,
        row=instance,
    )
