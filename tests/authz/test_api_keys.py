"""API keys: shown once, stored hashed, one role, revocable, use noted."""

from datetime import timedelta

import pytest

from authz.auth import subject_for_api_key
from domain.access import accounts, apikeys, audit
from domain.access.audit import Actor
from domain.access.errors import AuthenticationError
from domain.access.models import ApiKey
from domain.errors import ValidationError
from domain.user.models import User
from tests.authz.support import NOW, PASSWORD, staff


async def test_create_verify_and_revoke(db: str) -> None:
    user = await staff("crm-sync", ["customer_service", "account_manager"], branch="SH")
    key, plaintext = await apikeys.create_api_key(
        user_id=user.id, role="customer_service", name="CRM sync", now=NOW
    )
    stored = await ApiKey.get(id=key.id)
    assert plaintext.startswith("lgk_") and len(plaintext) > 40
    assert stored.prefix == plaintext[:12] and plaintext not in stored.key_hash
    assert stored.key_hash == apikeys.key_hash(plaintext)

    subject = await subject_for_api_key(plaintext, now=NOW)
    assert (subject.username, subject.roles, subject.via) == (
        "crm-sync",
        ("customer_service",),
        "api_key",
    )
    assert (await ApiKey.get(id=key.id)).last_used_at == NOW
    await subject_for_api_key(plaintext, now=NOW + timedelta(seconds=30))
    assert (await ApiKey.get(id=key.id)).last_used_at == NOW  # noted at most once a minute

    await apikeys.revoke_api_key(key.id, now=NOW)
    with pytest.raises(AuthenticationError, match="not valid"):
        await subject_for_api_key(plaintext, now=NOW)
    assert [k.id for k in await apikeys.list_api_keys(user.id)] == [key.id]


async def test_unusable_keys(db: str) -> None:
    user = await staff("partner", ["customer_service"])
    _key, plaintext = await apikeys.create_api_key(
        user_id=user.id,
        role="customer_service",
        name="partner",
        now=NOW,
        expires_at=NOW + timedelta(days=1),
    )
    for wrong in ("", "lgk_nope", plaintext[:-1] + "x", "Bearer " + plaintext):
        with pytest.raises(AuthenticationError):
            await subject_for_api_key(wrong, now=NOW)
    with pytest.raises(AuthenticationError):
        await subject_for_api_key(plaintext, now=NOW + timedelta(days=2))  # expired
    user.roles = ["account_manager"]
    await user.save()
    with pytest.raises(AuthenticationError):
        await subject_for_api_key(plaintext, now=NOW)  # the user lost the key's role
    user.roles, user.is_active = ["customer_service"], False
    await user.save()
    with pytest.raises(AuthenticationError):
        await subject_for_api_key(plaintext, now=NOW)  # the user is disabled


async def test_create_validates(db: str) -> None:
    user = await staff("partner", ["customer_service"])
    with pytest.raises(ValidationError) as caught:
        await apikeys.create_api_key(
            user_id=user.id, role="admin", name=" ", now=NOW, expires_at=NOW
        )
    assert {p.field for p in caught.value.problems} == {"role", "name", "expiresAt"}


async def test_key_and_account_changes_are_audited(access_db: str) -> None:
    admin = await staff("root", ["admin"])
    actor = Actor(user_id=admin.id, username="root", via="jwt", ip="10.0.0.9")
    user = await staff("partner", ["customer_service"], password=PASSWORD)
    key, plaintext = await apikeys.create_api_key(
        user_id=user.id, role="customer_service", name="partner", now=NOW, actor=actor
    )
    await apikeys.revoke_api_key(key.id, now=NOW, actor=actor)
    await apikeys.revoke_api_key(key.id, now=NOW, actor=actor)  # no second entry
    await accounts.set_password(user.id, "another long secret", actor=actor)
    await accounts.set_active(user.id, False, now=NOW, actor=actor)
    page = await audit.list_(audit.AuditFilter(user_id=admin.id))
    assert [e.action for e in reversed(page.rows)] == [
        "api_key.create",
        "api_key.revoke",
        "user.set_password",
        "user.disable",
    ]
    entries = [str(e.before) + str(e.after) for e in page.rows]
    assert not [text for text in entries if plaintext in text or "argon2" in text]
    assert (await User.get(id=user.id)).token_version == 1
