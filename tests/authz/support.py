"""Shared fixtures and builders of the access-control tests."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher
from tortoise import connections

from authz.subject import Subject
from domain.access import accounts
from domain.db import is_postgres
from domain.user.models import User

NOW = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)  # the wall clock of these tests
PASSWORD = "correct horse battery"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """argon2 at a test-friendly cost (the production cost is ~0.15 s a hash)."""
    monkeypatch.setattr(accounts, "HASHER", CHEAP)
    yield


@pytest.fixture
async def access_db(db: str) -> AsyncIterator[str]:
    """The `db` fixture, plus emptying the append-only audit table afterwards.

    SQLite's triggers refuse the `DELETE` that empties tables between tests, so they are
    dropped, the rows deleted and the triggers re-created from their own stored SQL.
    PostgreSQL's TRUNCATE fires no row triggers and needs nothing.
    """
    yield db
    if is_postgres(db):
        return
    conn = connections.get("default")
    _, rows = await conn.execute_query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_entry'"
    )
    triggers = [(row["name"], row["sql"]) for row in rows]
    for name, _sql in triggers:
        await conn.execute_query(f'DROP TRIGGER "{name}"')
    await conn.execute_query("DELETE FROM audit_entry")
    for _name, sql in triggers:
        await conn.execute_query(sql)


async def staff(
    username: str,
    roles: list[str],
    *,
    branch: str | None = None,
    team: str | None = None,
    password: str | None = None,
    active: bool = True,
) -> User:
    """A staff user, with a password hash when a password is given."""
    return await User.create(
        username=username,
        roles=roles,
        branch=branch,
        team=team,
        password_hash=accounts.hash_password(password) if password else None,
        is_active=active,
    )


def subject(user: User, via: str = "jwt") -> Subject:
    """The subject of a user with all of their roles."""
    return Subject(user.id, user.username, tuple(user.roles), user.branch, user.team, via)  # type: ignore[arg-type]


@dataclass
class Sleeps:
    """A sleep that only records how long it was asked to wait."""

    calls: list[float]

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
