"""Casbin decides who may do what. The policy lives in the database, seeded from policy.csv.

Role assignments are `app_user.roles` (the single source of truth, read with the subject on
every request). The policy table holds grants (`p, role, object, action, scope`) and role
inheritance (`g, role, parent_role`). Bring it up to date once per request: `ensure_current()`
(one tiny query), or `ensure_version()` with the version read alongside the caller; either
reloads when another process changed the policy.
"""

import asyncio
import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import casbin
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from authz import scoping
from authz.actions import (
    READ,
    READ_SENSITIVE,
    ROLES,
    SCOPE_RANK,
    SCOPES,
    SENSITIVE,
    Scope,
    check_role,
)
from authz.actions import check_rule as check_rule_fields
from authz.adapter import TortoiseAdapter
from authz.masking import looks_sensitive
from authz.subject import Subject
from domain.access import audit, policy
from domain.access.audit import Actor
from domain.errors import ConflictError, ForbiddenError, NotFoundError
from domain.user.models import User

log = logging.getLogger("lendgraph.authz")
MODEL_FILE = Path(__file__).with_name("model.conf")
POLICY_FILE = Path(__file__).with_name("policy.csv")
Grants = dict[tuple[str, str], frozenset[Scope]]


def read_policy_csv(path: Path = POLICY_FILE) -> list[policy.Rule]:
    """The rules of a policy CSV (`p, role, object, action, scope` and `g, role, parent`)."""
    rules: list[policy.Rule] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, skipinitialspace=True):
            cells = [cell.strip() for cell in row]
            if not cells or not cells[0] or cells[0].startswith("#"):
                continue
            rules.append((cells[0], tuple(cells[1:])))
    return rules


@dataclass
class _State:
    version: int
    enforcer: casbin.AsyncEnforcer
    grants: dict[str, Grants]
    roles: frozenset[str]
    decisions: dict[tuple[tuple[str, ...], str, str], tuple[bool, frozenset[Scope]]] = field(
        default_factory=dict
    )


class Authorizer:
    """Decisions, row scopes and policy changes for one process."""

    def __init__(self, *, model_file: Path = MODEL_FILE, policy_file: Path = POLICY_FILE) -> None:
        self._model_file = model_file
        self._policy_file = policy_file
        self._state: _State | None = None
        self._lock = asyncio.Lock()

    @property
    def _current(self) -> _State:
        if self._state is None:
            raise RuntimeError("the access policy is not loaded: await ensure_current() first")
        return self._state

    @property
    def version(self) -> int | None:
        """The policy version this process has loaded (None before the first load)."""
        return None if self._state is None else self._state.version

    @property
    def known_roles(self) -> frozenset[str]:
        """Built-in roles and every role the policy mentions."""
        return self._current.roles

    async def ensure_current(self) -> None:
        """Load the policy if it changed since the last load (seeding it on a fresh database)."""
        await self.ensure_version(await policy.current_version())

    async def ensure_version(self, version: int | None) -> None:
        """Load the policy if the stored version, read by the caller, is not the loaded one
        (None: never stored, so seed it now)."""
        if version is None:
            await policy.seed(read_policy_csv(self._policy_file))
            version = await policy.current_version()
        if self._state is None or self._state.version != version:
            async with self._lock:
                if self._state is None or self._state.version != version:
                    await self._reload()

    async def _reload(self) -> None:
        version = await policy.current_version()  # before the rules: a race only reloads twice
        assert version is not None
        enforcer = casbin.AsyncEnforcer(str(self._model_file), TortoiseAdapter())
        await enforcer.load_policy()
        named = [rule[0] for rule in enforcer.get_policy()]
        named += [name for rule in enforcer.get_grouping_policy() for name in rule[:2]]
        roles = frozenset(ROLES) | frozenset(named)
        grants: dict[str, Grants] = {}
        for role in roles:
            collected: dict[tuple[str, str], set[Scope]] = {}
            for rule in await enforcer.get_implicit_permissions_for_user(role):
                if len(rule) != 4 or rule[3] not in SCOPES:  # written around the validation
                    log.error("ignoring malformed policy rule %r", rule)
                    continue
                collected.setdefault((rule[1], rule[2]), set()).add(Scope(rule[3]))
            grants[role] = {key: frozenset(value) for key, value in collected.items()}
        self._state = _State(version, enforcer, grants, roles)

    def _decide(self, subject: Subject, obj: str, act: str) -> tuple[bool, frozenset[Scope]]:
        state = self._current
        key = (subject.roles, obj, act)
        found = state.decisions.get(key)
        if found is None:
            allowed = any(state.enforcer.enforce(role, obj, act) for role in subject.roles)
            scopes: set[Scope] = set()
            for role in subject.roles:
                scopes |= state.grants.get(role, {}).get((obj, act), frozenset())
            # a grant counts only with a valid scope: Casbin and the scopes never disagree
            found = state.decisions[key] = (allowed and bool(scopes), frozenset(scopes))
        return found

    def can(self, subject: Subject, obj: str, act: str) -> bool:
        """Whether any of the subject's roles may do this action on some rows of this object."""
        return self._decide(subject, obj, act)[0]

    def scopes(self, subject: Subject, obj: str, act: str = READ) -> frozenset[Scope]:
        """Every scope the subject's roles are granted for an action (empty: not allowed)."""
        allowed, scopes = self._decide(subject, obj, act)
        return scopes if allowed else frozenset()

    def read_scope(self, subject: Subject, obj: str) -> Scope | None:
        """The widest read scope of the subject's roles (None: no read). See `row_filter`."""
        scopes = self.scopes(subject, obj, READ)
        return max(scopes, key=SCOPE_RANK.__getitem__) if scopes else None

    def row_filter(self, subject: Subject, obj: str, act: str = READ) -> Q | None:
        """The rows of obj the subject may act on, as a Q filter (None: not allowed at all).

        It combines every granted scope (a collector who is also an account manager sees both
        sets), so prefer it to `read_scope` when building queries.
        """
        scopes = self.scopes(subject, obj, act)
        return scoping.filter_for(obj, subject, scopes) if scopes else None

    def require(self, subject: Subject, obj: str, act: str) -> frozenset[Scope]:
        """The granted scopes, or a ForbiddenError naming the object and action."""
        scopes = self.scopes(subject, obj, act)
        if not scopes:
            raise ForbiddenError(f"not allowed to {act} {obj}")
        return scopes

    def may_read_sensitive(self, subject: Subject) -> bool:
        """Whether the subject sees ID numbers, phones and bank accounts unmasked."""
        return self.can(subject, SENSITIVE, READ_SENSITIVE)

    def sensitive_search_allowed(self, subject: Subject, text: str) -> bool:
        """False when a subject without read_sensitive searches by an ID or phone number."""
        return self.may_read_sensitive(subject) or not looks_sensitive(text)

    def permissions(self, role: str) -> list[tuple[str, str, Scope]]:
        """The (object, action, scope) grants of a role, inherited ones included."""
        grants = self._current.grants.get(role, {})
        return sorted((obj, act, s) for (obj, act), scopes in grants.items() for s in scopes)

    def parents(self, role: str) -> list[str]:
        """The roles a role inherits from (directly)."""
        return sorted(r[1] for r in self._current.enforcer.get_grouping_policy() if r[0] == role)

    async def add_policy(
        self,
        role: str,
        obj: str,
        act: str,
        scope: str,
        *,
        actor: Actor | None = None,
        new_role: bool = False,
    ) -> bool:
        """Grant a role an action with a scope (new_role allows a role not yet known)."""
        await self.ensure_current()
        check_rule_fields(role, obj, act, scope, known_roles=self.known_roles, new_role=new_role)
        rule = {"role": role, "object": obj, "action": act, "scope": scope}
        async with in_transaction():
            changed = await policy.add_rule("p", (role, obj, act, scope))
            if changed and actor is not None:
                await audit.record(actor, action="policy.add", object_type="policy", after=rule)
        await self.ensure_current()
        return changed

    async def remove_policy(
        self, role: str, obj: str, act: str, scope: str, *, actor: Actor | None = None
    ) -> bool:
        """Withdraw one grant. False if the role did not have it (directly)."""
        await self.ensure_current()
        check_rule_fields(role, obj, act, scope, known_roles=self.known_roles, new_role=False)
        rule = {"role": role, "object": obj, "action": act, "scope": scope}
        async with in_transaction():
            changed = await policy.remove_rule("p", (role, obj, act, scope))
            if changed and actor is not None:
                await audit.record(actor, action="policy.remove", object_type="policy", before=rule)
        await self.ensure_current()
        return changed

    async def assign_role(self, username: str, role: str, *, actor: Actor | None = None) -> bool:
        """Give a user a role (effective at the user's next request). False if already held."""
        return await self._change_roles(username, role, add=True, actor=actor)

    async def revoke_role(self, username: str, role: str, *, actor: Actor | None = None) -> bool:
        """Take a role from a user. The last active administrator keeps theirs."""
        return await self._change_roles(username, role, add=False, actor=actor)

    async def _change_roles(
        self, username: str, role: str, *, add: bool, actor: Actor | None
    ) -> bool:
        await self.ensure_current()
        if add:  # a role no longer known can still be taken away
            check_role(role, known_roles=self.known_roles)
        async with in_transaction():
            user = await User.filter(username=username).select_for_update().first()
            if user is None:
                raise NotFoundError("User", username)
            before = list(user.roles)
            if (role in before) == add:
                return False
            if not add and role == "admin" and user.is_active:
                await _keep_an_admin(user.id)
            user.roles = [*before, role] if add else [r for r in before if r != role]
            await user.save(update_fields=["roles"])
            if actor is not None:
                await audit.record(
                    actor,
                    action="role.assign" if add else "role.revoke",
                    object_type="user",
                    object_id=user.id,
                    before={"roles": before},
                    after={"roles": user.roles},
                )
        return True


async def _keep_an_admin(leaving: int) -> None:
    others: list[Any] = (
        await User.filter(is_active=True).exclude(id=leaving).values_list("roles", flat=True)
    )
    if not any("admin" in (roles or []) for roles in others):
        raise ConflictError("the last active administrator cannot lose the admin role")
