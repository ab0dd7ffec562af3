"""Authentication: passwords, tokens and API keys in, a Subject out.

Every failure raises `AuthenticationError` (a ForbiddenError): the API answers UNAUTHENTICATED.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache

from tortoise import connections
from tortoise.exceptions import ValidationError

from authz.subject import Subject, Via
from authz.tokens import Claims, TokenError, TokenProblem
from domain import sqltext
from domain.access import accounts, apikeys, credentials, policy
from domain.access.accounts import LoginPolicy
from domain.access.errors import AuthenticationError, login_failed
from domain.user.models import User

Sleep = Callable[[float], Awaitable[None]]


def subject_of(user: User, via: Via, roles: tuple[str, ...] | None = None) -> Subject:
    """The subject a user acts as (with all of their roles unless some are given)."""
    return Subject(
        user_id=user.id,
        username=user.username,
        roles=tuple(user.roles) if roles is None else roles,
        branch=user.branch,
        team=user.team,
        via=via,
    )


def _password_changer(user: User) -> Subject:
    """A user who signed in with a provisional password: no role counts until they change it."""
    return replace(subject_of(user, "jwt", roles=()), must_change_password=True)


async def authenticate(
    username: str,
    password: str,
    *,
    now: datetime,
    policy: LoginPolicy | None = None,
    sleep: Sleep = asyncio.sleep,
) -> User:
    """The user with this username and password, or one generic AuthenticationError.

    Unknown user, wrong password, disabled and locked accounts all give the same message and
    cost one argon2 verification. Each failure waits the same `policy.failure_delay` seconds
    (via `sleep`) before raising, and the account locks for `policy.lock_for` after
    `policy.max_failures` consecutive failures. Success resets the count. `now` is wall clock.
    A provisional password that has expired or signed in once already is refused with a
    message of its own: only the right password reaches that check.
    """
    rules = policy or LoginPolicy.from_env()
    user = await User.get_or_none(username=username) if username else None
    if user is None:
        await accounts.verify_password(None, password)
        await sleep(rules.failure_delay)
        raise login_failed("unknown_user")
    if accounts.is_locked(user, now=now):
        await accounts.verify_password(None, password)
        await sleep(rules.failure_delay)
        raise login_failed("locked")
    if not await accounts.verify_password(user.password_hash, password):
        await accounts.record_failure(user, now=now, policy=rules)
        await sleep(rules.failure_delay)
        raise login_failed("bad_password")
    if not user.is_active:
        await sleep(rules.failure_delay)
        raise login_failed("disabled")
    credentials.check_provisional(user, now=now)  # only reachable with the right password
    await accounts.record_success(user, password, now=now)
    return user


async def resolve_subject(claims: Claims) -> Subject:
    """The subject a verified token speaks for: an existing, active user (one query).

    Local tokens must carry the user's current token version. External tokens name the user by
    `preferred_username` (else `sub`) and must be issued after the user's last revocation.
    """
    if claims.external:
        return check_token_user(claims, await User.get_or_none(username=claims.username))
    return check_token_user(claims, await User.get_or_none(id=claims.user_id))


async def read_caller(claims: Claims) -> tuple[User | None, int | None]:
    """The row a verified token names and the stored policy version, in one statement.

    Both are None when no user matches (the version is then unknown); `check_token_user`
    decides whether the row may act. The version is None when the policy was never stored.
    """
    column = "username" if claims.external else "id"
    try:  # a value the column cannot hold (checked as a filter would) names nobody
        key = User._meta.fields_map[column].to_db_value(
            claims.username if claims.external else claims.user_id, User
        )
    except ValidationError:
        return None, None
    sql, values = sqltext.bind(_caller_sql(column), {"key": key}, pg=sqltext.postgres())
    _, rows = await connections.get("default").execute_query(sql, values)
    if not rows:
        return None, None
    row = rows[0]
    version = row["policy_version"]
    return User._init_from_db(**row), None if version is None else int(version)


@cache
def _caller_sql(column: str) -> str:
    """The user whose `column` is `:key`, every column of the row, and the policy version."""
    columns = ", ".join(f'"{name}"' for name in User._meta.fields_db_projection.values())
    return (
        f'SELECT {columns}, {policy.version_sql()} AS "policy_version" '  # noqa: S608
        f'FROM "{User._meta.db_table}" WHERE "{column}" = :key LIMIT 1'
    )


def check_token_user(claims: Claims, user: User | None) -> Subject:
    """The subject of a token's user row, or TokenError when the row may not act for it:
    unknown or disabled user, stale token version or username, token older than a revocation.
    """
    if user is None or not user.is_active:
        raise TokenError(TokenProblem.REVOKED, "the token's user is unknown or disabled")
    stale = claims.tv != user.token_version or claims.username != user.username
    if not claims.external and stale:
        raise TokenError(TokenProblem.REVOKED, "the token has been revoked")
    if claims.external and user.tokens_revoked_at and claims.iat <= user.tokens_revoked_at:
        raise TokenError(TokenProblem.REVOKED, "the token has been revoked")
    if user.must_change_password and not claims.external:
        return _password_changer(user)
    return subject_of(user, "jwt")


async def subject_for_api_key(key: str, *, now: datetime | None = None) -> Subject:
    """The subject an API key acts as: its user in its one role (one query, plus a use stamp)."""
    found = await apikeys.find_usable_key(key, now=now or datetime.now(UTC))
    if found is None:
        raise AuthenticationError("the API key is not valid", reason="api_key")
    user = found.user
    if not user.is_active or found.role not in user.roles:
        raise AuthenticationError("the API key is not valid", reason="api_key_user")
    return subject_of(user, "api_key", roles=(found.role,))
