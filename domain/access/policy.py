"""The stored access policy: Casbin-style rules and a version counter bumped on every change.

A process compares the version with the one it loaded and reloads when they differ, so a
change made in one process takes effect in all of them without a restart. An authenticated
request reads the version inside the statement that reads its caller (`version_sql`).
"""

from collections.abc import Sequence
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.access.models import PolicyRule, PolicyVersion

VERSION_ROW = 1
COLUMNS = ("v0", "v1", "v2", "v3", "v4", "v5")
Rule = tuple[str, tuple[str, ...]]  # (ptype, values)


def _columns(values: Sequence[str]) -> dict[str, Any]:
    if len(values) > len(COLUMNS):
        raise ValueError(f"a rule has at most {len(COLUMNS)} values, got {len(values)}")
    padded = [*values, *[""] * (len(COLUMNS) - len(values))]
    return dict(zip(COLUMNS, padded, strict=True))


async def current_version() -> int | None:
    """The policy version, or None when the policy was never initialised."""
    # every request asks this: a fixed statement, not a query built anew each time
    _, rows = await connections.get("default").execute_query(f'SELECT {version_sql()} AS "v"')
    found = rows[0]["v"] if rows else None
    return None if found is None else int(found)


def version_sql() -> str:
    """The policy version as a scalar subquery in SQL (NULL when never initialised), to read
    it in the same statement as something else."""
    table = PolicyVersion._meta.db_table
    return f'(SELECT "version" FROM "{table}" WHERE "id" = {int(VERSION_ROW)})'  # noqa: S608


async def load_rules() -> list[Rule]:
    """Every stored rule, in insertion order, trailing empty values dropped."""
    rows = await PolicyRule.all().order_by("id").values_list("ptype", *COLUMNS)
    rules: list[Rule] = []
    for ptype, *values in rows:
        while values and values[-1] == "":
            values.pop()
        rules.append((str(ptype), tuple(str(v) for v in values)))
    return rules


async def seed(rules: Sequence[Rule]) -> bool:
    """Store the initial rules unless the policy was initialised already. True if this call did it.

    Creating the version row is the claim: of two processes starting at once, one seeds and the
    other's transaction fails on the primary key and rolls back.
    """
    try:
        async with in_transaction():
            await PolicyVersion.create(id=VERSION_ROW, version=1)
            await PolicyRule.bulk_create(
                [
                    PolicyRule(ptype=ptype, **_columns(values))
                    for ptype, values in dict.fromkeys(rules)
                ]
            )
    except IntegrityError:
        return False
    return True


async def bump() -> int:
    """Increase the version (inside the caller's transaction, if any). Returns the new version."""
    updated = await PolicyVersion.filter(id=VERSION_ROW).update(version=F("version") + 1)
    if not updated:
        raise RuntimeError("the access policy is not initialised: load it once before changing it")
    version = await current_version()
    assert version is not None
    return version


async def add_rule(ptype: str, values: Sequence[str]) -> bool:
    """Store a rule and bump the version. False (and no bump) if it exists already."""
    columns = _columns(values)
    async with in_transaction():
        if await PolicyRule.filter(ptype=ptype, **columns).exists():
            return False
        await PolicyRule.create(ptype=ptype, **columns)
        await bump()
    return True


async def remove_rule(ptype: str, values: Sequence[str]) -> bool:
    """Delete a rule and bump the version. False (and no bump) if there was none."""
    async with in_transaction():
        deleted = await PolicyRule.filter(ptype=ptype, **_columns(values)).delete()
        if deleted:
            await bump()
    return bool(deleted)


async def replace_rules(rules: Sequence[Rule]) -> None:
    """Replace every stored rule with these and bump the version."""
    async with in_transaction():
        await PolicyRule.all().delete()
        await PolicyRule.bulk_create(
            [PolicyRule(ptype=ptype, **_columns(values)) for ptype, values in dict.fromkeys(rules)]
        )
        await bump()


async def remove_matching(ptype: str, field_index: int, values: Sequence[str]) -> int:
    """Delete the rules of this ptype whose values from field_index on match (empty = any)."""
    conditions = {
        COLUMNS[field_index + offset]: value for offset, value in enumerate(values) if value != ""
    }
    async with in_transaction():
        deleted = await PolicyRule.filter(ptype=ptype, **conditions).delete()
        if deleted:
            await bump()
    return int(deleted)
