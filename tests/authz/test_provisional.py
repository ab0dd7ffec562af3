"""Provisional passwords and disabling, below the API: what signs in, what a token may be."""

from datetime import timedelta

import pytest

from authz.auth import authenticate, resolve_subject, subject_for_api_key
from authz.tokens import TokenConfig, TokenError, issue_token, verify_token
from domain.access import accounts, apikeys, audit, credentials
from domain.access.accounts import LoginPolicy
from domain.access.audit import Actor
from domain.access.errors import LOGIN_FAILED, AuthenticationError
from domain.access.passwords import PasswordPolicy
from domain.errors import ConflictError, ValidationError
from domain.user.models import User
from tests.authz.support import NOW, PASSWORD, Sleeps, staff

CONFIG = TokenConfig(secret=b"k" * 32)
POLICY = PasswordPolicy(temporary_ttl=timedelta(hours=4))
LOGIN = LoginPolicy(max_failures=3, failure_delay=0)


async def _sign_in(username: str, password: str, at=NOW) -> User:
    return await authenticate(username, password, now=at, policy=LOGIN, sleep=Sleeps([]))


async def test_a_temporary_password_signs_in_once_and_only_to_change_it(db: str) -> None:
    user = await staff("am1", ["account_manager"], password=PASSWORD)
    temporary, expires = await credentials.reset_password(user.id, now=NOW, policy=POLICY)
    assert expires == NOW + timedelta(hours=4)
    with pytest.raises(AuthenticationError):  # the old password is gone
        await _sign_in("am1", PASSWORD, NOW + timedelta(minutes=1))
    signed_in = await _sign_in("am1", temporary, NOW + timedelta(minutes=2))
    at = NOW + timedelta(minutes=4)
    token = issue_token(signed_in, now=NOW + timedelta(minutes=2), config=CONFIG)
    restricted = await resolve_subject(verify_token(token, now=at, config=CONFIG))
    assert restricted.must_change_password and restricted.roles == ()
    # a second sign-in with the same temporary password is refused, saying why
    with pytest.raises(AuthenticationError) as again:
        await _sign_in("am1", temporary, NOW + timedelta(minutes=3))
    assert again.value.reason == "temporary_used" and "ask an administrator" in again.value.message
    changed = await credentials.change_password(user.id, temporary, "a fresh long secret", now=at)
    assert not changed.must_change_password
    with pytest.raises(TokenError, match="revoked"):  # the restricted token ends with the change
        await resolve_subject(verify_token(token, now=at, config=CONFIG))
    full = issue_token(changed, now=at, config=CONFIG)
    subject = await resolve_subject(verify_token(full, now=at, config=CONFIG))
    assert subject.roles == ("account_manager",) and not subject.must_change_password
    assert (await _sign_in("am1", "a fresh long secret", NOW + timedelta(minutes=5))).id == user.id


async def test_a_temporary_password_expires(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENDGRAPH_TEMPORARY_PASSWORD_HOURS", "4")
    user = await staff("am1", ["account_manager"], password=PASSWORD)
    temporary, expires = await credentials.reset_password(user.id, now=NOW)
    assert expires == NOW + timedelta(hours=4)
    with pytest.raises(AuthenticationError) as late:
        await authenticate(
            "am1", temporary, now=NOW + timedelta(hours=4), policy=LOGIN, sleep=Sleeps([])
        )
    assert late.value.reason == "temporary_expired"
    # a wrong password still gets the generic answer: the expiry is told only to its holder
    with pytest.raises(AuthenticationError) as wrong:
        await _sign_in("am1", "not the temporary one", NOW + timedelta(hours=5))
    assert wrong.value.message == LOGIN_FAILED


async def test_changing_needs_the_current_password_and_a_good_new_one(db: str) -> None:
    user = await staff("am1", ["account_manager"], password=PASSWORD)

    async def refused(old: str, new: str) -> dict[str, str]:
        with pytest.raises(ValidationError) as caught:
            await credentials.change_password(user.id, old, new, now=NOW, login_policy=LOGIN)
        return {p.field: p.message for p in caught.value.problems}

    assert await refused("wrong", "a fresh long secret") == {
        "old_password": "is not your current password"
    }
    assert (await User.get(id=user.id)).failed_logins == 1  # counted like a failed sign-in
    assert await refused(PASSWORD, PASSWORD) == {
        "new_password": "must differ from the current password"
    }
    assert await refused(PASSWORD, "short-1") == {"new_password": "must be at least 12 characters"}
    assert "username" in (await refused(PASSWORD, "my name is am1 ok"))["new_password"]
    await refused("wrong", "x")
    await refused("wrong", "x")  # the third failure locks the account
    with pytest.raises(ConflictError, match="locked"):
        await credentials.change_password(user.id, PASSWORD, "a fresh long secret", now=NOW)


async def test_disabling_ends_tokens_and_api_keys_and_keeps_an_administrator(
    access_db: str,
) -> None:
    root = await staff("root", ["admin"])
    actor = Actor(user_id=root.id, username="root", via="jwt")
    feed = await staff("feed", ["customer_service"], password=PASSWORD)
    _, key = await apikeys.create_api_key(
        user_id=feed.id, role="customer_service", name="bank", now=NOW
    )
    token = issue_token(feed, now=NOW, config=CONFIG)
    assert (await subject_for_api_key(key, now=NOW)).username == "feed"
    assert await accounts.set_active(feed.id, False, now=NOW, actor=actor) == 1
    with pytest.raises(AuthenticationError):
        await subject_for_api_key(key, now=NOW)
    with pytest.raises(TokenError):
        await resolve_subject(verify_token(token, now=NOW, config=CONFIG))
    await accounts.set_active(feed.id, True, now=NOW, actor=actor)
    with pytest.raises(AuthenticationError):  # enabling again does not revive a revoked key
        await subject_for_api_key(key, now=NOW)

    with pytest.raises(ConflictError, match="your own account"):
        await accounts.set_active(root.id, False, now=NOW, actor=actor)
    with pytest.raises(ConflictError, match="last active administrator"):
        await accounts.set_active(root.id, False, now=NOW)
    second = await staff("root2", ["admin"])
    await accounts.set_active(root.id, False, now=NOW, actor=Actor(second.id, "root2"))
    assert not (await User.get(id=root.id)).is_active
    entries = (await audit.list_(audit.AuditFilter(object_type="user"))).rows
    assert [e.action for e in reversed(entries)] == ["user.disable", "user.enable", "user.disable"]
    assert entries[-1].after == {"is_active": False, "api_keys_revoked": 1}


async def test_a_reset_also_revokes_the_users_api_keys(db: str) -> None:
    user = await staff("am1", ["account_manager"], password=PASSWORD)
    _, plaintext = await apikeys.create_api_key(
        user_id=user.id, role="account_manager", name="crm sync", now=NOW
    )
    assert (await subject_for_api_key(plaintext, now=NOW)).user_id == user.id
    await credentials.reset_password(user.id, now=NOW + timedelta(minutes=1), policy=POLICY)
    with pytest.raises(AuthenticationError):
        await subject_for_api_key(plaintext, now=NOW + timedelta(minutes=2))
