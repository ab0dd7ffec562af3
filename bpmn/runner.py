"""Running deployed processes against the database: start, claim and complete human tasks.

Each call is one transaction: the engine run (in a worker thread, SpiffWorkflow is
synchronous), the rows the service tasks write (their async implementations run on the event
loop inside the same transaction), the instance state and the WorkTask rows. A failure
anywhere rolls all of it back, and the instance stays at its last committed state.

Service calls are journalled in the instance state by element id and engine task id. A retry
of a failed run restores the last committed state, so it repeats the calls of that run: their
database writes were rolled back with it, so nothing happens twice. A call already in the
journal is answered from it and not made again. Operations with effects outside the database
(a real bureau, payments) must be idempotent on their own until an outbox exists.
"""

from __future__ import annotations

import ast
import asyncio
import json
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.util.task import TaskState
from tortoise.transactions import in_transaction

from bpmn import engine, operations, registry
from bpmn.errors import WorkflowRunError
from domain.errors import ConflictError, ForbiddenError, NotFoundError, Problems
from domain.process.models import (
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    WorkTask,
    WorkTaskStatus,
)
from domain.user.models import User

SERVICE_TIMEOUT_SECONDS = 30.0
MAX_TEXT_FIELD = 2000
HUMAN_TASK_TAGS = ("userTask", "manualTask")


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


@dataclass(frozen=True, slots=True)
class _TaskSpec:
    candidate_role: str | None
    form: dict[str, Any] | None


_BUNDLES: dict[int, engine.ParsedBundle] = {}
_TASK_SPECS: dict[int, dict[str, _TaskSpec]] = {}


def _bundle(definition: ProcessDefinition) -> engine.ParsedBundle:
    """Parsed once per definition id: definitions are immutable."""
    found = _BUNDLES.get(definition.id)
    if found is None:
        dmns = [d.encode("utf-8") for d in definition.dmn_xmls]
        found = engine.parse(definition.bpmn_xml.encode("utf-8"), dmns)
        _BUNDLES[definition.id] = found
    return found


def _task_specs(definition: ProcessDefinition) -> dict[str, _TaskSpec]:
    """candidate_role and form_fields of each human task, read from the diagram's metadata."""
    found = _TASK_SPECS.get(definition.id)
    if found is not None:
        return found
    root = engine.secure_xml(definition.bpmn_xml.encode("utf-8"))
    specs: dict[str, _TaskSpec] = {}
    for tag in HUMAN_TASK_TAGS:
        for node in root.iter(f"{{*}}{tag}"):
            meta = {m.get("name"): m.get("value") for m in node.iter("{*}taskMetadataValue")}
            role = None
            if meta.get("candidate_role"):
                try:
                    role = str(ast.literal_eval(meta["candidate_role"]))
                except (ValueError, SyntaxError):
                    role = None
            form = json.loads(meta["form_fields"]) if meta.get("form_fields") else None
            specs[node.get("id")] = _TaskSpec(role, form)
    _TASK_SPECS[definition.id] = specs
    return specs


class _Services:
    """The engine's service handler: runs registered async operations on the event loop."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, instance_id: int, journal: dict[str, Any]
    ) -> None:
        self.loop = loop
        self.instance_id = instance_id
        self.journal = journal
        self.handle: engine.WorkflowHandle | None = None

    def _calling_task(self, name: str) -> tuple[str | None, str | None, dict[str, Any]]:
        # the engine passes no task to the handler: the running service task is the READY one
        # bound to this operation (no parallel service tasks of one operation in our diagrams)
        workflow = self.handle._workflow if self.handle is not None else None
        for task in workflow.get_tasks() if workflow is not None else []:
            spec = task.task_spec
            if getattr(spec, "operation_name", None) == name and task.state == TaskState.READY:
                return spec.bpmn_id, str(task.id), dict(task.data)
        return None, None, {}

    def __call__(self, name: str, arguments: dict[str, Any]) -> Any:
        element_id, task_uuid, data = self._calling_task(name)
        key = f"{element_id or name}:{task_uuid}"
        if task_uuid is not None and key in self.journal:
            return self.journal[key]
        impl = registry.implementation(name)
        if impl is None:
            raise WorkflowRunError(f"no implementation bound for operation {name!r}", element_id)
        context = operations.CallContext(self.instance_id, element_id, data)

        async def call() -> Any:
            operations.current_call.set(context)
            coro: Coroutine[Any, Any, Any] = impl(**arguments)
            return await coro

        try:
            result = asyncio.run_coroutine_threadsafe(call(), self.loop).result(
                timeout=SERVICE_TIMEOUT_SECONDS
            )
        except Exception as exc:
            raise WorkflowRunError(f"{name} failed: {exc}", element_id) from exc
        self.journal[key] = result
        return result


def _state(handle: engine.WorkflowHandle, journal: dict[str, Any]) -> dict[str, Any]:
    return {"engine": engine.serialize(handle), "services": journal}


def _data(handle: engine.WorkflowHandle) -> dict[str, Any]:
    if handle.completed:
        return handle.data
    ready = handle.ready_human_tasks()
    return handle.task_data(ready[0].task_id) if ready else handle.data


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    untag: Any = engine._json_untag
    return dict(json.loads(json.dumps(data, default=engine._json_default), object_hook=untag))


def _task_view(row: WorkTask) -> TaskView:
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


async def _persist(
    instance: ProcessInstance,
    definition: ProcessDefinition,
    handle: engine.WorkflowHandle,
    journal: dict[str, Any],
) -> InstanceView:
    """Store the state, bump the revision, open rows for new human tasks, cancel gone ones."""
    instance.state = _state(handle, journal)
    instance.revision += 1
    instance.status = InstanceStatus.COMPLETED if handle.completed else InstanceStatus.RUNNING
    await instance.save(update_fields=["state", "revision", "status", "updated_at"])
    ready = {t.task_id: t for t in handle.ready_human_tasks()}
    active = (WorkTaskStatus.OPEN, WorkTaskStatus.CLAIMED)
    rows = await WorkTask.filter(instance_id=instance.id, status__in=active)
    known = {row.task_id for row in rows}
    for row in rows:
        if row.task_id not in ready:
            row.status = WorkTaskStatus.CANCELLED
            row.revision += 1
            await row.save(update_fields=["status", "revision"])
    specs = _task_specs(definition)
    for task_id, task in ready.items():
        if task_id in known:
            continue
        spec = specs.get(task.element_id, _TaskSpec(None, None))
        await WorkTask.create(
            instance_id=instance.id,
            task_id=task_id,
            element_id=task.element_id,
            name=task.name or task.element_id,
            candidate_role=spec.candidate_role or task.lane,
            form=spec.form,
        )
    open_rows = await WorkTask.filter(instance_id=instance.id, status__in=active).order_by("id")
    return InstanceView(
        id=instance.id,
        process_id=definition.process_id,
        version=definition.version,
        business_key=instance.business_key,
        status=instance.status,
        revision=instance.revision,
        data=_json_safe(_data(handle)),
        open_tasks=[_task_view(row) for row in open_rows],
    )


async def start(process_id: str, data: dict[str, Any], *, business_key: str) -> InstanceView:
    """Start the latest version of a process with ``data`` and run it to its first wait."""
    definition = await ProcessDefinition.filter(process_id=process_id).order_by("-version").first()
    if definition is None:
        raise NotFoundError("process", process_id)
    bundle = _bundle(definition)
    loop = asyncio.get_running_loop()
    async with in_transaction():
        customer = data.get("customer_id")
        instance = await ProcessInstance.create(
            definition_id=definition.id,
            business_key=business_key,
            customer_id=customer if isinstance(customer, int) else None,
            state=None,
        )
        services = _Services(loop, instance.id, {})

        def run() -> engine.WorkflowHandle:
            handle = engine.new_workflow(
                bundle, definition.process_id, engine.make_engine(service_handler=services), data
            )
            services.handle = handle
            engine.run_engine_steps(handle)
            return handle

        handle = await asyncio.to_thread(run)
        return await _persist(instance, definition, handle, services.journal)


async def _user_with_role(user_id: int, role: str | None) -> User:
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFoundError("user", user_id)
    if role is not None and role not in (user.roles or []):
        raise ForbiddenError(f"this task is for the {role} role")
    return user


async def claim_task(task_id: int, *, user_id: int) -> TaskView:
    """Take an open task; claiming one's own claim again is a no-op."""
    async with in_transaction():
        row = await WorkTask.filter(id=task_id).select_for_update().first()
        if row is None:
            raise NotFoundError("task", task_id)
        await _user_with_role(user_id, row.candidate_role)
        if row.status == WorkTaskStatus.CLAIMED and row.assignee_id == user_id:  # type: ignore[attr-defined]
            return _task_view(row)
        if row.status != WorkTaskStatus.OPEN:
            raise ConflictError(f"task {task_id} is {row.status}")
        row.status = WorkTaskStatus.CLAIMED
        row.assignee_id = user_id
        row.revision += 1
        await row.save(update_fields=["status", "assignee_id", "revision"])
        return _task_view(row)


def validate_form(form: dict[str, Any] | None, data: dict[str, Any]) -> dict[str, Any]:
    """Check submitted values against a task form and return them.

    A form maps field names to a list of allowed values (a required choice) or ``"text"``
    (an optional string). Fields not in the form are refused, so a form cannot overwrite
    process variables such as ``amount``; a task without a form accepts no data.
    """
    problems = Problems()
    fields = form or {}
    for name in data:
        if name not in fields:
            problems.add(name, "is not a field of this task")
    for name, kind in fields.items():
        value = data.get(name)
        if isinstance(kind, list):
            if value is None:
                problems.add(name, "is required")
            elif value not in kind:
                problems.add(name, f"must be one of {', '.join(map(str, kind))}")
        elif value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT_FIELD):
            problems.add(name, f"must be text of at most {MAX_TEXT_FIELD} characters")
    problems.raise_if_any()
    return {k: v for k, v in data.items() if k in fields}


async def complete_task(
    task_id: int, data: dict[str, Any], *, user_id: int, expected_revision: int | None = None
) -> InstanceView:
    """Complete a human task with form data and run the instance to its next wait.

    ``expected_revision`` is the instance revision the caller saw; a different one is a
    ConflictError. Of two concurrent completions exactly one succeeds (the task row is locked).
    """
    loop = asyncio.get_running_loop()
    async with in_transaction():
        row = await WorkTask.filter(id=task_id).select_for_update().first()
        if row is None:
            raise NotFoundError("task", task_id)
        if row.status not in (WorkTaskStatus.OPEN, WorkTaskStatus.CLAIMED):
            raise ConflictError(f"task {task_id} is {row.status}")
        assignee: int | None = row.assignee_id  # type: ignore[attr-defined]
        if row.status == WorkTaskStatus.CLAIMED and assignee != user_id:
            raise ForbiddenError(f"task {task_id} is claimed by another user")
        await _user_with_role(user_id, row.candidate_role)
        values = validate_form(row.form, data)
        instance = (
            await ProcessInstance.filter(id=row.instance_id)  # type: ignore[attr-defined]
            .select_for_update()
            .get()
        )
        if expected_revision is not None and instance.revision != expected_revision:
            raise ConflictError(
                f"instance is at revision {instance.revision}, not {expected_revision}"
            )
        if instance.status != InstanceStatus.RUNNING or not instance.state:
            raise ConflictError(f"instance {instance.id} is {instance.status}")
        definition = await ProcessDefinition.get(id=instance.definition_id)  # type: ignore[attr-defined]
        bundle = _bundle(definition)
        services = _Services(loop, instance.id, dict(instance.state.get("services", {})))
        saved = str(instance.state["engine"])

        def run() -> engine.WorkflowHandle:
            handle = engine.deserialize(bundle, saved, engine.make_engine(service_handler=services))
            services.handle = handle
            engine.complete_human_task(handle, row.task_id, values)
            return handle

        handle = await asyncio.to_thread(run)
        row.status = WorkTaskStatus.COMPLETED
        row.completed_at = datetime.now(UTC)
        row.completed_by_id = user_id
        row.assignee_id = assignee or user_id
        row.revision += 1
        await row.save(
            update_fields=["status", "completed_at", "completed_by_id", "assignee_id", "revision"]
        )
        return await _persist(instance, definition, handle, services.journal)
