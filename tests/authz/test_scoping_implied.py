"""When a row reached through its parent needs no scope filter of its own."""

import pytest

from authz.actions import Scope
from authz.scoping import implied

OWN, TEAM, ASSIGNED, ALL = Scope.OWN, Scope.TEAM, Scope.ASSIGNED, Scope.ALL


@pytest.mark.parametrize(
    ("child", "parent", "child_scope", "parent_scope", "expected"),
    [
        ("payment", "loan", {OWN}, {OWN}, True),
        ("payment", "loan", {OWN}, {OWN, TEAM}, False),  # a team's loan, an own-only payment
        ("payment", "loan", {ALL}, {OWN}, True),
        ("interaction", "customer", {OWN, TEAM}, {OWN}, True),
        ("interaction", "customer", set(), {OWN}, False),  # no read of interactions at all
        ("loan", "customer", {OWN}, {OWN}, True),
        ("loan", "customer", {ASSIGNED}, {ASSIGNED}, False),  # seen through one loan only
        ("loan", "customer", {ASSIGNED, OWN}, {OWN}, True),
        ("loan", "customer", {OWN}, {OWN, ASSIGNED}, False),
        ("loan", "customer", {ALL}, {ALL}, True),
        ("customer", "loan", {ALL}, {ALL}, False),  # no rule: always filtered
    ],
)
def test_implied(child: str, parent: str, child_scope: set[Scope], parent_scope: set[Scope],
                 expected: bool) -> None:  # fmt: skip
    assert implied(child, parent, frozenset(child_scope), frozenset(parent_scope)) is expected
