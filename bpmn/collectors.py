"""Who works a case past due: the choice of collector, shared by the live assignment (one loan
at a time or in bulk) and the replay of a collection strategy (simulation)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol, TypeVar

from tortoise.functions import Count

from domain.loan.models import Loan, LoanStatus
from domain.user.models import User


class Weighed(Protocol):
    """What the choice weighs of a collector."""

    @property
    def id(self) -> int: ...

    @property
    def branch(self) -> str | None: ...


C = TypeVar("C", bound=Weighed)


def least_loaded(collectors: Sequence[C], branch: str | None, loads: Mapping[int, int]) -> C | None:
    """The collector a new case goes to: one of the customer's branch first, then the one with
    the fewest loans past due, then the lowest id; None when there is nobody."""
    if not collectors:
        return None
    return min(collectors, key=lambda u: (u.branch != branch, loads.get(u.id, 0), u.id))


def of_team(collectors: list[User], team: str) -> list[User]:
    """The collectors of `team` when it is named and has any, else all of them."""
    return ([u for u in collectors if u.team == team] or collectors) if team else collectors


async def active_collectors() -> list[User]:
    """The active staff who hold the collector role, by id."""
    staff = await User.filter(is_active=True).order_by("id")
    return [u for u in staff if "collector" in (u.roles or [])]


async def loads_of(collector_ids: Collection[int]) -> dict[int, int]:
    """How many active loans past due each collector holds (those with none are left out)."""
    if not collector_ids:
        return {}
    rows = await (
        Loan.filter(status=LoanStatus.ACTIVE, days_past_due__gt=0, collector_id__in=collector_ids)
        .annotate(n=Count("id"))
        .group_by("collector_id")
        .values_list("collector_id", "n")
    )
    return {int(collector): int(n) for collector, n in rows}
