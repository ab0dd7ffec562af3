"""Storing a step of an instance: its state, task rows, task events and due times, or the
checkpoint it is held at when its run failed (see :mod:`bpmn.runner`)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from bpmn import definitions, engine, outcomes
from bpmn.errors import BpmnError, ServiceUnavailable
from bpmn.views import ACTIVE, InstanceView, data_of, json_safe, view_of
from domain import byhand
from domain.errors import DomainError
from domain.process import events
from domain.process.models import (
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    ProcessWait,
    TaskEventKind,
    WaitKind,
    WorkTask,
    WorkTaskStatus,
)


def _retry_policy() -> tuple[float, float, int]:
    """First delay and longest delay in seconds, and attempts before giving up."""
    return (
        float(os.environ.get("LENDGRAPH_RETRY_FIRST_SECONDS", "30")),
        float(os.environ.get("LENDGRAPH_RETRY_MAX_SECONDS", "3600")),
        int(os.environ.get("LENDGRAPH_RETRY_ATTEMPTS", "12")),
    )


async def persist(
    instance: ProcessInstance,
    definition: ProcessDefinition,
    handle: engine.WorkflowHandle,
    journal: dict[str, Any],
    *,
    rows: bool = True,
    waits: bool = True,
) -> InstanceView:
    """Store the state, open rows for new human tasks, cancel gone ones, rewrite due times.

    ``rows`` / ``waits``: whether the instance may have open task rows / due times stored
    (when the caller knows it has none, they are not read or deleted).
    """
    data = json_safe(data_of(handle))
    instance.state = {
        "engine": engine.serialize(handle),
        "services": journal,
        "data": engine.plain(data),
        "messages": handle.waiting_messages(),
    }
    instance.revision += 1
    instance.status = InstanceStatus.COMPLETED if handle.completed else InstanceStatus.RUNNING
    instance.error = None  # type: ignore[assignment]
    # the state and the decision so far go with the first new task row (else alone): on
    # PostgreSQL one round trip for what a step stores, where it was three
    step = [byhand.saving(instance, "state", "revision", "status", "error", "updated_at")]
    outcome = outcomes.recording(
        definition.process_id, instance.business_key, data, completed=handle.completed
    )
    step += [outcome] if outcome is not None else []
    ready = {t.task_id: t for t in handle.ready_human_tasks()}
    found = await WorkTask.filter(instance_id=instance.id, status__in=ACTIVE) if rows else []
    known = {row.task_id for row in found}
    still_open = []
    for row in found:
        if row.task_id in ready:
            still_open.append(row)
            continue
        row.status = WorkTaskStatus.CANCELLED
        row.revision += 1
        await events.saved(row, ("status", "revision"), TaskEventKind.CANCELLED)
    specs = definitions.task_specs(definition)
    for task_id, task in ready.items():
        if task_id in known:
            continue
        spec = specs.get(task.element_id, definitions.TaskSpec(None, None))
        created = await events.created(
            WorkTask(
                instance_id=instance.id,
                task_id=task_id,
                element_id=task.element_id,
                name=task.name or task.element_id,
                candidate_role=spec.candidate_role or task.lane,
                form=spec.form,
            ),
            *step,
        )
        step = []
        still_open.append(created)
    await byhand.send(*step)
    if waits:
        await ProcessWait.filter(instance_id=instance.id).delete()
    if not handle.completed:
        timers = [
            ProcessWait(
                instance_id=instance.id, kind=WaitKind.TIMER, element_id=t.element_id,
                task_id=t.task_id, due_at=t.due_at,
            )
            for t in handle.pending_timers()
        ]  # fmt: skip
        if timers:
            await ProcessWait.bulk_create(timers)
    return await view_of(instance, definition, data, sorted(still_open, key=lambda r: r.id))


async def hold(
    instance: ProcessInstance,
    definition: ProcessDefinition,
    checkpoint: str,
    journal: dict[str, Any],
    failure: BpmnError | DomainError,
    attempt: int,
) -> InstanceView:
    """Store the instance at its checkpoint: RETRYING with a due retry, or FAILED."""
    first, longest, attempts = _retry_policy()
    retry = isinstance(failure, ServiceUnavailable) and attempt < attempts
    data = dict((instance.state or {}).get("data") or {})
    instance.state = {"engine": checkpoint, "services": journal, "data": data}
    instance.revision += 1
    await ProcessWait.filter(instance_id=instance.id).delete()
    if retry:
        delay = min(first * 2 ** (attempt - 1), longest)
        due = datetime.now(UTC) + timedelta(seconds=delay)
        instance.status = InstanceStatus.RETRYING
        instance.error = f"{failure} (attempt {attempt}, next at {due:%Y-%m-%d %H:%M:%S} UTC)"
        element = getattr(failure, "element_id", None) or "-"
        await ProcessWait.create(
            instance_id=instance.id, kind=WaitKind.RETRY, element_id=element, due_at=due,
            attempt=attempt,
        )  # fmt: skip
    else:
        instance.status = InstanceStatus.FAILED
        gave_up = (
            f" (gave up after {attempt} attempts)"
            if isinstance(failure, ServiceUnavailable)
            else ""
        )
        instance.error = f"{failure}{gave_up}"
    await byhand.save(instance, "state", "revision", "status", "error", "updated_at")
    return await view_of(instance, definition, data)
