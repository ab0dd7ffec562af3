"""Grants a release adds to policy.csv reach databases seeded before it, once, and only those."""

import importlib

from tortoise import connections

from authz.enforcer import read_policy_csv
from domain.access import policy
from domain.access.models import PolicyRule

MIGRATION = importlib.import_module("domain.migrations.0019_shipped_grants")


async def _run_migration_sql() -> None:
    conn = connections.get("default")
    for operation in MIGRATION.Migration.operations:
        for statement in operation.sql:
            await conn.execute_script(statement)


def _rule(role: str, obj: str, act: str, scope: str) -> dict[str, str]:
    return {"ptype": "p", "v0": role, "v1": obj, "v2": act, "v3": scope}


async def test_an_older_policy_gets_the_new_grants_but_not_what_an_admin_removed(db: str) -> None:
    # given: a policy seeded by the release before (without this release's grants), from which
    # an administrator then removed the admin's customer creation
    await policy.seed(read_policy_csv())
    for grant in MIGRATION.GRANTS:
        await PolicyRule.filter(**_rule(*grant)).delete()
    await PolicyRule.filter(**_rule("admin", "customer", "create", "all")).delete()
    version = await policy.current_version()
    # when: migrated twice (a second run adds nothing)
    await _run_migration_sql()
    await _run_migration_sql()
    # then
    for grant in MIGRATION.GRANTS:
        assert await PolicyRule.filter(**_rule(*grant)).count() == 1, grant
    assert not await PolicyRule.exists(**_rule("admin", "customer", "create", "all"))
    assert (await policy.current_version() or 0) > (version or 0)


async def test_every_grant_it_adds_is_in_the_shipped_policy(db: str) -> None:
    shipped = {tuple(values[:4]) for ptype, values in read_policy_csv() if ptype == "p"}
    assert set(MIGRATION.GRANTS) <= shipped


async def test_a_database_whose_policy_was_never_seeded_is_left_to_the_file(db: str) -> None:
    await _run_migration_sql()
    assert await PolicyRule.all().count() == 0
    assert await policy.current_version() is None
