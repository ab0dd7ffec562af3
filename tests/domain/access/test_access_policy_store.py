"""The stored policy: seeding once, changes bump the version, filtered removal keeps the ptype."""

import pytest

from domain.access import policy
from domain.access.models import PolicyRule

RULES = [
    ("p", ("analyst", "report", "read", "all")),
    ("p", ("team_lead", "customer", "read", "team")),
    ("g", ("team_lead", "account_manager")),
    ("p", ("analyst", "report", "read", "all")),  # a duplicate line is stored once
]


async def test_seed_once_then_change_and_bump(db: str) -> None:
    assert await policy.current_version() is None
    with pytest.raises(RuntimeError, match="not initialised"):
        await policy.bump()
    assert await policy.seed(RULES)
    assert not await policy.seed([("p", ("x", "y", "z", "all"))])  # another process was first
    assert await policy.load_rules() == RULES[:3]
    assert await policy.current_version() == 1
    assert await policy.add_rule("p", ("auditor", "audit", "read", "all"))
    assert not await policy.add_rule("p", ("auditor", "audit", "read", "all"))
    assert await policy.remove_rule("p", ("analyst", "report", "read", "all"))
    assert not await policy.remove_rule("p", ("analyst", "report", "read", "all"))
    assert await policy.current_version() == 3


async def test_remove_matching_respects_ptype_and_empty_fields(db: str) -> None:
    await policy.seed(RULES)
    assert await policy.remove_matching("p", 0, ("team_lead",)) == 1
    assert await PolicyRule.filter(ptype="g").count() == 1
    assert await policy.remove_matching("g", 1, ("account_manager",)) == 1
    assert await policy.remove_matching("p", 1, ("", "read")) == 1
    assert await PolicyRule.all().count() == 0
    assert await policy.remove_matching("p", 0, ("nobody",)) == 0
    assert await policy.current_version() == 4


async def test_replace_rules(db: str) -> None:
    await policy.seed(RULES)
    await policy.replace_rules([("p", ("admin", "audit", "read", "all"))])
    assert await policy.load_rules() == [("p", ("admin", "audit", "read", "all"))]
    assert await policy.current_version() == 2
