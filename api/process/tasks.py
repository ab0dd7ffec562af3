"""Process instances and user tasks over GraphQL: the inbox, claiming and completing."""

from datetime import datetime
from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON
from tortoise.expressions import Q

from api.access import Audited, require, scope_key, subject_of, task_filter
from api.context import Info
from api.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UserErrors,
    ValidationError,
    returns_user_errors,
)
from api.relay import (
    Connection,
    Node,
    expect_id,
    paged,
    to_global_id,
)
from api.system.types import User
from authz.actions import Scope
from bpmn import runner
from domain import faults
from domain.errors import NotFoundError as DomainNotFoundError
from domain.errors import ValidationError as DomainValidationError
from domain.process import claims
from domain.process.models import ProcessInstance as InstanceModel
from domain.process.models import WorkTask


@strawberry.type(description="A due time of an instance: a timer, or a retry of a failed call.")
class ProcessWait:
    kind: str = strawberry.field(description="TIMER (business clock) or RETRY (wall clock).")
    element_id: str
    due_at: datetime
    attempt: int = strawberry.field(description="For a retry: attempts made so far.")


@strawberry.type(description="A run of a deployed process version.")
class ProcessInstance(Node):
    id: strawberry.ID
    process_id: str
    version: int
    business_key: str
    status: str = strawberry.field(
        description="RUNNING, RETRYING (a service was unavailable), COMPLETED, FAILED, CANCELLED."
    )
    error: str | None = strawberry.field(
        description="Why it is FAILED or RETRYING: the element and the reason."
    )
    data: JSON | None
    created_at: datetime
    updated_at: datetime
    pk: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: InstanceModel) -> "ProcessInstance":
        """The GraphQL view of an instance row (its definition loaded)."""
        state = row.state or {}
        return cls(
            id=to_global_id("ProcessInstance", row.id), process_id=row.definition.process_id,
            version=row.definition.version, business_key=row.business_key,
            status=str(row.status), error=row.error, data=cast(JSON, state.get("data")),
            created_at=row.created_at, updated_at=row.updated_at, pk=row.id,
        )  # fmt: skip

    @strawberry.field(description="What it waits for with a due time, soonest first.")
    async def waits(self, info: Info) -> list[ProcessWait]:
        rows = await info.context.loaders.waits_by_instance.load(self.pk)
        return [
            ProcessWait(kind=str(r.kind), element_id=r.element_id, due_at=r.due_at,
                        attempt=r.attempt)
            for r in rows
        ]  # fmt: skip

    @strawberry.field(description="Its user tasks, open and done.")
    async def tasks(self, info: Info) -> list["Task"]:
        rows = await info.context.loaders.tasks_by_instance.load(self.pk)
        return [Task.from_model(r) for r in rows]


@strawberry.type(description="A step of a process waiting for a person.")
class Task(Node):
    id: strawberry.ID
    name: str
    element_id: str
    candidate_role: str | None
    status: str
    form: JSON | None
    created_at: datetime
    completed_at: datetime | None
    assignee_pk: strawberry.Private[int | None]
    instance_pk: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: WorkTask) -> "Task":
        """The GraphQL view of a task row."""
        return cls(
            id=to_global_id("Task", row.id), name=row.name, element_id=row.element_id,
            candidate_role=row.candidate_role, status=str(row.status),
            form=cast(JSON, row.form), created_at=row.created_at, completed_at=row.completed_at,
            assignee_pk=row.assignee_id,  # type: ignore[attr-defined]
            instance_pk=row.instance_id,  # type: ignore[attr-defined]
        )  # fmt: skip

    @strawberry.field(description="Who claimed it.")
    async def assignee(self, info: Info) -> User | None:
        if self.assignee_pk is None:
            return None
        row = await info.context.loaders.user.load(self.assignee_pk)
        return User.from_model(row) if row else None

    @strawberry.field(description="The process instance it belongs to.")
    async def process_instance(self, info: Info) -> ProcessInstance:
        row = await info.context.loaders.process_instance.load(self.instance_pk)
        assert row is not None  # a task always has its instance (CASCADE on delete)
        return ProcessInstance.from_model(row)

    @strawberry.field(description="The instance's data this task sees.")
    async def data(self, info: Info) -> JSON | None:
        row = await info.context.loaders.process_instance.load(self.instance_pk)
        return cast(JSON, ((row.state if row else None) or {}).get("data"))


def _visible(info: Info) -> Q:
    """Tasks the caller may see (ForbiddenError when they may see none)."""
    require(info, "task", "read")
    return task_filter(info.context.authorizer, subject_of(info))


@strawberry.input(description="Conditions on tasks.")
class TaskFilter:
    status: str | None = None
    candidate_role: str | None = None
    mine: bool = strawberry.field(default=False, description="Only tasks I claimed.")


@strawberry.input(description="Take a task, so others see it is being worked on.")
class ClaimTaskInput:
    task_id: strawberry.ID


@strawberry.input(description="Finish a task with the data its form asks for.")
class CompleteTaskInput:
    task_id: strawberry.ID
    data: JSON


@strawberry.input(description="Give a claimed task back to its role's pool.")
class UnclaimTaskInput:
    task_id: strawberry.ID


@strawberry.type(description="The task is yours.")
class ClaimTaskSuccess:
    task: Task


@strawberry.type(description="The task is open again to everyone in its candidate role.")
class UnclaimTaskSuccess:
    task: Task
    previous_assignee: User | None = strawberry.field(description="Who had claimed it.")


@strawberry.type(description="The task is done; the process moved on.")
class CompleteTaskSuccess:
    process_instance: ProcessInstance


ClaimTaskResult = Annotated[
    ClaimTaskSuccess | ValidationError | NotFoundError | ConflictError | ForbiddenError,
    strawberry.union("ClaimTaskResult"),
]
UnclaimTaskResult = Annotated[
    UnclaimTaskSuccess | UserErrors, strawberry.union("UnclaimTaskResult")
]
CompleteTaskResult = Annotated[
    CompleteTaskSuccess | ValidationError | NotFoundError | ConflictError | ForbiddenError,
    strawberry.union("CompleteTaskResult"),
]


async def _own_task(info: Info, task_id: strawberry.ID, act: str) -> int:
    pk = expect_id(task_id, "Task", "taskId")
    require(info, "task", act)
    if not await WorkTask.filter(_visible(info), id=pk).exists():
        raise DomainNotFoundError("Task", pk)
    return pk


@strawberry.type
class TaskQueries:
    @strawberry.field(description="User tasks I may see, oldest first.")
    async def tasks(
        self, info: Info, filter: TaskFilter | None = None, first: int | None = 50,
        after: str | None = None,
    ) -> Connection[Task]:  # fmt: skip
        query = WorkTask.filter(_visible(info))
        if filter is not None:
            if filter.status:
                query = query.filter(status=filter.status)
            if filter.candidate_role:
                query = query.filter(candidate_role=filter.candidate_role)
            if filter.mine:
                query = query.filter(assignee_id=subject_of(info).user_id)
        return await paged(query, first, after, Task.from_model)

    @strawberry.field(description="One process instance (when one of its tasks is visible).")
    async def process_instance(self, info: Info, id: strawberry.ID) -> ProcessInstance | None:
        pk = expect_id(id, "ProcessInstance", "id")
        visible = WorkTask.filter(_visible(info), instance_id=pk)
        if not await visible.exists() and not _sees_all(info):
            return None
        row = await InstanceModel.get_or_none(id=pk).prefetch_related("definition")
        return ProcessInstance.from_model(row) if row else None


def _sees_all(info: Info) -> bool:
    return Scope.ALL in require(info, "task", "read")


def _unclaims_any(info: Info) -> bool:
    return Scope.ALL in require(info, "task", "unclaim")


@strawberry.type
class TaskMutations:
    @strawberry.mutation(description="Claim a task offered to one of your roles.")
    @returns_user_errors
    async def claim_task(self, info: Info, input: ClaimTaskInput) -> ClaimTaskResult:
        pk = await _own_task(info, input.task_id, "claim")
        async with Audited(info, "task.claim", "task") as change:
            await runner.claim_task(pk, user_id=subject_of(info).user_id)
            change.object_id = pk
        return ClaimTaskSuccess(task=Task.from_model(await WorkTask.get(id=pk)))

    @strawberry.mutation(description="Give a claimed task back to its candidate role's pool.")
    @returns_user_errors
    async def unclaim_task(self, info: Info, input: UnclaimTaskInput) -> UnclaimTaskResult:
        pk = await _own_task(info, input.task_id, "unclaim")
        async with Audited(info, "task.unclaim", "task") as change:
            row, previous = await claims.unclaim_task(
                pk, user_id=subject_of(info).user_id, any_assignee=_unclaims_any(info)
            )
            change.object_id = pk
            change.before, change.after = {"assignee_id": previous}, {"assignee_id": None}
        before = await info.context.loaders.user.load(previous)
        return UnclaimTaskSuccess(
            task=Task.from_model(row), previous_assignee=User.from_model(before) if before else None
        )

    @strawberry.mutation(description="Complete a task; concurrent completions: one wins.")
    @returns_user_errors
    async def complete_task(self, info: Info, input: CompleteTaskInput) -> CompleteTaskResult:
        pk = expect_id(input.task_id, "Task", "taskId")
        require(info, "task", "complete")
        visible = _visible(info)  # a task outside is not found: checked as the row is locked
        if not isinstance(input.data, dict):
            raise DomainValidationError.single("data", "must be an object of field: value")
        async with Audited(info, "task.complete", "task") as change:
            subject = subject_of(info)
            # signed in as themselves, the subject carries the user's roles as read just now
            roles = subject.roles if subject.via != "api_key" else None
            view = await runner.complete_task(
                pk, input.data, user_id=subject.user_id, roles=roles, visible=visible,
                visible_key=scope_key(info.context.authorizer, subject),
            )  # fmt: skip
            change.object_id, change.after = pk, {"data": input.data, "instance": view.id}
        faults.reach("task.after_commit")  # committed, the client not told yet
        row = view.row or await InstanceModel.get(id=view.id).prefetch_related("definition")
        return CompleteTaskSuccess(process_instance=ProcessInstance.from_model(row))
