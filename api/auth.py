"""Authentication of every request, and the login, me and role operations."""

import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import strawberry
from graphql import ExecutionResult, GraphQLError
from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from starlette.requests import Request
from strawberry.extensions import SchemaExtension

from api import ratelimit
from api.access import require, subject_of
from api.context import Context, Info
from api.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UserError,
    ValidationError,
    internal_error,
    returns_user_errors,
)
from api.system.types import User
from authz import auth, tokens
from authz.enforcer import Authorizer
from authz.subject import Subject
from domain import pgclient
from domain.access import audit
from domain.access.errors import AuthenticationError
from domain.user.models import User as UserModel

log = logging.getLogger("lendgraph.auth")
# introspection too needs a token: nothing but signing in is open to anonymous callers
PUBLIC_ROOT_FIELDS = frozenset({"login", "__typename"})
# all a sign-in with a provisional password may do before changing it
PASSWORD_CHANGE_FIELDS = PUBLIC_ROOT_FIELDS | {"me", "changePassword"}
PASSWORD_CHANGE_REQUIRED = "PASSWORD_CHANGE_REQUIRED"  # noqa: S105  (an error code)


async def authenticate_connection(params: Mapping[str, object] | None) -> Subject | None:
    """The subject of a websocket's connection_init payload (Authorization or X-API-Key)."""
    params = params or {}
    header = params.get("Authorization") or params.get("authorization") or ""
    key = params.get("X-API-Key") or params.get("x-api-key")
    return await authenticate_credentials(str(header), str(key) if key is not None else None)


@dataclass(frozen=True)
class RequestCaller:
    """Who sent a request: the subject (None: no credentials, or refused, see `error`) and,
    for a bearer token, the user row it was read from."""

    subject: Subject | None = None
    user: UserModel | None = None
    error: AuthenticationError | None = None


async def authenticate_request(request: Request, authorizer: Authorizer) -> RequestCaller:
    """The caller of a request's bearer token or API key, the policy brought up to date too.

    A bearer token costs one statement: its user and the policy version are read together.
    Otherwise the version is read first (one statement), then an API key is checked as before.
    """
    header = request.headers.get("authorization", "")
    if not header:
        await authorizer.ensure_current()
        key = request.headers.get("x-api-key")
        try:
            return RequestCaller(await authenticate_credentials("", key))
        except AuthenticationError as exc:
            return RequestCaller(error=exc)
    try:
        claims = _claims(header)
        user, version = await auth.read_caller(claims)
    except AuthenticationError as exc:
        await authorizer.ensure_current()
        return RequestCaller(error=exc)
    if user is None:  # no row, so no version read with it
        await authorizer.ensure_current()
    else:
        await authorizer.ensure_version(version)
    try:
        return RequestCaller(auth.check_token_user(claims, user), user)
    except AuthenticationError as exc:
        return RequestCaller(error=exc)


def _claims(header: str) -> tokens.Claims:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("use 'Authorization: Bearer <token>'", reason="scheme")
    return tokens.verify_token(token.strip(), now=datetime.now(UTC))


async def authenticate_credentials(header: str, key: str | None) -> Subject | None:
    """The subject of an ``Authorization`` value or an API key (HTTP headers, or the
    ``connection_init`` payload of a websocket); None when neither is given."""
    if header:
        return await auth.resolve_subject(_claims(header))
    if key:
        subject = await auth.subject_for_api_key(key.strip())
        ratelimit.remember_key(key.strip())  # its requests are charged to it from now on
        return subject
    return None


class RequireAuthentication(SchemaExtension):
    """Every operation but `login` needs an authenticated caller, introspection included.

    A caller who signed in with a provisional password may only read `me` and call
    `changePassword` until they have. After execution it writes one audit entry for the
    unmasked sensitive fields the request read.
    """

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        anonymous = isinstance(context, Context) and context.subject is None
        if anonymous and not self._root_fields() <= PUBLIC_ROOT_FIELDS:
            error = context.auth_error
            message = error.message if error else "authentication required"
            self._refuse(message, "UNAUTHENTICATED")
        elif (
            isinstance(context, Context)
            and context.subject is not None
            and context.subject.must_change_password
            and not self._root_fields() <= PASSWORD_CHANGE_FIELDS
        ):
            self._refuse(
                "your password is temporary: change it with changePassword first",
                PASSWORD_CHANGE_REQUIRED,
            )
        yield
        if isinstance(context, Context) and context.sensitive_reads and context.subject:
            reads: dict[object, list[str]] = {
                k: sorted(v) for k, v in context.sensitive_reads.items()
            }
            context.sensitive_reads.clear()
            try:
                await audit.record_sensitive_reads(context.actor(), "customer", reads)
            except Exception as exc:  # nothing read unmasked leaves without its audit
                if pgclient.unavailable(exc) is not None:
                    raise  # an outage: answered 503, to retry
                raise _unaudited(exc) from exc

    def _refuse(self, message: str, code: str) -> None:
        self.execution_context.result = ExecutionResult(
            data=None, errors=[GraphQLError(message, extensions={"code": code})]
        )

    def _root_fields(self) -> set[str]:
        document = self.execution_context.graphql_document
        name = self.execution_context.operation_name
        fragments = {
            d.name.value: d
            for d in (document.definitions if document else ())
            if isinstance(d, FragmentDefinitionNode)
        }
        for definition in document.definitions if document else ():
            if isinstance(definition, OperationDefinitionNode) and (
                name is None or (definition.name is not None and definition.name.value == name)
            ):
                return _fields(definition.selection_set, fragments, set())
        return set()


def _fields(
    selections: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: set[str]
) -> set[str]:
    """The field names of a selection set, through inline fragments and fragment spreads."""
    names: set[str] = set()
    for sel in selections.selections:
        if isinstance(sel, FieldNode):
            names.add(sel.name.value)
        elif isinstance(sel, InlineFragmentNode):
            names |= _fields(sel.selection_set, fragments, seen)
        elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in seen:
            seen.add(sel.name.value)
            fragment = fragments.get(sel.name.value)
            # an unknown fragment fails validation; count it as a field so nothing passes
            names |= _fields(fragment.selection_set, fragments, seen) if fragment else {"?"}
    return names


@strawberry.input(description="Username and password.")
class LoginInput:
    username: str
    password: str


@strawberry.type(description="Signed in: a short-lived bearer token for `Authorization`.")
class LoginSuccess:
    token: str
    expires_at: datetime
    user: User
    must_change_password: bool = strawberry.field(
        description="The password is temporary: the token only allows `me` and `changePassword`."
    )


@strawberry.type(
    description="The username or password is wrong, the account is locked, or a temporary "
    "password has expired (code PASSWORD_EXPIRED)."
)
class LoginError(UserError):
    pass


LoginResult = Annotated[LoginSuccess | LoginError, strawberry.union("LoginResult")]


@strawberry.input(description="Give a user a role (admin).")
class AssignRoleInput:
    username: str
    role: str
    revoke: bool = strawberry.field(default=False, description="Take the role away instead.")


@strawberry.type(description="The user's roles now.")
class AssignRoleSuccess:
    user: User


AssignRoleResult = Annotated[
    AssignRoleSuccess | ValidationError | NotFoundError | ForbiddenError | ConflictError,
    strawberry.union("AssignRoleResult"),
]


@strawberry.type
class AuthQueries:
    @strawberry.field(description="The signed-in user.")
    async def me(self, info: Info) -> User:
        # the row authentication read moments ago, in this same request (`me` is a query)
        row = info.context.caller
        if row is None or row.id != subject_of(info).user_id:
            row = await UserModel.get(id=subject_of(info).user_id)
        return User.from_model(row)


@strawberry.type
class AuthMutations:
    @strawberry.mutation(description="Sign in with a username and password.")
    async def login(self, info: Info, input: LoginInput) -> LoginResult:
        now = datetime.now(UTC)
        try:
            user = await auth.authenticate(input.username, input.password, now=now)
        except AuthenticationError as exc:
            log.info("failed login for %r: %s", input.username[:64], exc.reason)
            expired = exc.reason in ("temporary_expired", "temporary_used")
            code = "PASSWORD_EXPIRED" if expired else "UNAUTHENTICATED"
            return LoginError(code=code, message=exc.message)
        token = tokens.issue_token(user, now=now)
        claims = tokens.verify_token(token, now=now)
        return LoginSuccess(
            token=token, expires_at=claims.exp, user=User.from_model(user),
            must_change_password=user.must_change_password,
        )  # fmt: skip

    @strawberry.mutation(
        description="Give or take away a role; effective at the user's next request."
    )
    @returns_user_errors
    async def assign_role(self, info: Info, input: AssignRoleInput) -> AssignRoleResult:
        require(info, "role", "assign")
        authorizer, actor = info.context.authorizer, info.context.actor()
        if input.revoke:
            await authorizer.revoke_role(input.username, input.role, actor=actor)
        else:
            await authorizer.assign_role(input.username, input.role, actor=actor)
        row = await UserModel.get(username=input.username)
        return AssignRoleSuccess(user=User.from_model(row))


def _unaudited(exc: Exception) -> GraphQLError:
    """The error that replaces a request's answer when its unmasked reads could not be audited
    (raised, it takes the data with it): a fault of ours, logged under its id, not the
    database's own words."""
    return internal_error(exc, "(unmasked reads not audited)", "the reads could not be audited")
