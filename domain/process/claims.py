"""Giving a claimed task back (it returns to its candidate role's pool, open to anyone in it),
and saying why a task that is no longer open is not done again."""

from tortoise.transactions import in_transaction

from domain.errors import ConflictError, ForbiddenError, NotFoundError
from domain.process import events
from domain.process.models import TaskEventKind, WorkTask, WorkTaskStatus
from domain.user.models import User


async def unclaim_task(task_id: int, *, user_id: int, any_assignee: bool) -> tuple[WorkTask, int]:
    """Reopen a claimed task. Returns it and who had claimed it.

    Only its assignee may, unless `any_assignee` (an administrator). Subscribers hear of it as
    CREATED: the task is offered to its role again.
    """
    async with in_transaction():
        row = await WorkTask.filter(id=task_id).select_for_update().first()
        if row is None:
            raise NotFoundError("Task", task_id)
        assignee: int | None = row.assignee_id  # type: ignore[attr-defined]
        if row.status != WorkTaskStatus.CLAIMED or assignee is None:
            raise ConflictError(f"task {task_id} is {row.status}, not claimed")
        if assignee != user_id and not any_assignee:
            raise ForbiddenError("only the task's assignee or an administrator may unclaim it")
        row.status = WorkTaskStatus.OPEN
        row.assignee_id = None
        row.revision += 1
        await row.save(update_fields=["status", "assignee_id", "revision"])
        await events.record(row.id, row.instance_id, TaskEventKind.CREATED)  # type: ignore[attr-defined]
    return row, assignee


async def no_longer_open(row: WorkTask) -> ConflictError:
    """Why a task that is not open cannot be completed again, said so a client can tell a replay.

    A completed task names who completed it and when: a client that lost the answer to its own
    completion (a dropped connection) sees that it went through, once.
    """
    label = f"task {row.id} ({row.name})" if row.name else f"task {row.id}"
    if row.status == WorkTaskStatus.COMPLETED:
        who = await User.get_or_none(id=row.completed_by_id) if row.completed_by_id else None
        by = f" by {who.username}" if who is not None else ""
        at = f" at {row.completed_at:%Y-%m-%d %H:%M:%S} UTC" if row.completed_at else ""
        return ConflictError(f"{label} was already completed{by}{at}; nothing was done again")
    if row.status == WorkTaskStatus.CANCELLED:
        return ConflictError(f"{label} was cancelled: the process went on without it")
    return ConflictError(f"{label} is {row.status}")
