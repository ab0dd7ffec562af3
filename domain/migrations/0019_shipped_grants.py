"""Grants this release adds to authz/policy.csv, given to databases whose policy was seeded
before it (a fresh database gets them from the file itself). Rules an administrator changed
are not touched; a rule already present is not added twice."""

from tortoise import migrations
from tortoise.migrations import operations as ops

GRANTS = (
    ("admin", "user", "disable", "all"),
    ("admin", "user", "reset_password", "all"),
    ("admin", "product", "update", "all"),
    ("admin", "task", "unclaim", "all"),
    ("risk_officer", "task", "unclaim", "assigned"),
    ("account_manager", "task", "unclaim", "assigned"),
    ("collector", "task", "unclaim", "assigned"),
    ("customer_service", "task", "unclaim", "assigned"),
)


def _insert(role: str, obj: str, act: str, scope: str) -> str:
    values = f"'p', '{role}', '{obj}', '{act}', '{scope}', '', ''"
    return (
        "INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) "
        f"SELECT {values} WHERE EXISTS (SELECT 1 FROM policy_version) AND NOT EXISTS ("
        "SELECT 1 FROM casbin_rule WHERE ptype = 'p' "
        f"AND v0 = '{role}' AND v1 = '{obj}' AND v2 = '{act}' AND v3 = '{scope}')"
    )


class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0018_staff_accounts')]

    initial = False

    operations = [
        ops.RunSQL([
            *(_insert(*grant) for grant in GRANTS),
            # every running process reloads the policy at its next request
            "UPDATE policy_version SET version = version + 1",
        ]),
    ]
