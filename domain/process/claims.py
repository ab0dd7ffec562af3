"""Giving a claimed task back: it returns to its candidate role's pool, open to anyone in it."""

from tortoise.transactions import in_transaction

from domain.errors import ConflictError, ForbiddenError, NotFoundError
from domain.process import events
from domain.process.models import TaskEventKind, WorkTask, WorkTaskStatus


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
