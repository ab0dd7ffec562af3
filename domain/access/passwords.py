"""The password policy: length, no username, mixed characters, not breached; temporary passwords.

Configuration (read at each check, so a changed variable applies at once):
- LENDGRAPH_PASSWORD_MIN_LENGTH: fewest characters (default 12, at least 8).
- LENDGRAPH_PASSWORD_BREACHED_FILE: a local list of breached passwords, one a line: either the
  passwords themselves, or upper- or lower-case SHA-1 hex digests sorted by digest, optionally
  followed by ":count" (the public breached-password corpus). Digest files are binary-searched
  on disk, so a file of hundreds of millions of lines costs a few dozen reads; plain lists are
  streamed line by line. Nothing is ever fetched over the network.
- LENDGRAPH_TEMPORARY_PASSWORD_HOURS: how long a temporary password stays usable (default 24).
"""

import asyncio
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from domain.errors import Problems

MIN_LENGTH_FLOOR = 8
MAX_LENGTH = 256  # argon2 takes any length; a cap keeps a request from hashing megabytes
_SHA1_LINE = re.compile(rb"^[0-9A-Fa-f]{40}(:\d+)?\r?$")
_TEMPORARY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"  # no 0/O, 1/l/I


class PasswordConfigError(ValueError):
    """The password policy's configuration is not valid (the message names the variable)."""


def _int_env(name: str, default: int, *, floor: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < floor:
        raise PasswordConfigError(f"{name} must be an integer of at least {floor}, got {raw!r}")
    return int(raw)


def temporary_lifetime() -> timedelta:
    """How long a provisional password signs in (LENDGRAPH_TEMPORARY_PASSWORD_HOURS)."""
    return timedelta(hours=_int_env("LENDGRAPH_TEMPORARY_PASSWORD_HOURS", 24, floor=1))


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """What a new password must satisfy, and how long a temporary one lasts."""

    min_length: int = 12
    breached_file: Path | None = None
    temporary_ttl: timedelta = timedelta(hours=24)

    @classmethod
    def from_env(cls) -> "PasswordPolicy":
        """The policy from the LENDGRAPH_PASSWORD_* variables (see the module docstring)."""
        breached = os.environ.get("LENDGRAPH_PASSWORD_BREACHED_FILE", "").strip()
        if breached and not Path(breached).is_file():
            raise PasswordConfigError(
                f"LENDGRAPH_PASSWORD_BREACHED_FILE: {breached} is not a readable file"
            )
        return cls(
            min_length=_int_env("LENDGRAPH_PASSWORD_MIN_LENGTH", 12, floor=MIN_LENGTH_FLOOR),
            breached_file=Path(breached) if breached else None,
            temporary_ttl=temporary_lifetime(),
        )

    def rules(self) -> str:
        """The rules in one sentence, for prompts and help texts."""
        rules = (
            f"at least {self.min_length} characters, not containing the username, mixing at "
            "least two kinds of characters (lowercase, uppercase, digits, others)"
        )
        return rules + (", not in the breached-password list" if self.breached_file else "")


def _kinds(password: str) -> int:
    kinds = {
        "lower" if c.islower() else "upper" if c.isupper() else "digit" if c.isdigit() else "other"
        for c in password
    }
    return len(kinds)


def _problems(password: str, username: str, policy: PasswordPolicy) -> list[str]:
    found: list[str] = []
    if len(password) < policy.min_length:
        found.append(f"must be at least {policy.min_length} characters")
    if len(password) > MAX_LENGTH:
        found.append(f"must be at most {MAX_LENGTH} characters")
    name, lowered = username.strip().lower(), password.lower()
    if name and (lowered == name or (len(name) >= 3 and name in lowered)):
        found.append("must not contain the username")
    if password and _kinds(password) < 2:
        found.append(
            "must mix at least two kinds of characters (lowercase, uppercase, digits, others)"
        )
    return found


async def check(
    password: str, *, username: str, field: str = "password", policy: PasswordPolicy | None = None
) -> None:
    """Raise a ValidationError on `field` naming every rule the password breaks."""
    rules = policy or PasswordPolicy.from_env()
    problems = Problems()
    for message in _problems(password, username, rules):
        problems.add(field, message)
    breached = rules.breached_file
    if not problems.items and breached and await asyncio.to_thread(is_breached, password, breached):
        problems.add(field, "appears in a list of breached passwords: choose another")
    problems.raise_if_any()


BOM = b"\xef\xbb\xbf"  # files exported on Windows often start with one
SORT_SAMPLE = 2000  # digest lines read at startup to check that the file is sorted


def _is_digest_file(handle: BinaryIO) -> bool:
    first = handle.readline().removeprefix(BOM).rstrip(b"\r\n")
    handle.seek(0)
    return bool(_SHA1_LINE.match(first))


def is_breached(password: str, path: Path) -> bool:
    """Whether a password is in a breached-password file (plain lines or sorted SHA-1 digests)."""
    with path.open("rb") as handle:
        if _is_digest_file(handle):
            digest = hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()
            return _sorted_digest_contains(handle, path.stat().st_size, digest.encode())
        wanted = password.encode()
        return any(line.removeprefix(BOM).rstrip(b"\r\n") == wanted for line in handle)


def check_breached_file(path: Path) -> None:
    """Refuse a digest file that a binary search would read wrongly (not sorted by digest)."""
    with path.open("rb") as handle:
        if not _is_digest_file(handle):
            return
        keys = [_key(line) for _, line in zip(range(SORT_SAMPLE), handle, strict=False)]
        handle.seek(max(path.stat().st_size - 4096, 0))
        tail = [_key(line) for line in handle.readlines()[1:] if line.strip()]
    if keys != sorted(keys) or (tail and keys and tail[-1] < keys[-1]):
        raise PasswordConfigError(
            f"LENDGRAPH_PASSWORD_BREACHED_FILE {path} holds SHA-1 digests that are not sorted: "
            "sort it (`sort -o FILE FILE`), or every lookup would miss"
        )


def check_configuration() -> None:
    """Read the password and sign-in settings once, so a bad one stops a process at start."""
    policy = PasswordPolicy.from_env()
    if policy.breached_file is not None:
        check_breached_file(policy.breached_file)


def _key(line: bytes) -> bytes:
    return line.removeprefix(BOM).split(b":", 1)[0].strip().upper()


def _line_from(handle: BinaryIO, offset: int) -> bytes | None:
    """The first whole line starting at or after a byte offset (None at the end)."""
    if offset == 0:
        handle.seek(0)
    else:
        handle.seek(offset - 1)
        handle.readline()  # the rest of the line holding offset - 1 (just "\n" at a boundary)
    line = handle.readline()
    return line or None


def _sorted_digest_contains(handle: BinaryIO, size: int, digest: bytes) -> bool:
    """Binary search over byte offsets of a file sorted by digest; reads O(log size) lines."""
    low, high = 0, size
    while low < high:  # find the first offset whose next line's digest is >= the one wanted
        middle = (low + high) // 2
        line = _line_from(handle, middle)
        if line is not None and _key(line) < digest:
            low = middle + 1
        else:
            high = middle
    found = _line_from(handle, low)
    return found is not None and _key(found) == digest


def temporary_password(policy: PasswordPolicy | None = None) -> str:
    """A random password that satisfies the policy: groups of 4 letters and digits, dashed."""
    rules = policy or PasswordPolicy()
    groups = max(4, -(-(rules.min_length + 1) // 5))  # "xxxx-" per group, at least 19 characters
    while True:
        made = "-".join(
            "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(groups)
        )
        if any(c.isdigit() for c in made) and any(c.isalpha() for c in made):
            return made
