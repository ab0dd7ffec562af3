"""Password sign-in: one generic error, slowed failures, lockout, reset on success."""

from datetime import timedelta

import pytest

from authz.auth import authenticate
from domain.access import accounts
from domain.access.accounts import LoginPolicy
from domain.access.errors import LOGIN_FAILED, AuthenticationError
from domain.errors import ForbiddenError
from domain.user.models import User
from tests.authz.support import CHEAP, NOW, PASSWORD, Sleeps, staff

POLICY = LoginPolicy(max_failures=3, lock_for=timedelta(minutes=15), failure_delay=0.5)


async def _fail(username: str, password: str, sleeps: Sleeps, now=NOW) -> AuthenticationError:
    with pytest.raises(AuthenticationError) as caught:
        await authenticate(username, password, now=now, policy=POLICY, sleep=sleeps)
    assert caught.value.message == LOGIN_FAILED
    assert isinstance(caught.value, ForbiddenError)  # unmapped, it still fails closed
    return caught.value


async def test_success_returns_the_user_and_notes_the_sign_in(db: str) -> None:
    await staff("am1", ["account_manager"], password=PASSWORD)
    sleeps = Sleeps([])
    user = await authenticate("am1", PASSWORD, now=NOW, policy=POLICY, sleep=sleeps)
    assert user.username == "am1"
    assert sleeps.calls == []
    stored = await User.get(username="am1")
    assert stored.last_login_at == NOW and stored.failed_logins == 0


async def test_unknown_user_wrong_password_and_disabled_look_the_same(db: str) -> None:
    await staff("am1", ["account_manager"], password=PASSWORD)
    await staff("gone", ["account_manager"], password=PASSWORD, active=False)
    await staff("nopass", ["account_manager"])
    sleeps = Sleeps([])
    reasons = [
        (await _fail("nobody", PASSWORD, sleeps)).reason,
        (await _fail("am1", "wrong password", sleeps)).reason,
        (await _fail("gone", PASSWORD, sleeps)).reason,
        (await _fail("nopass", "", sleeps)).reason,
    ]
    assert reasons == ["unknown_user", "bad_password", "disabled", "bad_password"]
    assert sleeps.calls == [0.5] * 4  # an unknown name waits exactly as long as a known one


async def test_failures_slow_down_then_lock_and_the_lock_expires(db: str) -> None:
    await staff("am1", ["account_manager"], password=PASSWORD)
    sleeps = Sleeps([])
    for _ in range(POLICY.max_failures):
        await _fail("am1", "wrong", sleeps)
    assert sleeps.calls == [0.5, 0.5, 0.5]
    locked = await User.get(username="am1")
    assert locked.locked_until == NOW + timedelta(minutes=15)
    # locked: even the right password is refused, with the same message
    assert (await _fail("am1", PASSWORD, sleeps, NOW + timedelta(minutes=14))).reason == "locked"
    later = NOW + timedelta(minutes=15, seconds=1)
    user = await authenticate("am1", PASSWORD, now=later, policy=POLICY, sleep=sleeps)
    assert user.locked_until is None and user.failed_logins == 0


async def test_success_resets_the_failure_count(db: str) -> None:
    await staff("am1", ["account_manager"], password=PASSWORD)
    sleeps = Sleeps([])
    await _fail("am1", "wrong", sleeps)
    await _fail("am1", "wrong", sleeps)
    await authenticate("am1", PASSWORD, now=NOW, policy=POLICY, sleep=sleeps)
    await _fail("am1", "wrong", sleeps)
    assert (await User.get(username="am1")).failed_logins == 1
    assert sleeps.calls[-1] == 0.5


async def test_policy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENDGRAPH_LOGIN_MAX_FAILURES", "7")
    monkeypatch.setenv("LENDGRAPH_LOGIN_LOCK_MINUTES", "30")
    policy = LoginPolicy.from_env()
    assert (policy.max_failures, policy.lock_for) == (7, timedelta(minutes=30))
    assert policy.failure_delay == 0.25
    monkeypatch.setenv("LENDGRAPH_LOGIN_MAX_FAILURES", "0")
    with pytest.raises(ValueError, match="LENDGRAPH_LOGIN_MAX_FAILURES"):
        LoginPolicy.from_env()


async def test_outdated_hash_is_upgraded_on_sign_in(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await staff("am1", ["account_manager"], password=PASSWORD)
    stronger = type(CHEAP)(time_cost=2, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "HASHER", stronger)
    await authenticate("am1", PASSWORD, now=NOW, policy=POLICY, sleep=Sleeps([]))
    stored = await User.get(username="am1")
    assert "t=2" in (stored.password_hash or "")


async def test_set_password_checks_length_and_unlocks(db: str) -> None:
    user = await staff("am1", ["account_manager"], password=PASSWORD)
    await User.filter(id=user.id).update(locked_until=NOW + timedelta(hours=1), failed_logins=2)
    with pytest.raises(Exception, match="password"):
        await accounts.set_password(user.id, "short")
    await accounts.set_password(user.id, "a much longer secret")
    signed_in = await authenticate(
        "am1", "a much longer secret", now=NOW, policy=POLICY, sleep=Sleeps([])
    )
    assert signed_in.id == user.id
