"""Provisional passwords: an administrator's reset, the first sign-in, changing one's own.

A provisional password (set by an administrator, or a temporary one made by a reset) signs in
once, within `PasswordPolicy.temporary_ttl` of being set, and that sign-in may only change it.
All times are wall-clock UTC instants passed in by the caller.
"""

import asyncio
from datetime import datetime

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.access import accounts, audit, passwords
from domain.access.accounts import LoginPolicy
from domain.access.audit import Actor
from domain.access.errors import AuthenticationError
from domain.access.models import ApiKey
from domain.access.passwords import PasswordPolicy
from domain.errors import ConflictError, NotFoundError, ValidationError
from domain.user.models import User

SPENT = "the temporary password has expired or was already used: ask an administrator for a new one"


def check_provisional(user: User, *, now: datetime, policy: PasswordPolicy | None = None) -> None:
    """Refuse a provisional password that has expired or has signed in once already."""
    if not user.must_change_password:
        return
    lifetime = policy.temporary_ttl if policy else passwords.temporary_lifetime()
    set_at = user.password_changed_at
    if set_at is None or now >= set_at + lifetime:
        raise AuthenticationError(SPENT, reason="temporary_expired")
    if user.last_login_at is not None and user.last_login_at >= set_at:
        raise AuthenticationError(SPENT, reason="temporary_used")


def expires_at(user: User, policy: PasswordPolicy | None = None) -> datetime | None:
    """When a user's provisional password stops signing in (None: not provisional)."""
    if not user.must_change_password or user.password_changed_at is None:
        return None
    lifetime = policy.temporary_ttl if policy else passwords.temporary_lifetime()
    return user.password_changed_at + lifetime


async def _store(user_id: int, hashed: str, *, now: datetime, provisional: bool) -> None:
    """Keep a new password hash and end every session (failures, lock and tokens reset)."""
    await User.filter(id=user_id).update(
        password_hash=hashed, must_change_password=provisional, password_changed_at=now,
        failed_logins=0, locked_until=None, token_version=F("token_version") + 1,
        tokens_revoked_at=now,
    )  # fmt: skip


async def reset_password(
    user_id: int, *, now: datetime, actor: Actor | None = None, policy: PasswordPolicy | None = None
) -> tuple[str, datetime]:
    """Give a user a new temporary password, ending their sessions and revoking their API keys
    (a reset is what follows a suspected compromise). Returns the password and its expiry.

    The plaintext exists only in the return value: it is stored as an argon2 hash and never
    audited.
    """
    rules = policy or PasswordPolicy.from_env()
    if not await User.exists(id=user_id):
        raise NotFoundError("User", user_id)
    temporary = passwords.temporary_password(rules)
    hashed = await asyncio.to_thread(accounts.hash_password, temporary)
    async with in_transaction():
        await _store(user_id, hashed, now=now, provisional=True)
        keys = await ApiKey.filter(user_id=user_id, revoked_at__isnull=True).update(revoked_at=now)
        if actor is not None:
            await audit.record(
                actor, action="user.reset_password", object_type="user", object_id=user_id,
                after={"password": "temporary", "must_change_password": True,
                       "expires_at": now + rules.temporary_ttl, "api_keys_revoked": keys},
            )  # fmt: skip
    return temporary, now + rules.temporary_ttl


async def change_password(
    user_id: int,
    old_password: str,
    new_password: str,
    *,
    now: datetime,
    actor: Actor | None = None,
    policy: PasswordPolicy | None = None,
    login_policy: LoginPolicy | None = None,
) -> User:
    """Replace one's own password after checking the current one; ends every earlier session.

    A wrong current password counts as a failed sign-in (and can lock the account).
    """
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFoundError("User", user_id)
    if accounts.is_locked(user, now=now):
        raise ConflictError("the account is locked after failed attempts: try again later")
    if not await accounts.verify_password(user.password_hash, old_password):
        await accounts.record_failure(user, now=now, policy=login_policy or LoginPolicy.from_env())
        raise ValidationError.single("old_password", "is not your current password")
    if new_password == old_password:
        raise ValidationError.single("new_password", "must differ from the current password")
    await passwords.check(new_password, username=user.username, field="new_password", policy=policy)
    hashed = await asyncio.to_thread(accounts.hash_password, new_password)
    async with in_transaction():
        await _store(user_id, hashed, now=now, provisional=False)
        if actor is not None:
            await audit.record(
                actor, action="user.change_password", object_type="user", object_id=user_id,
                before={"must_change_password": user.must_change_password},
                after={"password": "changed", "must_change_password": False},
            )  # fmt: skip
    return await User.get(id=user_id)
