"""The access vocabulary: roles, objects with their actions, and row scopes."""

import re
from collections.abc import Collection
from enum import StrEnum

from domain.errors import Problems


class Scope(StrEnum):
    """Which rows of an object a grant covers."""

    OWN = "own"  # customers the subject manages, and what hangs off them
    TEAM = "team"  # customers whose account manager is in the subject's team
    BRANCH = "branch"  # customers of the subject's branch
    ASSIGNED = "assigned"  # past-due active loans assigned to the subject (a collector)
    ALL = "all"


SCOPES = frozenset(s.value for s in Scope)

# for picking "the widest" of several scopes: OWN, TEAM and BRANCH nest for an account manager
# inside a team inside a branch, ASSIGNED is narrower than all of them in practice
SCOPE_RANK = {Scope.ASSIGNED: 0, Scope.OWN: 1, Scope.TEAM: 2, Scope.BRANCH: 3, Scope.ALL: 4}

ROLES = (
    "admin",
    "risk_officer",
    "senior_risk_officer",
    "account_manager",
    "team_lead",
    "collector",
    "customer_service",
    "auditor",
    "analyst",
)

READ = "read"
READ_SENSITIVE = "read_sensitive"
SENSITIVE = "sensitive"

ACTIONS: dict[str, tuple[str, ...]] = {
    "customer": (READ, "create", "update", "update_contact", "assign_manager"),
    "loan": (READ, "create", "update", "assign_collector"),
    "application": (READ, "submit", "decide", "withdraw"),
    "interaction": (READ, "create"),
    "payment": (READ, "create"),
    "credit_report": (READ, "create"),
    "user": (READ, "create", "update", "disable", "reset_password"),
    "role": (READ, "assign"),
    "policy": (READ, "update"),
    "audit": (READ,),
    "business_date": (READ, "update"),
    "daily_jobs": ("run",),
    "segment": ("define",),
    "template": (READ, "update"),
    "tag_rule": (READ, "define"),
    "campaign": (READ, "launch"),
    "import": (READ, "run"),
    "custom_field": (READ, "create", "update"),
    "product": (READ, "update"),
    SENSITIVE: (READ_SENSITIVE,),
    "process": (READ, "deploy", "start", "correlate", "retry", "migrate"),
    "task": (READ, "claim", "complete", "unclaim"),
    "message": (READ, "send"),
    "report": (READ,),
}
OBJECTS = tuple(ACTIONS)

# objects whose rows belong to customers: any scope applies. Every other object takes "all".
_CUSTOMER_DATA = ("customer", "loan", "application", "interaction", "payment", "credit_report")
ROW_OBJECTS = frozenset((*_CUSTOMER_DATA, "task", "message", "campaign", "report"))

ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{1,47}$")


def check_rule(
    role: str, obj: str, act: str, scope: str, *, known_roles: Collection[str], new_role: bool
) -> None:
    """Raise a ValidationError naming each field of a policy rule that is not valid."""
    problems = Problems()
    if not ROLE_NAME.match(role):
        problems.add("role", "must be 2-48 lowercase letters, digits or underscores")
    elif role not in known_roles and not new_role:
        problems.add("role", f"unknown role {role!r}")
    if obj not in ACTIONS:
        problems.add("object", f"unknown object {obj!r}; one of {', '.join(OBJECTS)}")
    elif act not in ACTIONS[obj]:
        problems.add("action", f"{obj} has no action {act!r}; one of {', '.join(ACTIONS[obj])}")
    if scope not in SCOPES:
        problems.add("scope", f"unknown scope {scope!r}; one of {', '.join(Scope)}")
    elif obj in ACTIONS and obj not in ROW_OBJECTS and scope != Scope.ALL:
        problems.add("scope", f"{obj} is not scoped by rows: use 'all'")
    problems.raise_if_any()


def check_role(role: str, *, known_roles: Collection[str], field: str = "role") -> None:
    """Raise a ValidationError if a role is not known."""
    if role not in known_roles:
        problems = Problems()
        problems.add(field, f"unknown role {role!r}")
        problems.raise_if_any()
