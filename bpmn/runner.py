"""Running deployed processes against the database: start, tasks, timers, messages, retries.

Every step of an instance is one transaction with the instance row locked: the engine run (in
a worker thread, SpiffWorkflow is synchronous), the rows the service tasks write (their async
implementations run on the event loop inside the same transaction), the instance state, its
WorkTask rows and its due times (ProcessWait).

A step first applies what happened (a task completed, a timer fired, a message arrived) and
keeps that as a checkpoint, then runs the engine inside a savepoint. When the run fails, the
savepoint drops everything the run wrote and the instance is stored at the checkpoint, visibly:
RETRYING with a due retry when a service was unavailable, FAILED with the element and the
reason otherwise (``retry`` runs it again once fixed). Nothing is half done, nothing is lost.

Service calls are journalled in the instance state by element id and engine task id. A call
already in the journal is answered from it and not made again; a failed run's calls leave the
journal as their writes leave the database. Operations with effects outside the database (a
real bureau, payments) must be idempotent on their own.
"""

from __future__ import annotations

import ast
import asyncio
import concurrent.futures
import json
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.util.task import TaskState
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bpmn import collection_ops, deployments, engine, operations, outcomes, registry
from bpmn.errors import BpmnError, ServiceUnavailable, WorkflowRunError
from domain.clock import service as clock
from domain.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    NotFoundError,
    Problems,
    UnavailableError,
)
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
from domain.transactions import savepoint
from domain.user.models import User

assert collection_ops  # imported for its @implements registrations

SERVICE_TIMEOUT_SECONDS = 30.0
MAX_TEXT_FIELD = 2000
HUMAN_TASK_TAGS = ("userTask", "manualTask")


def _retry_policy() -> tuple[float, float, int]:
    """First delay and longest delay in seconds, and attempts before giving up."""
    return (
        float(os.environ.get("LENDGRAPH_RETRY_FIRST_SECONDS", "30")),
        float(os.environ.get("LENDGRAPH_RETRY_MAX_SECONDS", "3600")),
        int(os.environ.get("LENDGRAPH_RETRY_ATTEMPTS", "12")),
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


@dataclass(frozen=True, slots=True)
class _TaskSpec:
    candidate_role: str | None
    form: dict[str, Any] | None


_BUNDLES: dict[str, engine.ParsedBundle] = {}
_TASK_SPECS: dict[str, dict[str, _TaskSpec]] = {}


def _bundle(definition: ProcessDefinition) -> engine.ParsedBundle:
    """Parsed once per content: definitions are immutable, their hash names them."""
    found = _BUNDLES.get(definition.content_hash)
    if found is None:
        dmns = [d.encode("utf-8") for d in definition.dmn_xmls]
        found = engine.parse(definition.bpmn_xml.encode("utf-8"), dmns)
        _BUNDLES[definition.content_hash] = found
    return found


def _task_specs(definition: ProcessDefinition) -> dict[str, _TaskSpec]:
    """candidate_role and form_fields of each human task, read from the diagram's metadata."""
    found = _TASK_SPECS.get(definition.content_hash)
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
    _TASK_SPECS[definition.content_hash] = specs
    return specs


class _Services:
    """The engine's service handler: runs registered async operations on the event loop."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        instance_id: int,
        journal: dict[str, Any],
        user_id: int | None = None,
    ) -> None:
        self.loop = loop
        self.instance_id = instance_id
        self.journal = journal
        self.user_id = user_id
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
        context = operations.CallContext(
            self.instance_id, element_id, data, task_id=task_uuid, user_id=self.user_id
        )

        async def call() -> Any:
            operations.current_call.set(context)
            coro: Coroutine[Any, Any, Any] = impl(**arguments)
            return await coro

        future = asyncio.run_coroutine_threadsafe(call(), self.loop)
        try:
            result = future.result(timeout=SERVICE_TIMEOUT_SECONDS)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise ServiceUnavailable(
                f"{name} gave no answer in {SERVICE_TIMEOUT_SECONDS:g} s", element_id
            ) from None
        except UnavailableError as exc:
            raise ServiceUnavailable(f"{name}: {exc}", element_id) from exc
        except Exception as exc:
            raise WorkflowRunError(f"{name} failed: {exc}", element_id) from exc
        self.journal[key] = result
        return result


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


_ACTIVE = (WorkTaskStatus.OPEN, WorkTaskStatus.CLAIMED)


async def _view(
    instance: ProcessInstance, definition: ProcessDefinition, data: dict[str, Any]
) -> InstanceView:
    open_rows = await WorkTask.filter(instance_id=instance.id, status__in=_ACTIVE).order_by("id")
    return InstanceView(
        id=instance.id,
        process_id=definition.process_id,
        version=definition.version,
        business_key=instance.business_key,
        status=instance.status,
        revision=instance.revision,
        data=data,
        open_tasks=[_task_view(row) for row in open_rows],
        error=instance.error,
    )


async def _persist(
    instance: ProcessInstance,
    definition: ProcessDefinition,
    handle: engine.WorkflowHandle,
    journal: dict[str, Any],
) -> InstanceView:
    """Store the state, open rows for new human tasks, cancel gone ones, rewrite due times."""
    data = _json_safe(_data(handle))
    instance.state = {
        "engine": engine.serialize(handle),
        "services": journal,
        "data": engine.plain(data),
        "messages": handle.waiting_messages(),
    }
    instance.revision += 1
    instance.status = InstanceStatus.COMPLETED if handle.completed else InstanceStatus.RUNNING
    instance.error = None  # type: ignore[assignment]
    await instance.save(update_fields=["state", "revision", "status", "error", "updated_at"])
    await outcomes.record(
        definition.process_id, instance.business_key, data, completed=handle.completed
    )
    ready = {t.task_id: t for t in handle.ready_human_tasks()}
    rows = await WorkTask.filter(instance_id=instance.id, status__in=_ACTIVE)
    known = {row.task_id for row in rows}
    for row in rows:
        if row.task_id not in ready:
            row.status = WorkTaskStatus.CANCELLED
            row.revision += 1
            await row.save(update_fields=["status", "revision"])
            await events.record(row.id, instance.id, TaskEventKind.CANCELLED)
    specs = _task_specs(definition)
    for task_id, task in ready.items():
        if task_id in known:
            continue
        spec = specs.get(task.element_id, _TaskSpec(None, None))
        created = await WorkTask.create(
            instance_id=instance.id,
            task_id=task_id,
            element_id=task.element_id,
            name=task.name or task.element_id,
            candidate_role=spec.candidate_role or task.lane,
            form=spec.form,
        )
        await events.record(created.id, instance.id, TaskEventKind.CREATED)
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
    return await _view(instance, definition, data)


async def _hold(
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
    await instance.save(update_fields=["state", "revision", "status", "error", "updated_at"])
    return await _view(instance, definition, data)


Mutation = Callable[[engine.WorkflowHandle], object]


async def _advance(
    instance: ProcessInstance,
    definition: ProcessDefinition,
    mutate: Mutation | None = None,
    *,
    start_data: dict[str, Any] | None = None,
    attempt: int = 1,
    user_id: int | None = None,
) -> InstanceView:
    """Apply ``mutate`` to the stored workflow (or start a new one), then run it and store it.

    Must run inside a transaction with the instance row locked. Errors from ``mutate`` (the
    caller's input) propagate and change nothing; errors from the run are stored by _hold.
    """
    bundle = _bundle(definition)
    loop = asyncio.get_running_loop()
    before = dict((instance.state or {}).get("services", {}))
    services = _Services(loop, instance.id, dict(before), user_id)
    saved = (instance.state or {}).get("engine")
    moment = await clock.now()

    def prepare() -> tuple[engine.WorkflowHandle, str]:
        with engine.business_clock(moment):
            make = engine.make_engine(service_handler=services)
            if saved is None:
                handle = engine.new_workflow(bundle, definition.process_id, make, start_data)
            else:
                handle = engine.deserialize(bundle, str(saved), make)
            services.handle = handle
            if mutate is not None:
                mutate(handle)
            return handle, engine.serialize(handle)

    handle, checkpoint = await asyncio.to_thread(prepare)

    def run() -> None:
        with engine.business_clock(moment):
            engine.run_engine_steps(handle)

    try:
        async with savepoint():
            await asyncio.to_thread(run)
            return await _persist(instance, definition, handle, services.journal)
    except (BpmnError, DomainError) as exc:
        return await _hold(instance, definition, checkpoint, before, exc, attempt)


async def _locked_instance(instance_id: int) -> ProcessInstance:
    instance = await ProcessInstance.filter(id=instance_id).select_for_update().first()
    if instance is None:
        raise NotFoundError("process instance", instance_id)
    return instance


async def _definition(instance: ProcessInstance) -> ProcessDefinition:
    return await ProcessDefinition.get(id=instance.definition_id)  # type: ignore[attr-defined]


async def start(process_id: str, data: dict[str, Any], *, business_key: str) -> InstanceView:
    """Start the version in force of a process with ``data`` and run it to its first wait.

    A run that fails leaves the instance stored FAILED or RETRYING at its start, visibly; a
    process with no version in force raises ProcessNotDeployedError.
    """
    definition = await deployments.require_in_force(process_id)
    _bundle(definition)  # a definition that does not parse fails here, before any row
    async with in_transaction():
        customer = data.get("customer_id")
        instance = await ProcessInstance.create(
            definition_id=definition.id,
            business_key=business_key,
            customer_id=customer if isinstance(customer, int) else None,
            state=None,
        )
        return await _advance(instance, definition, start_data=data)


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
        await events.record(row.id, row.instance_id, TaskEventKind.CLAIMED)  # type: ignore[attr-defined]
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
    When the run after the task fails, the task stays completed and the instance is stored
    FAILED or RETRYING just after it.
    """
    async with in_transaction():
        row = await WorkTask.filter(id=task_id).select_for_update().first()
        if row is None:
            raise NotFoundError("task", task_id)
        if row.status not in _ACTIVE:
            raise ConflictError(f"task {task_id} is {row.status}")
        assignee: int | None = row.assignee_id  # type: ignore[attr-defined]
        if row.status == WorkTaskStatus.CLAIMED and assignee != user_id:
            raise ForbiddenError(f"task {task_id} is claimed by another user")
        await _user_with_role(user_id, row.candidate_role)
        values = validate_form(row.form, data)
        instance = await _locked_instance(row.instance_id)  # type: ignore[attr-defined]
        if expected_revision is not None and instance.revision != expected_revision:
            raise ConflictError(
                f"instance is at revision {instance.revision}, not {expected_revision}"
            )
        if instance.status != InstanceStatus.RUNNING or not instance.state:
            raise ConflictError(f"instance {instance.id} is {instance.status}")
        row.status = WorkTaskStatus.COMPLETED
        row.completed_at = datetime.now(UTC)
        row.completed_by_id = user_id
        row.assignee_id = assignee or user_id
        row.revision += 1
        await row.save(
            update_fields=["status", "completed_at", "completed_by_id", "assignee_id", "revision"]
        )
        await events.record(row.id, instance.id, TaskEventKind.COMPLETED)
        return await _advance(
            instance,
            await _definition(instance),
            lambda handle: engine.finish_human_task(handle, row.task_id, values),
            user_id=user_id,
        )


async def correlate_message(
    name: str, business_key: str, payload: dict[str, Any] | None = None
) -> list[InstanceView]:
    """Deliver message ``name`` to the running instances of ``business_key`` that wait for it.

    Returns the instances that caught it (none: nobody waited, and the message is not kept).
    """
    delivered = []
    ids = await ProcessInstance.filter(
        business_key=business_key, status=InstanceStatus.RUNNING
    ).values_list("id", flat=True)
    for instance_id in ids:
        view = await _deliver(int(instance_id), name, dict(payload or {}))  # type: ignore[call-overload]
        if view is not None:
            delivered.append(view)
    return delivered


async def _deliver(instance_id: int, name: str, payload: dict[str, Any]) -> InstanceView | None:
    async with in_transaction():
        instance = await _locked_instance(instance_id)
        state = instance.state or {}
        if instance.status != InstanceStatus.RUNNING or name not in state.get("messages", []):
            return None
        return await _advance(
            instance,
            await _definition(instance),
            lambda h: engine.deliver_message(h, name, payload),
        )


async def retry(instance_id: int) -> InstanceView:
    """Run a FAILED or RETRYING instance again from where it stopped."""
    async with in_transaction():
        instance = await _locked_instance(instance_id)
        if instance.status not in (InstanceStatus.FAILED, InstanceStatus.RETRYING):
            raise ConflictError(f"instance {instance_id} is {instance.status}, not failed")
        return await _advance(instance, await _definition(instance))


async def run_due(limit: int = 100) -> int:
    """Fire due timers (business clock) and due retries (wall clock); returns how many.

    Each wait is handled in its own transaction that holds its instance's row lock: on
    PostgreSQL workers take instances with SKIP LOCKED, so several share the work and none
    acts twice; a worker that dies mid-way releases the lock and the wait stays due.
    """
    handled = 0
    skipped: set[int] = set()
    # due as of the start of the pass: a retry scheduled by this pass waits for the next one
    business, wall = await clock.now(), datetime.now(UTC)
    due = Q(kind=WaitKind.TIMER, due_at__lte=business) | Q(kind=WaitKind.RETRY, due_at__lte=wall)
    while handled < limit:
        candidates = (
            await ProcessWait.filter(due).exclude(id__in=skipped or {0}).order_by("due_at", "id")
            .limit(20).values("id", "instance_id")
        )  # fmt: skip
        if not candidates:
            break
        for candidate in candidates:
            if handled >= limit:
                break
            if await _handle_wait(int(candidate["id"]), int(candidate["instance_id"]), due):
                handled += 1
            else:
                skipped.add(int(candidate["id"]))
    return handled


async def _handle_wait(wait_id: int, instance_id: int, due: Q) -> bool:
    async with in_transaction():
        instance = (
            await ProcessInstance.filter(id=instance_id).select_for_update(skip_locked=True).first()
        )
        if instance is None:
            return False  # another worker holds it
        wait = await ProcessWait.filter(due, id=wait_id).first()
        if wait is None:
            return False  # handled meanwhile
        definition = await _definition(instance)
        if wait.kind == WaitKind.RETRY and instance.status == InstanceStatus.RETRYING:
            await _advance(instance, definition, attempt=wait.attempt + 1)
        elif wait.kind == WaitKind.TIMER and instance.status == InstanceStatus.RUNNING:
            task_ids = {wait.task_id} if wait.task_id else set()
            await _advance(instance, definition, lambda h: engine.fire_timers(h, task_ids))
        else:
            await wait.delete()  # left over from a state the instance is no longer in
        return True


@dataclass(frozen=True, slots=True)
class Migration:
    """Whether an instance moves (or may move) to another version, and why not."""

    instance_id: int
    from_version: int
    to_version: int
    migrated: bool
    problems: list[str]


MIGRATABLE = (InstanceStatus.RUNNING, InstanceStatus.RETRYING, InstanceStatus.FAILED)


async def migrate(instance_id: int, to: ProcessDefinition, *, dry_run: bool = False) -> Migration:
    """Move an unfinished instance to version ``to`` of its process when that is safe.

    The stored state names its tasks by element id and holds no spec, so moving is switching
    the definition it is read with, once the engine finds every reached element unchanged
    (:func:`bpmn.engine.migration_problems`). ``dry_run`` only answers whether it would move.
    """
    async with in_transaction():
        instance = await _locked_instance(instance_id)
        current = await _definition(instance)
        problems: list[str] = []
        if current.process_id != to.process_id:
            problems.append(f"instance runs {current.process_id}, not {to.process_id}")
        elif current.id == to.id:
            problems.append(f"instance already runs version {to.version}")
        elif instance.status not in MIGRATABLE or not instance.state:
            problems.append(f"instance is {instance.status}")
        else:
            old, new, saved = _bundle(current), _bundle(to), str(instance.state["engine"])
            problems = await asyncio.to_thread(engine.migration_problems, old, new, saved)
        moved = not problems and not dry_run
        if moved:
            instance.definition_id = to.id
            instance.revision += 1
            await instance.save(update_fields=["definition_id", "revision", "updated_at"])
        return Migration(instance.id, current.version, to.version, moved, problems)
