"""The Authorizer: policy seeded from CSV, decisions, scopes, changes seen by every process."""

import pytest

from authz.actions import ACTIONS, ROLES, Scope, check_rule
from authz.adapter import TortoiseAdapter
from authz.enforcer import Authorizer, read_policy_csv
from domain.access import audit, policy
from domain.access.models import AuditEntry, PolicyRule
from domain.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from domain.user.models import User
from tests.authz.support import staff, subject


async def _loaded() -> Authorizer:
    authorizer = Authorizer()
    await authorizer.ensure_current()
    return authorizer


async def test_policy_is_seeded_from_the_csv_once(db: str) -> None:
    authorizer = await _loaded()
    stored = await policy.load_rules()
    assert stored == list(dict.fromkeys(read_policy_csv()))
    assert authorizer.version == 1
    assert set(ROLES) <= authorizer.known_roles
    await Authorizer().ensure_current()  # a second process finds it initialised
    assert await PolicyRule.all().count() == len(stored) and await policy.current_version() == 1


def test_every_csv_rule_is_valid() -> None:
    for ptype, values in read_policy_csv():
        if ptype == "p":
            check_rule(*values, known_roles=ROLES, new_role=False)
        else:
            assert ptype == "g" and set(values) <= set(ROLES)


async def test_decisions_per_role(db: str) -> None:
    authorizer = await _loaded()
    users = {role: await staff(role, [role]) for role in ROLES}
    s = {role: subject(user) for role, user in users.items()}
    assert authorizer.read_scope(s["account_manager"], "customer") is Scope.OWN
    assert authorizer.read_scope(s["team_lead"], "customer") is Scope.TEAM
    assert authorizer.scopes(s["team_lead"], "customer") == {Scope.OWN, Scope.TEAM}  # inherited
    assert authorizer.read_scope(s["collector"], "loan") is Scope.ASSIGNED
    assert authorizer.read_scope(s["customer_service"], "customer") is Scope.ALL
    assert authorizer.read_scope(s["analyst"], "customer") is None
    assert authorizer.row_filter(s["analyst"], "customer") is None
    assert authorizer.can(s["senior_risk_officer"], "application", "decide")  # inherited
    assert not authorizer.can(s["account_manager"], "application", "decide")
    assert authorizer.can(s["account_manager"], "application", "submit")
    assert authorizer.scopes(s["collector"], "payment", "create") == {Scope.ASSIGNED}
    assert authorizer.can(s["customer_service"], "customer", "update_contact")
    assert not authorizer.can(s["customer_service"], "customer", "update")
    writes = [(o, a) for o, acts in ACTIONS.items() for a in acts if a != "read"]
    assert not [w for w in writes if authorizer.can(s["auditor"], *w)]  # auditor changes nothing
    assert authorizer.can(s["admin"], "policy", "update") and authorizer.can(
        s["admin"], "audit", "read"
    )
    assert not authorizer.can(s["admin"], "application", "decide")
    sensitive = {role for role in ROLES if authorizer.may_read_sensitive(s[role])}
    assert sensitive == {"admin", "risk_officer", "senior_risk_officer"}
    with pytest.raises(ForbiddenError, match="not allowed to decide application"):
        authorizer.require(s["collector"], "application", "decide")
    assert not authorizer.can(subject(await staff("nobody", ["no_such_role"])), "customer", "read")


async def test_search_guard(db: str) -> None:
    authorizer = await _loaded()
    am = subject(await staff("am1", ["account_manager"]))
    risk = subject(await staff("risk1", ["risk_officer"]))
    assert authorizer.sensitive_search_allowed(am, "王芳")
    assert authorizer.sensitive_search_allowed(am, "5678")
    assert not authorizer.sensitive_search_allowed(am, "138 0013 8000")
    assert authorizer.sensitive_search_allowed(risk, "110101199003077774")


async def test_changes_reach_another_process_after_ensure_current(access_db: str) -> None:
    first, second = await _loaded(), await _loaded()
    bob = await staff("bob", ["analyst"])
    # a grant added in one process is seen by the other at its next ensure_current
    assert await first.add_policy("analyst", "customer", "read", "branch")
    assert second.read_scope(subject(bob), "customer") is None  # not reloaded yet
    await second.ensure_current()
    assert second.read_scope(subject(bob), "customer") is Scope.BRANCH
    assert second.version == first.version == 2
    # a role assigned in one process: the subject is re-read per request, the other process decides
    assert await first.assign_role("bob", "collector")
    await second.ensure_current()
    bob_now = subject(await User.get(username="bob"))
    assert bob_now.roles == ("analyst", "collector")
    assert second.can(bob_now, "payment", "create")
    assert not await first.assign_role("bob", "collector")  # already held
    assert await second.revoke_role("bob", "collector")
    assert not second.can(subject(await User.get(username="bob")), "payment", "create")
    assert await first.remove_policy("analyst", "customer", "read", "branch")
    await second.ensure_current()
    assert second.read_scope(subject(bob), "customer") is None


async def test_changes_are_validated(db: str) -> None:
    authorizer = await _loaded()
    await staff("bob", ["analyst"])
    with pytest.raises(ValidationError) as caught:
        await authorizer.add_policy("risk_oficer", "loans", "read", "mine")
    assert {p.field for p in caught.value.problems} == {"role", "object", "scope"}
    with pytest.raises(ValidationError) as caught:
        await authorizer.add_policy("analyst", "customer", "approve", "all")
    assert [p.field for p in caught.value.problems] == ["action"]
    with pytest.raises(ValidationError, match="not scoped by rows"):
        await authorizer.add_policy("analyst", "audit", "read", "own")
    with pytest.raises(ValidationError, match="unknown role"):
        await authorizer.assign_role("bob", "superuser")
    with pytest.raises(NotFoundError):
        await authorizer.assign_role("nobody", "analyst")
    await staff("legacy", ["superuser", "analyst"])
    assert await authorizer.revoke_role("legacy", "superuser")
    assert not await authorizer.revoke_role("legacy", "superuser")
    assert await authorizer.add_policy("fraud_analyst", "customer", "read", "all", new_role=True)
    assert "fraud_analyst" in authorizer.known_roles
    assert await authorizer.assign_role("bob", "fraud_analyst")
    assert not await authorizer.add_policy("fraud_analyst", "customer", "read", "all")
    assert not await authorizer.remove_policy("analyst", "customer", "read", "all")
    assert await policy.current_version() == 2  # only real changes bump the version


async def test_the_last_admin_keeps_the_role_and_changes_are_audited(access_db: str) -> None:
    authorizer = await _loaded()
    root = await staff("root", ["admin"])
    actor = subject(root).actor(ip="10.0.0.1", user_agent="pytest")
    with pytest.raises(ConflictError, match="last active administrator"):
        await authorizer.revoke_role("root", "admin", actor=actor)
    await staff("root2", ["admin"])
    assert await authorizer.revoke_role("root", "admin", actor=actor)
    await authorizer.add_policy("analyst", "customer", "read", "all", actor=actor)
    page = await audit.list_(audit.AuditFilter(username="root"))
    assert [(e.action, e.object_type) for e in page.rows] == [
        ("policy.add", "policy"),
        ("role.revoke", "user"),
    ]
    revoke = page.rows[1]
    assert (revoke.before, revoke.after, revoke.ip) == (
        {"roles": ["admin"]},
        {"roles": []},
        "10.0.0.1",
    )
    assert await AuditEntry.all().count() == 2


async def test_adapter_removes_filtered_rules_of_one_ptype_only(db: str) -> None:
    await _loaded()
    adapter = TortoiseAdapter()
    before = await PolicyRule.filter(ptype="g", v0="team_lead").count()
    assert before == 1
    assert await adapter.remove_filtered_policy("p", "p", 0, "team_lead")
    assert await PolicyRule.filter(ptype="p", v0="team_lead").count() == 0
    assert await PolicyRule.filter(ptype="g", v0="team_lead").count() == 1
    assert await policy.current_version() == 2


async def test_a_malformed_stored_rule_grants_nothing(db: str, caplog) -> None:
    await _loaded()
    await policy.add_rule("p", ("analyst", "customer", "read", "everything"))
    authorizer = await _loaded()
    analyst = subject(await staff("ana", ["analyst"]))
    assert not authorizer.can(analyst, "customer", "read")
    assert authorizer.row_filter(analyst, "customer") is None
    assert authorizer.can(analyst, "process", "deploy")
    assert "malformed policy rule" in caplog.text


async def test_no_decision_before_loading() -> None:
    with pytest.raises(RuntimeError, match="ensure_current"):
        Authorizer().can(subject(User(id=1, username="x", roles=["admin"])), "customer", "read")
