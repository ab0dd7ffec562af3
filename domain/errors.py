"""Domain errors: each carries a code the API maps to a typed GraphQL error in one place."""

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable machine-readable error codes."""

    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    FORBIDDEN = "FORBIDDEN"
    PROCESS_NOT_DEPLOYED = "PROCESS_NOT_DEPLOYED"


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One invalid input field and what is wrong with it."""

    field: str
    message: str


class DomainError(Exception):
    """A failure the caller can understand and act on."""

    code: ErrorCode = ErrorCode.VALIDATION

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    """Input that breaks a rule; lists every offending field."""

    code = ErrorCode.VALIDATION

    def __init__(self, problems: list[FieldProblem], message: str | None = None) -> None:
        summary = "; ".join(f"{p.field}: {p.message}" for p in problems)
        super().__init__(message or f"Invalid input: {summary}")
        self.problems = problems

    @classmethod
    def single(cls, field: str, message: str) -> "ValidationError":
        """A validation error about one field."""
        return cls([FieldProblem(field, message)])


class NotFoundError(DomainError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    code = ErrorCode.NOT_FOUND

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key} not found")
        self.kind = kind


class ConflictError(DomainError):
    """The operation collides with the current state (a duplicate, a concurrent change)."""

    code = ErrorCode.CONFLICT


class ForbiddenError(DomainError):
    """The caller may not do this."""

    code = ErrorCode.FORBIDDEN


class UnavailableError(Exception):
    """An outside service (a credit bureau, a gateway) did not answer: try again later.

    Not a DomainError: nothing is wrong with the request, and the caller (the process
    runner, the outbox) keeps the work and retries it with back-off.
    """

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service} unavailable: {reason}")
        self.service = service
        self.reason = reason


class Problems:
    """Collects field problems, then raises them together."""

    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, field: str, message: str) -> None:
        """Record one problem."""
        self.items.append(FieldProblem(field, message))

    def raise_if_any(self) -> None:
        """Raise a ValidationError listing every recorded problem."""
        if self.items:
            raise ValidationError(self.items)
