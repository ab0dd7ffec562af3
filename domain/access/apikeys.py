"""API keys for integrations: shown once, stored as a SHA-256 hash, one role each, revocable."""

import hashlib
import secrets
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from domain.access import audit
from domain.access.audit import Actor
from domain.access.models import ApiKey
from domain.errors import NotFoundError, Problems
from domain.user.models import User

KEY_PREFIX = "lgk_"
PREFIX_LENGTH = 12  # "lgk_" and 8 random characters: enough to recognise a key in a list
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per key


def key_hash(plaintext: str) -> str:
    """The stored form of a key: its SHA-256, hex (keys are random, so no salt is needed)."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _described(key: ApiKey) -> dict[str, object]:
    return {"user_id": key.user_id, "name": key.name, "role": key.role, "prefix": key.prefix}


async def create_api_key(
    *,
    user_id: int,
    role: str,
    name: str,
    now: datetime,
    expires_at: datetime | None = None,
    actor: Actor | None = None,
) -> tuple[ApiKey, str]:
    """Create a key acting as a user in one of that user's roles. The plaintext is returned once."""
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFoundError("User", user_id)
    problems = Problems()
    if not name.strip():
        problems.add("name", "must not be empty")
    if role not in user.roles:
        problems.add("role", f"user {user.username} does not hold role {role!r}")
    if expires_at is not None and expires_at <= now:
        problems.add("expiresAt", "must be in the future")
    problems.raise_if_any()
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    async with in_transaction():
        key = await ApiKey.create(
            user_id=user.id,
            name=name.strip(),
            role=role,
            prefix=plaintext[:PREFIX_LENGTH],
            key_hash=key_hash(plaintext),
            created_at=now,
            expires_at=expires_at,
        )
        if actor is not None:
            await audit.record(
                actor,
                action="api_key.create",
                object_type="api_key",
                object_id=key.id,
                after={**_described(key), "expires_at": expires_at},
            )
    return key, plaintext


async def revoke_api_key(key_id: int, *, now: datetime, actor: Actor | None = None) -> ApiKey:
    """Revoke a key (revoking twice keeps the first time)."""
    key = await ApiKey.get_or_none(id=key_id)
    if key is None:
        raise NotFoundError("ApiKey", key_id)
    if key.revoked_at is None:
        async with in_transaction():
            await ApiKey.filter(id=key_id, revoked_at__isnull=True).update(revoked_at=now)
            key.revoked_at = now
            if actor is not None:
                await audit.record(
                    actor,
                    action="api_key.revoke",
                    object_type="api_key",
                    object_id=key.id,
                    before=_described(key),
                    after={"revoked_at": now},
                )
    return key


async def list_api_keys(user_id: int | None = None) -> list[ApiKey]:
    """Keys (never their plaintext), newest first, optionally of one user."""
    query = ApiKey.all() if user_id is None else ApiKey.filter(user_id=user_id)
    return await query.order_by("-id")


async def find_usable_key(plaintext: str, *, now: datetime) -> ApiKey | None:
    """The unrevoked, unexpired key with this plaintext and its user (one query), noting its use."""
    if not plaintext.startswith(KEY_PREFIX):
        return None
    key = await ApiKey.get_or_none(key_hash=key_hash(plaintext)).select_related("user")
    if key is None or key.revoked_at is not None:
        return None
    if key.expires_at is not None and key.expires_at <= now:
        return None
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
        await ApiKey.filter(id=key.id).update(last_used_at=now)
        key.last_used_at = now
    return key
