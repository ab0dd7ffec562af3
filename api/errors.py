"""Typed errors of mutation results, and the one place domain errors become them."""

import functools
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeAlias, TypeVar

import strawberry
from graphql import GraphQLError
from tortoise.exceptions import ValidationError as TortoiseValidationError

from bpmn.errors import DeployError
from domain import columns, pgclient
from domain import errors as domain_errors

P = ParamSpec("P")
R = TypeVar("R")


@strawberry.interface(description="An expected failure a client can show or act on.")
class UserError:
    code: str
    message: str


@strawberry.type(description="One invalid input field and why.")
class FieldError:
    field: str
    message: str


@strawberry.type(description="The input broke a rule; every offending field is listed.")
class ValidationError(UserError):
    fields: list[FieldError]


@strawberry.type(description="The object does not exist or is not visible to you.")
class NotFoundError(UserError):
    pass


@strawberry.type(description="You may not do this.")
class ForbiddenError(UserError):
    pass


@strawberry.type(description="The change collides with the current state; reload and retry.")
class ConflictError(UserError):
    pass


ERROR_TYPES = (ValidationError, NotFoundError, ForbiddenError, ConflictError)
# Every mutation result is `Annotated[…Success | UserErrors, strawberry.union("…Result")]`:
# whatever a resolver raises that a client caused has a member to come back as.
UserErrors: TypeAlias = ValidationError | NotFoundError | ForbiddenError | ConflictError


def camel(path: str) -> str:
    """A domain field path in the API's spelling (`custom_fields.x_y` -> `customFields.x_y`)."""
    head, dot, rest = path.partition(".")
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), head) + dot + rest


def user_error(exc: domain_errors.DomainError | DeployError) -> UserError:
    """The GraphQL error type for a domain error, or a diagram refused at deploy."""
    if isinstance(exc, DeployError):  # each problem named by the element it concerns
        fields = [FieldError(field=element or "bpmnXml", message=reason)
                  for element, reason in exc.problems]  # fmt: skip
        message = "Diagram refused: " + "; ".join(f"{f.field}: {f.message}" for f in fields)
        return ValidationError(code="VALIDATION", message=message, fields=fields)
    code, message = exc.code.value, exc.message
    if isinstance(exc, domain_errors.ValidationError):
        fields = [FieldError(field=camel(p.field), message=p.message) for p in exc.problems]
        message = "Invalid input: " + "; ".join(f"{f.field}: {f.message}" for f in fields)
        return ValidationError(code=code, message=message, fields=fields)
    if isinstance(exc, domain_errors.NotFoundError):
        return NotFoundError(code=code, message=message)
    if isinstance(exc, domain_errors.ForbiddenError):
        return ForbiddenError(code=code, message=message)
    return ConflictError(code=code, message=message)


def known_error(exc: BaseException | None) -> domain_errors.DomainError | DeployError | None:
    """The expected failure an exception stands for, or None when it is a fault of ours.

    Domain errors and refused diagrams as they are; a value a column cannot hold (too long,
    out of range: Tortoise refuses it before any SQL runs) as a validation error on its field.
    """
    if isinstance(exc, domain_errors.DomainError | DeployError):
        return exc
    if isinstance(exc, TortoiseValidationError):
        return columns.problem_of(exc)
    return None


def returns_user_errors(
    resolver: Callable[P, Awaitable[R]],
) -> Callable[P, Awaitable[R]]:
    """Let a mutation resolver raise domain errors; they come back as its typed error members."""

    @functools.wraps(resolver)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await resolver(*args, **kwargs)
        except Exception as exc:
            known = known_error(exc)
            if known is None:
                raise
            return user_error(known)  # type: ignore[return-value]

    return wrapper


class ClientError(GraphQLError):
    """A top-level error that is safe to show to clients (never masked)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, extensions={"code": code})


def with_code(error: GraphQLError) -> GraphQLError:
    """A top-level error of an expected failure, with its message and `extensions.code`.

    An error of the request itself (syntax, validation, a variable's value: no path) that has
    no code gets VALIDATION, so clients can tell every bad request from a fault of ours.
    """
    known = known_error(error.original_error)
    if known is None:
        if error.path is None and "code" not in (error.extensions or {}):
            error.extensions = {**(error.extensions or {}), "code": "VALIDATION"}
        return error
    if known is not error.original_error:  # say it as the API would, not as the ORM did
        message = user_error(known).message
        error = GraphQLError(message, error.nodes, error.source, error.positions,
                             error.path, known, error.extensions)  # fmt: skip
    code = known.code.value if isinstance(known, domain_errors.DomainError) else "VALIDATION"
    error.extensions = {**(error.extensions or {}), "code": code}
    return error


def outage_error(error: GraphQLError) -> GraphQLError | None:
    """A field the database failed to answer, said so with its code (never masked): the
    request's other fields stand, this one was not done and may be retried."""
    outage = pgclient.unavailable(error.original_error) if error.original_error else None
    if outage is None:
        return None
    wait = pgclient.RETRY_AFTER_SECONDS
    message = (f"The database is unavailable ({outage.reason}): this field was not done; "
               f"retry it in {wait} s.")  # fmt: skip
    return GraphQLError(message, error.nodes, error.source, error.positions, error.path,
                        outage, {"code": outage.code, "retryAfter": wait})  # fmt: skip


def internal_error(
    cause: BaseException | None, logged: str, said: str = "", **located: Any
) -> GraphQLError:
    """A fault of ours, shown under an id and no more: ``Unexpected error (id …)`` (and ``said``
    after it); the cause is logged under the same id with ``logged``. ``located`` places the
    error in the document (nodes, source, positions, path)."""
    error_id = uuid.uuid4().hex[:12]
    logging.getLogger("lendgraph.api").error(
        "unexpected error %s %s", error_id, logged, exc_info=cause
    )
    message = f"Unexpected error (id {error_id}){': ' + said if said else ''}."
    return GraphQLError(
        message, extensions={"code": "INTERNAL_SERVER_ERROR", "errorId": error_id}, **located
    )
