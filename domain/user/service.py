"""Staff accounts: create, change and look up the people who sign in to lendgraph."""

import asyncio
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.access import accounts, audit, passwords
from domain.access.audit import Actor
from domain.access.passwords import PasswordPolicy
from domain.errors import ConflictError, NotFoundError, Problems, ValidationError
from domain.user.models import User

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TEXT_LIMITS = {"full_name": 128, "email": 254, "branch": 64, "team": 64}
EDITABLE = ("full_name", "email", "branch", "team", "manager_id")
AUDITED = ("username", "full_name", "email", "branch", "team", "roles", "manager_id")
MAX_MANAGER_CHAIN = 64


def described(user: User) -> dict[str, Any]:
    """The audited view of an account: never its password or hash."""
    return {name: getattr(user, name) for name in AUDITED} | {
        "is_active": user.is_active,
        "must_change_password": user.must_change_password,
    }


async def get_or_raise(user_id: int) -> User:
    """The user with this id, or NotFoundError."""
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFoundError("User", user_id)
    return user


def _clean_text(values: Mapping[str, Any], problems: Problems) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, limit in _TEXT_LIMITS.items():
        if name not in values:
            continue
        text = (values[name] or "").strip()
        if len(text) > limit:
            problems.add(name, f"must be at most {limit} characters")
        if name == "email" and text and not _EMAIL.fullmatch(text):
            problems.add(name, "is not an email address")
        cleaned[name] = text if text or name == "full_name" else None
    return cleaned


async def _check_manager(user_id: int | None, manager_id: int | None, problems: Problems) -> None:
    if manager_id is None:
        return
    if manager_id == user_id:
        problems.add("manager_id", "a user cannot be their own manager")
        return
    if not await User.exists(id=manager_id):
        problems.add("manager_id", f"no user {manager_id}")
        return
    # walk up from the new manager: meeting the user would make a cycle
    seen, current = 0, manager_id
    while user_id is not None and seen < MAX_MANAGER_CHAIN:
        found: list[Any] = await User.filter(id=current).values_list("manager_id", flat=True)
        if not found or found[0] is None:
            return
        current, seen = int(found[0]), seen + 1
        if current == user_id:
            problems.add("manager_id", "would make a cycle of managers")
            return


def _check_roles(roles: Collection[str], known_roles: Collection[str], problems: Problems) -> None:
    if not roles:
        problems.add("roles", "at least one role is needed")
    unknown = [role for role in roles if role not in known_roles]
    if unknown:
        names, known = ", ".join(repr(r) for r in unknown), ", ".join(sorted(known_roles))
        problems.add("roles", f"unknown role {names}; known roles: {known}")


async def create(
    *,
    username: str,
    roles: Collection[str],
    known_roles: Collection[str],
    now: datetime,
    password: str | None = None,
    must_change_password: bool = True,
    details: Mapping[str, Any] | None = None,
    actor: Actor | None = None,
    policy: PasswordPolicy | None = None,
) -> tuple[User, str | None]:
    """Create an account; without a password a temporary one is made and returned (only here).

    `details` may hold full_name, email, branch, team and manager_id. A temporary password is
    always provisional; a given one is provisional unless `must_change_password` is False.
    """
    rules = policy or PasswordPolicy.from_env()
    problems = Problems()
    username = username.strip()
    if not USERNAME.match(username):
        problems.add("username", "must be 2-64 letters, digits or . _ @ -, a letter or digit first")
    wanted = list(dict.fromkeys(r.strip() for r in roles))
    _check_roles(wanted, known_roles, problems)
    values = _clean_text(details or {}, problems)
    manager_id = (details or {}).get("manager_id")
    await _check_manager(None, manager_id, problems)
    if password is not None:
        try:
            await passwords.check(password, username=username, policy=rules)
        except ValidationError as exc:
            problems.items.extend(exc.problems)
    problems.raise_if_any()
    if await User.exists(username__iexact=username):
        raise ConflictError(f"the username {username!r} is taken")
    temporary = None if password is not None else passwords.temporary_password(rules)
    hashed = await asyncio.to_thread(accounts.hash_password, password or temporary or "")
    provisional = must_change_password or temporary is not None
    try:
        async with in_transaction():
            user = await User.create(
                username=username, roles=wanted, password_hash=hashed, manager_id=manager_id,
                must_change_password=provisional, password_changed_at=now, **values,
            )  # fmt: skip
            if actor is not None:
                await audit.record(actor, action="user.create", object_type="user",
                                   object_id=user.id, after=described(user))  # fmt: skip
    except IntegrityError as exc:  # the same username, created concurrently
        raise ConflictError(f"the username {username!r} is taken") from exc
    return user, temporary


async def update(user_id: int, changes: Mapping[str, Any], *, actor: Actor | None = None) -> User:
    """Change an account's name, email, branch, team or manager; only the given keys change."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable here: {', '.join(sorted(unknown))}")
    problems = Problems()
    values = _clean_text(changes, problems)
    if "manager_id" in changes:
        await _check_manager(user_id, changes["manager_id"], problems)
        values["manager_id"] = changes["manager_id"]
    problems.raise_if_any()
    async with in_transaction():
        user = await User.filter(id=user_id).select_for_update().first()
        if user is None:
            raise NotFoundError("User", user_id)
        before = {name: getattr(user, name) for name in values}
        changed = {name: value for name, value in values.items() if before[name] != value}
        if changed:
            await User.filter(id=user_id).update(**changed)
            if actor is not None:
                await audit.record(
                    actor, action="user.update", object_type="user", object_id=user_id,
                    before={name: before[name] for name in changed}, after=changed,
                )  # fmt: skip
    return await User.get(id=user_id)


@dataclass(frozen=True, slots=True)
class UserFilter:
    """Conditions on accounts; all given ones must hold."""

    role: str | None = None
    branch: str | None = None
    team: str | None = None
    active: bool | None = None
    search: str | None = None


async def filtered(flt: UserFilter | None) -> QuerySet[User]:
    """The accounts matching a filter (a role is matched on the few staff rows, then by id)."""
    query = User.all()
    if flt is None:
        return query
    if flt.role is not None:
        rows: list[Any] = await User.all().values_list("id", "roles")
        query = query.filter(id__in=[pk for pk, roles in rows if flt.role in (roles or [])])
    if flt.branch is not None:
        query = query.filter(branch=flt.branch)
    if flt.team is not None:
        query = query.filter(team=flt.team)
    if flt.active is not None:
        query = query.filter(is_active=flt.active)
    if flt.search:
        text = flt.search.strip()
        query = query.filter(
            Q(username__icontains=text) | Q(full_name__icontains=text) | Q(email__icontains=text)
        )
    return query
