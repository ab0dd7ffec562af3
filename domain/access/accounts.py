"""Staff accounts: argon2 passwords, sign-in accounting, lockout and token revocation.

All times here are wall-clock UTC instants passed in by the caller, never the business date.
"""

import asyncio
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from domain.access import audit, passwords
from domain.access.audit import Actor
from domain.access.models import ApiKey
from domain.access.passwords import PasswordPolicy
from domain.errors import ConflictError, NotFoundError
from domain.user.models import User

log = logging.getLogger("lendgraph.access")
HASHER = PasswordHasher()  # argon2id with the library's recommended cost (~0.15 s a hash)
_dummy: dict[int, str] = {}


def _hasher() -> PasswordHasher:
    return HASHER


def _dummy_hash() -> str:
    """A hash of a random secret, made with the current hasher, to verify unknown users against."""
    hasher = _hasher()
    if id(hasher) not in _dummy:
        _dummy[id(hasher)] = hasher.hash(secrets.token_urlsafe(16))
    return _dummy[id(hasher)]


def hash_password(password: str) -> str:
    """The argon2id hash of a password."""
    return _hasher().hash(password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(stored: str | None, password: str) -> bool:
    """Whether a password matches a stored hash, in a thread (argon2 is slow by design).

    A missing hash still costs one verification, so a miss takes as long as a hit.
    """
    return await asyncio.to_thread(_verify, stored, password)


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash was made with weaker parameters than the current ones."""
    try:
        return _hasher().check_needs_rehash(stored)
    except InvalidHashError:
        return True


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware wall-clock instant")
    return now


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}")
    return value


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    """How failed sign-ins are slowed down and when an account locks."""

    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=15)
    # every failed sign-in waits the same: a delay that grew with an account's failures would
    # tell an unknown username (always the first failure) from a known one; the lock bounds
    # guessing instead
    failure_delay: float = 0.25

    @classmethod
    def from_env(cls) -> "LoginPolicy":
        """The policy from LENDGRAPH_LOGIN_MAX_FAILURES and LENDGRAPH_LOGIN_LOCK_MINUTES."""
        return cls(
            max_failures=_positive_int("LENDGRAPH_LOGIN_MAX_FAILURES", 5),
            lock_for=timedelta(minutes=_positive_int("LENDGRAPH_LOGIN_LOCK_MINUTES", 15)),
        )


def is_locked(user: User, *, now: datetime) -> bool:
    """Whether the account is locked at this instant."""
    return user.locked_until is not None and user.locked_until > _aware(now)


async def record_failure(user: User, *, now: datetime, policy: LoginPolicy) -> int:
    """Count one more consecutive failure, locking the account at the limit. Returns the count."""
    _aware(now)
    await User.filter(id=user.id).update(failed_logins=F("failed_logins") + 1)
    failures: list[Any] = await User.filter(id=user.id).values_list("failed_logins", flat=True)
    count = int(failures[0]) if failures else 0
    if count >= policy.max_failures:
        await User.filter(id=user.id, failed_logins__gte=policy.max_failures).update(
            failed_logins=0, locked_until=now + policy.lock_for
        )
        log.warning(
            "account %s locked for %s after %d failed sign-ins", user.id, policy.lock_for, count
        )
    return count


async def record_success(user: User, password: str, *, now: datetime) -> None:
    """Reset the failure count and lock, note the sign-in, upgrade an outdated hash."""
    changes: dict[str, object] = {
        "failed_logins": 0,
        "locked_until": None,
        "last_login_at": _aware(now),
    }
    if user.password_hash and needs_rehash(user.password_hash):
        changes["password_hash"] = await asyncio.to_thread(hash_password, password)
    await User.filter(id=user.id).update(**changes)
    for name, value in changes.items():
        setattr(user, name, value)


async def _audit(actor: Actor | None, action: str, user_id: int, **change: Any) -> None:
    if actor is not None:
        await audit.record(actor, action=action, object_type="user", object_id=user_id, **change)


async def set_password(
    user_id: int,
    password: str,
    *,
    actor: Actor | None = None,
    now: datetime | None = None,
    must_change: bool = False,
    policy: PasswordPolicy | None = None,
) -> None:
    """Store a new password that satisfies the password policy, and unlock the account.

    With `must_change`, the password is provisional: it signs in once, within the policy's
    temporary lifetime, and only to change it.
    """
    found: list[Any] = await User.filter(id=user_id).values_list("username", flat=True)
    if not found:
        raise NotFoundError("User", user_id)
    await passwords.check(password, username=str(found[0]), policy=policy)
    hashed = await asyncio.to_thread(hash_password, password)
    async with in_transaction():
        await User.filter(id=user_id).update(
            password_hash=hashed,
            failed_logins=0,
            locked_until=None,
            must_change_password=must_change,
            password_changed_at=_aware(now or datetime.now(UTC)),
        )
        after = {"password": "changed", "must_change_password": must_change}
        await _audit(actor, "user.set_password", user_id, after=after)


async def revoke_tokens(user_id: int, *, now: datetime, actor: Actor | None = None) -> int:
    """Invalidate every token issued to a user so far ("log out everywhere"). Returns tv."""
    async with in_transaction():
        updated = await User.filter(id=user_id).update(
            token_version=F("token_version") + 1, tokens_revoked_at=_aware(now)
        )
        if not updated:
            raise NotFoundError("User", user_id)
        found: list[Any] = await User.filter(id=user_id).values_list("token_version", flat=True)
        version = int(found[0])
        await _audit(actor, "user.revoke_tokens", user_id, after={"token_version": version})
    return version


async def set_active(
    user_id: int, active: bool, *, now: datetime, actor: Actor | None = None
) -> int:
    """Enable or disable a user. Returns how many API keys disabling revoked.

    Disabling revokes every token and API key already issued, so they stop working at their
    next request. Nobody disables their own account, and the last active administrator stays.
    """
    async with in_transaction():
        # one statement locks the target and every active user in id order: two administrators
        # disabling each other at once cannot both pass the last-administrator check
        locked = User.filter(Q(is_active=True) | Q(id=user_id)).order_by("id")
        rows = await locked.select_for_update()
        target = next((row for row in rows if row.id == user_id), None)
        if target is None:
            raise NotFoundError("User", user_id)
        revoked = 0
        if not active:
            if actor is not None and actor.user_id == user_id:
                raise ConflictError("you cannot disable your own account")
            others = [r for r in rows if r.id != user_id and r.is_active and "admin" in r.roles]
            if target.is_active and "admin" in target.roles and not others:
                raise ConflictError("the last active administrator cannot be disabled")
        await User.filter(id=user_id).update(is_active=active)
        if not active:
            revoked = await ApiKey.filter(user_id=user_id, revoked_at__isnull=True).update(
                revoked_at=_aware(now)
            )
        after: dict[str, Any] = {"is_active": active}
        if revoked:
            after["api_keys_revoked"] = revoked
        await _audit(
            actor,
            "user.enable" if active else "user.disable",
            user_id,
            before={"is_active": target.is_active},
            after=after,
        )
        if not active:
            await revoke_tokens(user_id, now=now)
    return int(revoked)
