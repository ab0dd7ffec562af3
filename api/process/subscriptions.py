"""The live inbox: task events over graphql-transport-ws, scoped exactly like `tasks`."""

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from api.access import scoped_loaders
from api.auth import authenticate_connection
from api.context import Info
from api.errors import ClientError
from api.process.tasks import Task, _visible
from domain.access.errors import AuthenticationError
from domain.process import events
from domain.process.models import WorkTask


@strawberry.type(description="Something happened to a task the subscriber may see.")
class TaskEvent:
    kind: str = strawberry.field(
        description="CREATED (also when a claimed task is given back), CLAIMED, COMPLETED or "
        "CANCELLED."
    )
    at: datetime
    task: Task = strawberry.field(description="The task as it is now.")


async def still_signed_in(info: Info) -> None:
    """Check the connection's credentials again; the stream ends with an error if they fail."""
    try:
        subject = await authenticate_connection(info.context.connection_params)
    except AuthenticationError as exc:
        raise ClientError(f"the subscription ended: {exc.message}", "UNAUTHENTICATED") from exc
    if subject is None:
        raise ClientError("the subscription ended: authentication required", "UNAUTHENTICATED")
    info.context.subject = subject
    info.context.loaders = scoped_loaders(info.context.authorizer, subject)


@strawberry.type
class TaskSubscriptions:
    @strawberry.subscription(
        description="Task events from now on, for the tasks `tasks` would show the subscriber."
    )
    async def task_events(self, info: Info) -> AsyncGenerator[TaskEvent, None]:
        last = await events.latest_id()
        _visible(info)  # refused at once for a role that may see no tasks
        async for _ in events.wakeups():
            batch = await events.since(last)
            while batch:
                last = batch[-1].id
                # the policy may have changed since the last batch (roles, grants), and so may
                # the subscriber: disabled, signed out everywhere, or their token expired
                await info.context.authorizer.ensure_current()
                await still_signed_in(info)
                ids = {e.task_id for e in batch}
                rows = {t.id: t for t in await WorkTask.filter(_visible(info), id__in=ids)}
                for event in batch:
                    row = rows.get(event.task_id)
                    if row is not None:
                        yield TaskEvent(
                            kind=str(event.kind), at=event.at, task=Task.from_model(row)
                        )
                batch = await events.since(last)
