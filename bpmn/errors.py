"""Errors raised by the workflow layer. None of them carries a SpiffWorkflow type."""

from __future__ import annotations

from domain.errors import ConflictError, ErrorCode


class BpmnError(Exception):
    """Base class for every error raised from bpmn/."""


class ExpressionError(BpmnError):
    """An expression or script was refused (parse, whitelist or resource bounds)."""

    def __init__(self, reason: str, expression: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expression = expression


class ResourceLimitExceeded(ExpressionError):
    """An expression exceeded a size, step or time bound."""


class DeployError(BpmnError):
    """A diagram was refused at deploy time; ``problems`` lists every reason."""

    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        text = "; ".join(f"{eid or '-'}: {reason}" for eid, reason in problems)
        super().__init__(text or "diagram refused")
        self.problems = problems


class WorkflowRunError(BpmnError):
    """Running a workflow failed; ``element_id`` names the task spec when known."""

    def __init__(self, reason: str, element_id: str | None = None) -> None:
        super().__init__(f"{element_id}: {reason}" if element_id else reason)
        self.reason = reason
        self.element_id = element_id


class DepthLimitReached(WorkflowRunError):
    """SpiffWorkflow stopped silently because the task tree grew too deep (long loop)."""


class UnknownOperation(BpmnError):
    """A service task named an operation that is not in the registry."""


class ServiceUnavailable(WorkflowRunError):
    """A service the run called is down for now: the run is retried later, not failed."""


class ProcessNotDeployedError(BpmnError, ConflictError):
    """A process the operation needs has no version in force (never deployed, or retired)."""

    code = ErrorCode.PROCESS_NOT_DEPLOYED

    def __init__(self, process_id: str, message: str) -> None:
        super().__init__(message)
        self.process_id = process_id
