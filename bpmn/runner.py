"""Running deployed processes against the database: start, tasks, timers, messages, retries.

Every step of an instance is one transaction with the instance row locked: the engine run (on
the event loop's thread in a greenlet, SpiffWorkflow is synchronous: `bpmn.inline`), the rows
the service tasks write (their async implementations awaited by the step, inside the same
transaction), the instance state, its WorkTask rows and its due times (ProcessWait).

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

from collections.abc import Callable, Collection, Hashable
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bpmn import collection_ops, definitions, deployments, engine, inline, stored
from bpmn.errors import BpmnError
from bpmn.locks import claimed_instance_at, definition_of, locked_instance_at, locked_task
from bpmn.service_calls import ServiceCalls
from bpmn.views import ACTIVE, task_view
from bpmn.views import InstanceView as InstanceView
from bpmn.views import TaskView as TaskView
from domain import faults
from domain.clock import service as clock
from domain.errors import ConflictError, DomainError, ForbiddenError, NotFoundError, Problems
from domain.process import claims, events
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
from domain.transactions import joined, savepoint
from domain.user.models import User

assert collection_ops  # imported for its @implements registrations

MAX_TEXT_FIELD = 2000


Mutation = Callable[[engine.WorkflowHandle], object]


async def _advance(
    instance: ProcessInstance,
    definition: ProcessDefinition,
    mutate: Mutation | None = None,
    *,
    start_data: dict[str, Any] | None = None,
    attempt: int = 1,
    user_id: int | None = None,
    follows_state: bool = False,
    moment: datetime | None = None,
) -> InstanceView:
    """Apply ``mutate`` to the stored workflow (or start a new one), then run it and store it.

    Must run inside a transaction with the instance row locked. Errors from ``mutate`` (the
    caller's input) propagate and change nothing; errors from the run are stored by
    ``stored.hold``.
    ``follows_state``: the caller holds the instance RUNNING with its open task rows and due
    times those of its stored state's ready human tasks and timers (a step that only reads
    the stored state then knows which rows it has); a timer's own step never says so.
    """
    bundle = definitions.bundle(definition)
    before = dict((instance.state or {}).get("services", {}))
    moment = moment or await clock.now()
    today = clock.local_date(moment)  # the business date, as the operations read it
    services = ServiceCalls(instance.id, dict(before), user_id, today=today)
    saved = (instance.state or {}).get("engine")
    # what the instance may have stored beside its state: a new one has nothing yet
    known = follows_state and instance.status == InstanceStatus.RUNNING
    has_rows, has_waits = saved is not None, saved is not None
    checkpoint: list[str] = []

    def prepare_and_run() -> engine.WorkflowHandle:
        nonlocal has_rows, has_waits
        with engine.business_clock(moment):
            make = engine.make_engine(service_handler=services)
            if saved is None:
                handle = engine.new_workflow(bundle, definition.process_id, make, start_data)
            else:
                handle = engine.deserialize(bundle, str(saved), make)
                has_waits = not known or bool(handle.pending_timers())
            services.handle = handle
            if mutate is not None:
                mutate(handle)
            if saved is not None:  # (a human task completed by mutate has its row settled)
                has_rows = not known or bool(handle.ready_human_tasks())
            # the state a failed run is stored at: these very tasks (their ids key the calls)
            checkpoint.append(engine.serialize(handle))
            engine.run_engine_steps(handle)
            return handle

    try:
        async with savepoint():
            handle = await inline.run(prepare_and_run)
            return await stored.persist(
                instance, definition, handle, services.journal, rows=has_rows, waits=has_waits
            )
    except (BpmnError, DomainError) as exc:
        if not checkpoint:  # the caller's change failed: nothing to store
            raise
        return await stored.hold(instance, definition, checkpoint[0], before, exc, attempt)


async def start(process_id: str, data: dict[str, Any], *, business_key: str) -> InstanceView:
    """Start the version in force of a process with ``data`` and run it to its first wait.

    A run that fails leaves the instance stored FAILED or RETRYING at its start, visibly; a
    process with no version in force raises ProcessNotDeployedError, and one whose definition
    does not parse raises before its run (the row written for it goes with the transaction
    the error rolls back).
    """
    customer = data.get("customer_id")
    async with joined():
        instance = ProcessInstance(
            business_key=business_key,
            customer_id=customer if isinstance(customer, int) else None,
            state=None,
        )
        # the version in force and the row started for it: one statement on PostgreSQL
        definition, moment = await deployments.in_force_with(process_id, instance)
        definitions.bundle(definition)
        return await _advance(instance, definition, start_data=data, moment=moment)


async def run_new(
    instance: ProcessInstance, definition: ProcessDefinition, data: dict[str, Any]
) -> InstanceView:
    """Run an instance row created in the caller's transaction to its first wait, as start."""
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
            return task_view(row)
        if row.status != WorkTaskStatus.OPEN:
            raise ConflictError(f"task {task_id} is {row.status}")
        row.status = WorkTaskStatus.CLAIMED
        row.assignee_id = user_id
        row.revision += 1
        await row.save(update_fields=["status", "assignee_id", "revision"])
        await events.record(row.id, row.instance_id, TaskEventKind.CLAIMED)  # type: ignore[attr-defined]
        return task_view(row)


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
    task_id: int,
    data: dict[str, Any],
    *,
    user_id: int,
    expected_revision: int | None = None,
    roles: Collection[str] | None = None,
    visible: Q | None = None,
    visible_key: Hashable | None = None,
) -> InstanceView:
    """Complete a human task with form data and run the instance to its next wait.

    ``expected_revision`` is the instance revision the caller saw; a different one is a
    ConflictError. Of two concurrent completions exactly one succeeds (the task row is locked).
    When the run after the task fails, the task stays completed and the instance is stored
    FAILED or RETRYING just after it. ``roles``: the user's roles when the caller has just
    read them (else the user is read here). ``visible``: the tasks the caller may see; one
    outside is not found, as if it did not exist; ``visible_key`` names what that filter
    depends on (the caller and the policy version), to build its statement once.
    """
    async with joined():
        row = await locked_task(task_id, visible, visible_key)
        if row is None:
            raise NotFoundError("task", task_id)
        if row.status not in ACTIVE:
            raise await claims.no_longer_open(row)
        assignee: int | None = row.assignee_id  # type: ignore[attr-defined]
        if row.status == WorkTaskStatus.CLAIMED and assignee != user_id:
            raise ForbiddenError(f"task {task_id} is claimed by another user")
        if roles is None:
            await _user_with_role(user_id, row.candidate_role)
        elif row.candidate_role is not None and row.candidate_role not in roles:
            raise ForbiddenError(f"this task is for the {row.candidate_role} role")
        values = validate_form(row.form, data)
        instance, moment = await locked_instance_at(row.instance_id)  # type: ignore[attr-defined]
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
        done = ("status", "completed_at", "completed_by_id", "assignee_id", "revision")
        await events.saved(row, done, TaskEventKind.COMPLETED)
        view = await _advance(
            instance,
            await definition_of(instance),
            lambda handle: engine.finish_human_task(handle, row.task_id, values),
            user_id=user_id,
            follows_state=True,
            moment=moment,
        )
        faults.reach("task.before_commit")  # the engine advanced and stored, nothing committed
        return view


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
        instance, moment = await locked_instance_at(instance_id)
        state = instance.state or {}
        if instance.status != InstanceStatus.RUNNING or name not in state.get("messages", []):
            return None
        return await _advance(
            instance,
            await definition_of(instance),
            lambda h: engine.deliver_message(h, name, payload),
            moment=moment,
        )


async def retry(instance_id: int) -> InstanceView:
    """Run a FAILED or RETRYING instance again from where it stopped."""
    async with in_transaction():
        instance, moment = await locked_instance_at(instance_id)
        if instance.status not in (InstanceStatus.FAILED, InstanceStatus.RETRYING):
            raise ConflictError(f"instance {instance_id} is {instance.status}, not failed")
        return await _advance(instance, await definition_of(instance), moment=moment)


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
        claimed = await claimed_instance_at(instance_id)
        if claimed is None:
            return False  # another worker holds it
        instance, moment = claimed
        wait = await ProcessWait.filter(due, id=wait_id).first()
        if wait is None:
            return False  # handled meanwhile
        definition = await definition_of(instance)
        if wait.kind == WaitKind.RETRY and instance.status == InstanceStatus.RETRYING:
            await _advance(instance, definition, attempt=wait.attempt + 1, moment=moment)
        elif wait.kind == WaitKind.TIMER and instance.status == InstanceStatus.RUNNING:
            task_ids = {wait.task_id} if wait.task_id else set()
            await _advance(
                instance, definition, lambda h: engine.fire_timers(h, task_ids), moment=moment
            )
        else:
            await wait.delete()  # left over from a state the instance is no longer in
        return True
