"""The rows a process step locks before it runs: the instance with its definition, and the
task a completion finishes, within the caller's scope.

Both are read by statements built once (`domain/byhand.py`, `domain/shapes.py`): they run on
every step, and Tortoise would write their SQL anew each time.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import datetime
from functools import cache

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from bpmn import definitions
from domain import byhand, shapes, sqltext
from domain.clock import service as clock
from domain.errors import NotFoundError
from domain.process.models import ProcessDefinition, ProcessInstance, WorkTask


async def locked_instance(instance_id: int) -> ProcessInstance:
    """The instance with its row locked, and its definition read in the same statement."""
    return (await locked_instance_at(instance_id))[0]


async def locked_instance_at(instance_id: int) -> tuple[ProcessInstance, datetime]:
    """`locked_instance`, and the business moment (`clock.now()`) read by the same statement:
    the moment its step runs at, without a statement of its own."""
    found = await claimed_instance_at(instance_id, wait=True)
    if found is None:
        raise NotFoundError("process instance", instance_id)
    return found


async def claimed_instance_at(
    instance_id: int, *, wait: bool = False
) -> tuple[ProcessInstance, datetime] | None:
    """`locked_instance_at`, or None when there is no such instance or, unless `wait`, another
    transaction holds its row (PostgreSQL's SKIP LOCKED: workers share due work)."""
    sql = _locked_sql(sqltext.postgres(), wait)
    _, found = await sqltext.execute(sql, {"id": instance_id})
    if not found:
        return None
    instance = byhand.hydrate(ProcessInstance, found[0])
    instance.definition = await definitions.hydrate(found[0], "lg_d_")
    return instance, clock.moment_of(found[0])


@cache
def _locked_sql(pg: bool, wait: bool) -> str:
    instances, definitions_ = ProcessInstance._meta.db_table, ProcessDefinition._meta.db_table
    lock = " FOR UPDATE OF pi" + ("" if wait else " SKIP LOCKED")
    return (
        f"SELECT {byhand.select_list(ProcessInstance, 'pi')}, "  # noqa: S608
        f"{definitions.select_list('pd', 'lg_d_')}, {clock.COLUMNS} "
        f"FROM {instances} pi "
        f"JOIN {definitions_} pd ON pd.id = pi.definition_id WHERE pi.id = :id"
        + (lock if pg else "")  # SQLite: a writer holds the whole database
    )


async def definition_of(instance: ProcessInstance) -> ProcessDefinition:
    """The instance's definition: the one read with it (locked_instance), else read now."""
    related = instance.definition
    if isinstance(related, ProcessDefinition):
        return related
    return await ProcessDefinition.get(id=instance.definition_id)


async def locked_task(
    task_id: int, visible: Q | None, visible_key: Hashable | None
) -> WorkTask | None:
    """The task with its row locked, if the caller may see it (`visible`, whose SQL depends on
    `visible_key` alone: the statement is then built once per key)."""

    def query(ids: Sequence[int]) -> QuerySet[WorkTask]:
        found = WorkTask.filter(id=ids[0])
        if visible is not None:
            found = found.filter(visible)
        return found.select_for_update(of=("work_task",)).limit(1)

    if visible is not None and visible_key is None:
        return await query([task_id]).first()
    key = ("bpmn.locks.locked_task", visible_key)
    found = await shapes.models(key, WorkTask, query, [task_id])
    return found[0] if found else None
