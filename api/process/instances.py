"""Process instances over GraphQL: the list (failed ones first in mind), messages, retries."""

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from api.access import Audited, require, require_read
from api.context import Info
from api.errors import UserErrors, returns_user_errors
from api.process.tasks import ProcessInstance
from api.relay import Connection, expect_id, paged
from bpmn import runner
from domain.errors import ValidationError as DomainValidationError
from domain.process.models import InstanceStatus
from domain.process.models import ProcessInstance as InstanceModel

MAX_NAME = 128


@strawberry.input(description="Conditions on process instances.")
class ProcessInstanceFilter:
    status: str | None = strawberry.field(
        default=None, description="RUNNING, RETRYING, COMPLETED, FAILED or CANCELLED."
    )
    process_id: str | None = None
    business_key: str | None = None


@strawberry.input(description="An event from outside for the instances of one business key.")
class CorrelateMessageInput:
    name: str = strawberry.field(description="The message name the diagram waits for.")
    business_key: str = strawberry.field(description="e.g. loan:42 or application:7")
    payload: JSON | None = strawberry.field(
        default=None, description="An object; the diagram's message variable receives it."
    )


@strawberry.type(description="The message was handed to the instances waiting for it.")
class CorrelateMessageSuccess:
    delivered: int = strawberry.field(description="How many instances caught it (0: none waited).")
    process_instances: list[ProcessInstance]


@strawberry.input(description="Run a FAILED or RETRYING instance again from where it stopped.")
class RetryProcessInstanceInput:
    id: strawberry.ID


@strawberry.type(description="The instance ran again; see its status and error.")
class RetryProcessInstanceSuccess:
    process_instance: ProcessInstance


CorrelateMessageResult = Annotated[
    CorrelateMessageSuccess | UserErrors, strawberry.union("CorrelateMessageResult")
]
RetryProcessInstanceResult = Annotated[
    RetryProcessInstanceSuccess | UserErrors, strawberry.union("RetryProcessInstanceResult")
]


async def _views(ids: list[int]) -> list[ProcessInstance]:
    rows = await InstanceModel.filter(id__in=ids).order_by("id").prefetch_related("definition")
    return [ProcessInstance.from_model(r) for r in rows]


@strawberry.type
class InstanceQueries:
    @strawberry.field(
        description="Process instances, oldest first: filter FAILED to see incidents."
    )
    async def process_instances(
        self, info: Info, filter: ProcessInstanceFilter | None = None, first: int | None = 50,
        after: str | None = None,
    ) -> Connection[ProcessInstance]:  # fmt: skip
        require_read(info, "process")
        query = InstanceModel.all()
        if filter is not None:
            if filter.status:
                if filter.status not in InstanceStatus.__members__:
                    raise DomainValidationError.single(
                        "status", f"must be one of {', '.join(InstanceStatus)}"
                    )
                query = query.filter(status=filter.status)
            if filter.process_id:
                query = query.filter(definition__process_id=filter.process_id)
            if filter.business_key:
                query = query.filter(business_key=filter.business_key)
        return await paged(
            query.prefetch_related("definition"), first, after, ProcessInstance.from_model
        )


@strawberry.type
class InstanceMutations:
    @strawberry.mutation(description="Deliver a named message to the instances of a business key.")
    @returns_user_errors
    async def correlate_message(
        self, info: Info, input: CorrelateMessageInput
    ) -> CorrelateMessageResult:
        require(info, "process", "correlate")
        if not 0 < len(input.name) <= MAX_NAME or not 0 < len(input.business_key) <= MAX_NAME:
            raise DomainValidationError.single("name", f"name and businessKey: 1..{MAX_NAME} chars")
        payload: object = input.payload if input.payload is not None else {}
        if not isinstance(payload, dict):
            raise DomainValidationError.single("payload", "must be an object")
        async with Audited(info, "process.correlate", "process") as change:
            views = await runner.correlate_message(input.name, input.business_key, dict(payload))
            change.after = {"name": input.name, "business_key": input.business_key,
                            "delivered": [v.id for v in views]}  # fmt: skip
        return CorrelateMessageSuccess(
            delivered=len(views), process_instances=await _views([v.id for v in views])
        )

    @strawberry.mutation(description="Run a FAILED or RETRYING instance again (after a fix).")
    @returns_user_errors
    async def retry_process_instance(
        self, info: Info, input: RetryProcessInstanceInput
    ) -> RetryProcessInstanceResult:
        pk = expect_id(input.id, "ProcessInstance", "id")
        require(info, "process", "retry")
        async with Audited(info, "process.retry", "process_instance") as change:
            view = await runner.retry(pk)
            change.object_id, change.after = pk, {"status": str(view.status), "error": view.error}
        [instance] = await _views([pk])
        return RetryProcessInstanceSuccess(process_instance=instance)
