"""Typed errors of mutation results, and the one place domain errors become them."""

import functools
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import strawberry
from graphql import GraphQLError

from bpmn.errors import DeployError
from domain import errors as domain_errors

log = logging.getLogger("lendgraph.api")
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


def returns_user_errors(
    resolver: Callable[P, Awaitable[R]],
) -> Callable[P, Awaitable[R]]:
    """Let a mutation resolver raise domain errors; they come back as its typed error members."""

    @functools.wraps(resolver)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await resolver(*args, **kwargs)
        except (domain_errors.DomainError, DeployError) as exc:
            return user_error(exc)  # type: ignore[return-value]

    return wrapper


class ClientError(GraphQLError):
    """A top-level error that is safe to show to clients (never masked)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, extensions={"code": code})


def should_mask(error: GraphQLError) -> bool:
    """Mask everything except our client-safe errors, GraphQL syntax and validation errors."""
    original = error.original_error
    if original is None:
        return False  # parse and validation errors describe the query, not the server
    if isinstance(original, ClientError | domain_errors.DomainError):
        return False
    error_id = uuid.uuid4().hex[:12]
    log.error("unexpected error %s at %s", error_id, error.path, exc_info=original)
    if error.extensions is not None:
        error.extensions["errorId"] = error_id
    return True


def domain_error_extensions(error: GraphQLError) -> dict[str, Any]:
    """Extensions that give a top-level domain error its code."""
    original = error.original_error
    if isinstance(original, domain_errors.DomainError):
        return {"code": original.code.value}
    return {}
