"""The engine's service handler: registered async operations, journalled per task, with a
timeout, awaited by the step running the engine (bpmn.inline)."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Coroutine
from datetime import date
from typing import Any

from SpiffWorkflow.util.task import TaskState

from bpmn import engine, inline, operations, registry
from bpmn.errors import ServiceUnavailable, WorkflowRunError
from domain.credit import facts
from domain.errors import UnavailableError

SERVICE_TIMEOUT_SECONDS = 30.0


class ServiceCalls:
    """The engine's service handler: registered async operations, awaited by the step."""

    def __init__(
        self,
        instance_id: int,
        journal: dict[str, Any],
        user_id: int | None = None,
        *,
        today: date | None = None,
    ) -> None:
        self.today = today
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
            self.instance_id, element_id, data, task_id=task_uuid, user_id=self.user_id,
            today=self.today,
        )  # fmt: skip

        async def call() -> Any:
            operations.current_call.set(context)
            coro: Coroutine[Any, Any, Any] = impl(**arguments)
            return await coro

        try:
            result = inline.wait(call(), SERVICE_TIMEOUT_SECONDS)
        except concurrent.futures.TimeoutError:
            raise ServiceUnavailable(
                f"{name} gave no answer in {SERVICE_TIMEOUT_SECONDS:g} s", element_id
            ) from None
        except UnavailableError as exc:
            raise ServiceUnavailable(f"{name}: {exc}", element_id) from exc
        except Exception as exc:
            raise WorkflowRunError(f"{name} failed: {exc}", element_id) from exc
        finally:
            facts.forget()  # the call may have written what the facts read
        self.journal[key] = result
        return result
