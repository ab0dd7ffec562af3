"""The password policy: each rule named when broken, breached lists searched on disk."""

import hashlib
import io
from pathlib import Path

import pytest

from domain.access import passwords
from domain.access.passwords import PasswordConfigError, PasswordPolicy
from domain.errors import ValidationError

POLICY = PasswordPolicy()


async def _refusals(
    password: str, username: str = "alice", policy: PasswordPolicy = POLICY
) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        await passwords.check(password, username=username, policy=policy)
    assert {p.field for p in caught.value.problems} == {"password"}
    return [p.message for p in caught.value.problems]


async def test_each_broken_rule_is_named() -> None:
    assert await _refusals("Short1!") == ["must be at least 12 characters"]
    assert await _refusals("xx-Alice-2026-xx") == ["must not contain the username"]
    assert await _refusals("12345678901234") == [
        "must mix at least two kinds of characters (lowercase, uppercase, digits, others)"
    ]
    assert len(await _refusals("aaaaaaa")) == 2  # too short and one kind of character


async def test_the_passwords_demo_and_tests_use_are_accepted() -> None:
    for accepted in ("lendgraph-demo", "correct horse battery staple", "a much longer secret"):
        await passwords.check(accepted, username="admin", policy=POLICY)
    # a two-letter username is not searched for inside passwords ("am" in "camera")
    await passwords.check("camera obscura", username="am", policy=POLICY)


def test_minimum_length_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENDGRAPH_PASSWORD_MIN_LENGTH", "16")
    assert PasswordPolicy.from_env().min_length == 16
    monkeypatch.setenv("LENDGRAPH_PASSWORD_MIN_LENGTH", "6")
    with pytest.raises(PasswordConfigError, match="LENDGRAPH_PASSWORD_MIN_LENGTH"):
        PasswordPolicy.from_env()
    monkeypatch.delenv("LENDGRAPH_PASSWORD_MIN_LENGTH")
    monkeypatch.setenv("LENDGRAPH_PASSWORD_BREACHED_FILE", "/nonexistent/list.txt")
    with pytest.raises(PasswordConfigError, match="LENDGRAPH_PASSWORD_BREACHED_FILE"):
        PasswordPolicy.from_env()


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest().upper()


async def test_a_plain_breached_list_refuses_its_passwords(tmp_path: Path) -> None:
    listed = tmp_path / "breached.txt"
    listed.write_text("Password123!\nletmein-please\r\nWinter2026 now\n", encoding="utf-8")
    policy = PasswordPolicy(breached_file=listed)
    assert await _refusals("letmein-please", policy=policy) == [
        "appears in a list of breached passwords: choose another"
    ]
    assert await _refusals("Winter2026 now", policy=policy)
    await passwords.check("letmein-please!", username="alice", policy=policy)


async def test_a_sorted_sha1_list_with_counts_refuses_its_passwords(tmp_path: Path) -> None:
    known = ["Summer-2026-x", "correct horse battery", "P@ssw0rd-2026"]
    digests = sorted({_sha1(f"filler {n}") for n in range(20_000)} | {_sha1(p) for p in known})
    listed = tmp_path / "pwned-passwords-sha1-ordered-by-hash.txt"
    listed.write_text("".join(f"{d}:{n + 1}\r\n" for n, d in enumerate(digests)), encoding="ascii")
    policy = PasswordPolicy(breached_file=listed)
    for password in known:
        assert await _refusals(password, policy=policy)
    # the first and the last line of the file are found too
    source = {_sha1(f"filler {n}"): f"filler {n}" for n in range(20_000)} | {
        _sha1(p): p for p in known
    }
    assert passwords.is_breached(source[digests[0]], listed)
    assert passwords.is_breached(source[digests[-1]], listed)
    await passwords.check("not on any list 2026", username="alice", policy=policy)


def test_a_sorted_digest_file_is_binary_searched_not_read() -> None:
    digests = sorted(_sha1(f"p{n}") for n in range(50_000))
    data = "".join(f"{d.lower()}:7\n" for d in digests).encode()

    class Counting(io.BytesIO):
        lines = 0

        def readline(self, size: int | None = -1) -> bytes:
            Counting.lines += 1
            return super().readline(size)

    handle = Counting(data)
    assert passwords._sorted_digest_contains(handle, len(data), digests[31_337].encode())
    assert Counting.lines < 80  # log2 of 2 MB is 21 probes of two lines each, plus one
    assert not passwords._sorted_digest_contains(handle, len(data), _sha1("absent").encode())


async def test_temporary_passwords_satisfy_the_policy_and_differ() -> None:
    made = {passwords.temporary_password(PasswordPolicy(min_length=20)) for _ in range(50)}
    assert len(made) == 50
    for password in made:
        assert len(password) >= 20
        await passwords.check(password, username="alice", policy=PasswordPolicy(min_length=20))


@pytest.mark.parametrize("digests", [True, False])
def test_a_file_exported_with_a_byte_order_mark_is_still_read(
    tmp_path: Path, digests: bool
) -> None:
    first, second = "Spring-2026-a", "Autumn-2026-b"
    lines = sorted(_sha1(p) for p in (first, second)) if digests else [first, second]
    listed = tmp_path / "breached.txt"
    listed.write_bytes(passwords.BOM + "\r\n".join(lines).encode() + b"\r\n")
    assert passwords.is_breached(first, listed) and passwords.is_breached(second, listed)
    assert not passwords.is_breached("Winter-2026-c", listed)


def test_an_unsorted_digest_file_stops_the_server_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    digests = [_sha1(f"filler {n}") for n in range(50)]
    listed = tmp_path / "breached.txt"
    listed.write_text("\n".join(digests) + "\n", encoding="ascii")  # in the order made, unsorted
    monkeypatch.setenv("LENDGRAPH_PASSWORD_BREACHED_FILE", str(listed))
    with pytest.raises(PasswordConfigError, match="not sorted"):
        passwords.check_configuration()
    listed.write_text("\n".join(sorted(digests)) + "\n", encoding="ascii")
    passwords.check_configuration()
    # a missing file and a bad number stop it as well, naming the variable
    monkeypatch.setenv("LENDGRAPH_PASSWORD_BREACHED_FILE", str(tmp_path / "missing.txt"))
    with pytest.raises(PasswordConfigError, match="LENDGRAPH_PASSWORD_BREACHED_FILE"):
        passwords.check_configuration()
    monkeypatch.delenv("LENDGRAPH_PASSWORD_BREACHED_FILE")
    monkeypatch.setenv("LENDGRAPH_TEMPORARY_PASSWORD_HOURS", "soon")
    with pytest.raises(PasswordConfigError, match="LENDGRAPH_TEMPORARY_PASSWORD_HOURS"):
        passwords.check_configuration()
