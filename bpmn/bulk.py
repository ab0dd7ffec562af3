"""Starting many instances of a process at once, each exactly as :func:`bpmn.runner.start` would.

A batch (1,000 by default) is one transaction: its business keys are claimed first (the rows are
inserted, and a key that already has a running instance is skipped: a partial unique index
keeps two workers starting one batch from starting one key twice; the second waits for the
first's commit and then finds the key taken), then the instances go their paths
(:mod:`bpmn.bulk_paths`: one engine run per distinct path, the service calls of each step
made for all instances at once, :mod:`bpmn.bulk_ops`), and their states, human tasks, task
events and due times are written with bulk statements, together with the rows the service
calls wrote and what the caller adds (``after_batch``). A crash before the commit leaves
nothing of the batch; starting the same keys again starts what is missing.

An instance whose path is not shared, or whose service call failed, starts one by one in
the same transaction (the others' calls are rolled back and made again without it), so
its failure is stored FAILED or RETRYING exactly as the runner stores it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise import connections
from tortoise.fields.data import JSON_DUMPS
from tortoise.transactions import in_transaction

from bpmn import bulk_ops, bulk_paths, copies, definitions, deployments, engine, outcomes, runner
from bpmn.operations import CallContext
from bpmn.views import InstanceView, TaskView
from domain import faults
from domain.batching import chunks, gather_in
from domain.process import events, rows
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

BATCH = 1000
REDOS = 3  # batch runs that may each set aside failing instances before all go one by one


@dataclass(frozen=True, slots=True)
class Start:
    """One instance to start: its business key and start data."""

    business_key: str
    data: dict[str, Any]


@dataclass
class _Going:
    """An instance on its way: its row, its path so far, its own task ids and service journal."""

    index: int
    start: Start
    instance_id: int
    shape: bulk_paths.Shape
    ids: dict[str, str] = field(default_factory=dict)
    journal: dict[str, Any] = field(default_factory=dict)
    finish: bulk_paths.Finish | None = None


class _Redo(Exception):
    def __init__(self, indexes: set[int]) -> None:
        super().__init__(f"{len(indexes)} instances start one by one")
        self.indexes = indexes


AfterBatch = Callable[[list[InstanceView]], Awaitable[None]]


@dataclass
class _Run:
    """What the batches of one bulk start share: the definition, the moment, the path nodes."""

    definition: ProcessDefinition
    bundle: engine.ParsedBundle
    moment: datetime
    opaque: tuple[str, ...]
    nodes: dict[tuple[str, ...], bulk_paths.Outcome] = field(default_factory=dict)


async def start_many(
    process_id: str, starts: Iterable[Start], *, opaque: tuple[str, ...] = (),
    batch_size: int = BATCH, after_batch: AfterBatch | None = None,
    fault_point: str | None = None,
) -> list[InstanceView]:  # fmt: skip
    """Start the version in force of a process for each start whose key has no running instance.

    ``opaque`` names the start-data fields that are the instance's own ids, which the diagram
    only carries along (shared paths are checked for it). ``after_batch`` writes the caller's
    rows for a batch's started instances in its transaction. Returns the started instances.
    Raises ProcessNotDeployedError when the process has no version in force.
    """
    definition, moment = await deployments.require_in_force_at(process_id)
    run = _Run(definition, definitions.bundle(definition), moment, opaque)
    started: list[InstanceView] = []
    for batch in chunks(starts, batch_size):
        started += await _start_batch(run, batch, after_batch, fault_point)
    return started


async def _claim(definition: ProcessDefinition, batch: list[Start]) -> dict[str, int]:
    """Insert the batch's instances; a key with a running instance already is left out."""
    unique = list({s.business_key: s for s in batch}.values())
    now = datetime.now(UTC)
    await rows.insert(ProcessInstance, [
        {"definition_id": definition.id, "business_key": s.business_key,
         "customer_id": _customer(s.data), "status": InstanceStatus.RUNNING, "state": None,
         "error": None, "revision": 0, "created_at": now, "updated_at": now}
        for s in unique
    ], skip_conflicts=True)  # fmt: skip
    # ours are the rows without a state: another's are stored before they commit
    found = await gather_in([s.business_key for s in unique], lambda keys: ProcessInstance.filter(
        definition_id=definition.id, business_key__in=keys, state__isnull=True,
    ).values_list("business_key", "id"))  # fmt: skip
    return {str(key): int(pk) for key, pk in found}


def _customer(data: dict[str, Any]) -> int | None:
    customer = data.get("customer_id")
    return customer if isinstance(customer, int) else None


async def _start_batch(
    run: _Run, batch: list[Start], after_batch: AfterBatch | None, fault_point: str | None
) -> list[InstanceView]:
    async with in_transaction():
        claimed = await _claim(run.definition, batch)
        going = [
            (index, start, claimed[start.business_key])
            for index, start in enumerate(batch) if start.business_key in claimed
        ]  # fmt: skip
        alone: set[int] = set()
        views: dict[int, InstanceView] = {}
        for attempt in range(REDOS + 1):
            shared = [g for g in going if g[0] not in alone]
            if attempt == REDOS or not shared:
                alone.update(g[0] for g in shared)
                break
            try:
                async with savepoint():
                    done, redo, solo = await _walk(run, shared)
                    alone |= solo
                    if redo:
                        raise _Redo(redo)
                    views = await _store(run, done)
                break
            except _Redo as again:
                alone |= again.indexes
        for index, start, pk in going:
            if index in alone:  # exactly as the runner starts it, failures stored as there
                instance = await ProcessInstance.get(id=pk)
                views[index] = await runner.run_new(instance, run.definition, start.data)
        ordered = [views[index] for index, _, _ in going]
        if after_batch is not None:
            await after_batch(ordered)
        for _ in ordered:
            if fault_point:
                faults.reach(fault_point)  # a fault point: some started, nothing committed
        return ordered


async def _walk(
    run: _Run, shared: list[tuple[int, Start, int]]
) -> tuple[list[_Going], set[int], set[int]]:
    """Take the instances along their paths; returns those at rest, those to redo alone (their
    calls made) and those to start alone (nothing made yet)."""
    root = bulk_paths.Shape(())
    frontier = [_Going(i, s, pk, root.add(s.data, run.opaque)) for i, s, pk in shared]
    done: list[_Going] = []
    redo: set[int] = set()
    solo: set[int] = set()
    while frontier:
        calls: dict[str, list[tuple[_Going, bulk_paths.Call]]] = {}
        for going in frontier:
            outcome = run.nodes.get(going.shape.key)
            if outcome is None:
                outcome = await asyncio.to_thread(
                    bulk_paths.run_node, run.bundle, run.definition.process_id, run.moment,
                    going.shape.key, going.shape.values,
                )  # fmt: skip
                run.nodes[going.shape.key] = outcome
            if isinstance(outcome, bulk_paths.Unshared):
                (redo if going.journal else solo).add(going.index)
            elif isinstance(outcome, bulk_paths.Finish):
                going.finish = outcome
                done.append(going)
            else:
                calls.setdefault(outcome.operation, []).append((going, outcome))
        frontier = []
        for name, group in calls.items():
            answers = await bulk_ops.answer(name, [_call(g, c) for g, c in group], run.moment)
            for (going, call), answer in zip(group, answers, strict=True):
                if isinstance(answer, BaseException):
                    redo.add(going.index)
                    continue
                task_id = _own(going.ids, call.task_id)
                going.journal[f"{call.element_id or name}:{task_id}"] = answer
                going.shape = going.shape.add(answer, bulk_ops.OPAQUE.get(name, ()))
                frontier.append(going)
        frontier.sort(key=lambda g: g.index)
    return done, redo, solo


def _own(ids: dict[str, str], template_id: str | None) -> str | None:
    """The instance's own engine task id for a template's."""
    return None if template_id is None else copies.own_id(ids, template_id)


def _call(going: _Going, call: bulk_paths.Call) -> bulk_ops.BulkCall:
    tokens = going.shape.tokens
    arguments = bulk_paths.loads(call.arguments.fill(going.ids, tokens))
    # the calling task's data: only one-call implementations read it (the bulk ones do not)
    bulk = call.operation in bulk_ops.BULK
    data = {} if bulk else bulk_paths.loads(call.data.fill(going.ids, tokens))
    task_id = _own(going.ids, call.task_id)
    context = CallContext(going.instance_id, call.element_id, data, task_id=task_id)
    return bulk_ops.BulkCall(arguments, context)


async def _store(run: _Run, done: list[_Going]) -> dict[int, InstanceView]:
    """Write the states, human tasks, their events and the due times of a batch."""
    definition, now = run.definition, datetime.now(UTC)
    specs = definitions.task_specs(definition)
    tasks: list[dict[str, Any]] = []
    waits: list[dict[str, Any]] = []
    views: dict[int, InstanceView] = {}
    fields = ProcessInstance._meta.fields_map
    updates = []
    for going in done:
        finish, pk = going.finish, going.instance_id
        assert finish is not None
        tokens = going.shape.tokens
        data = bulk_paths.loads(finish.data.fill(going.ids, tokens))
        state = {
            "engine": finish.state.fill(going.ids, tokens),
            "services": going.journal,
            "data": engine.plain(data),
            "messages": list(finish.messages),
        }
        status = InstanceStatus.COMPLETED if finish.completed else InstanceStatus.RUNNING
        updates.append([JSON_DUMPS(state), status.value,
                        fields["updated_at"].to_db_value(now, ProcessInstance), pk])  # fmt: skip
        if definition.process_id == outcomes.APPROVAL:
            await outcomes.record(definition.process_id, going.start.business_key, data,
                                  completed=finish.completed)  # fmt: skip
        for task in finish.human:
            spec = specs.get(task.element_id, definitions.TaskSpec(None, None))
            tasks.append({
                "instance_id": pk, "task_id": _own(going.ids, task.task_id),
                "element_id": task.element_id, "name": task.name or task.element_id,
                "candidate_role": spec.candidate_role or task.lane, "form": spec.form,
                "status": WorkTaskStatus.OPEN, "revision": 0, "created_at": now,
                "completed_at": None, "completed_by_id": None, "assignee_id": None,
            })  # fmt: skip
        waits += [
            {"instance_id": pk, "kind": WaitKind.TIMER, "element_id": t.element_id,
             "task_id": _own(going.ids, t.task_id), "due_at": t.due_at, "attempt": 0}
            for t in finish.timers
        ]  # fmt: skip
        views[going.index] = InstanceView(
            id=pk, process_id=definition.process_id, version=definition.version,
            business_key=going.start.business_key, status=status, revision=1, data=data,
            open_tasks=[], error=None,
        )  # fmt: skip
    await _update_instances(updates)
    await rows.insert(WorkTask, tasks)
    await rows.insert(ProcessWait, waits)
    pks = dict(await gather_in([t["task_id"] for t in tasks], lambda b: WorkTask.filter(
        task_id__in=b).values_list("task_id", "id")))  # fmt: skip
    await events.record_many([(pks[t["task_id"]], t["instance_id"], TaskEventKind.CREATED)
                              for t in tasks])  # fmt: skip
    by_instance = {g.instance_id: g.index for g in done}
    for t in tasks:
        views[by_instance[t["instance_id"]]].open_tasks.append(TaskView(
            id=pks[t["task_id"]], task_id=t["task_id"], element_id=t["element_id"],
            name=t["name"], candidate_role=t["candidate_role"], status=WorkTaskStatus.OPEN,
            assignee_id=None, form=t["form"], revision=0,
        ))  # fmt: skip
    return views


async def _update_instances(updates: list[list[Any]]) -> None:
    """Each claimed row's state, status and revision 1, in one prepared statement."""
    if not updates:
        return
    connection = connections.get("default")
    state, status, updated, pk = rows.placeholders(connection, 4)
    await connection.execute_many(
        f'UPDATE "process_instance" SET "state" = {state}, "status" = {status}, '  # noqa: S608
        f'"updated_at" = {updated}, "revision" = 1, "error" = NULL WHERE "id" = {pk}',
        updates,
    )
