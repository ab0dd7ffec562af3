"""What a member of staff leaves behind when they go, and moving their customers on.

Disabling an account reassigns nothing by itself: these functions tell what is left (claimed
tasks, managed customers, collections) and move customers to another manager on request.
"""

from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.access import audit
from domain.access.audit import Actor
from domain.batching import chunks
from domain.customer.models import Customer
from domain.errors import ValidationError
from domain.loan.models import Loan, LoanStatus
from domain.process.models import WorkTask, WorkTaskStatus
from domain.user.models import User
from domain.user.service import get_or_raise

MANAGER_ROLES = ("account_manager", "team_lead")


@dataclass(frozen=True, slots=True)
class OpenWork:
    """A user's unfinished work: tasks they claimed, customers they manage, loans they collect."""

    claimed_tasks: list[WorkTask]
    managed_customers: int
    collected_loans: int


def claimed_tasks(user_id: int) -> QuerySet[WorkTask]:
    """The tasks a user claimed and has not completed, oldest first."""
    return WorkTask.filter(assignee_id=user_id, status=WorkTaskStatus.CLAIMED).order_by("id")


def managed_customers(user_id: int) -> QuerySet[Customer]:
    """The customers a user is the account manager of."""
    return Customer.filter(account_manager_id=user_id)


async def open_work(user_id: int) -> OpenWork:
    """What a user leaves unfinished (three statements)."""
    return OpenWork(
        claimed_tasks=await claimed_tasks(user_id),
        managed_customers=await managed_customers(user_id).count(),
        collected_loans=await Loan.filter(collector_id=user_id, status=LoanStatus.ACTIVE).count(),
    )


async def _target(to_user_id: int) -> User:
    target = await get_or_raise(to_user_id)
    if not target.is_active:
        raise ValidationError.single("to_user", f"{target.username} is disabled")
    if not any(role in target.roles for role in MANAGER_ROLES):
        raise ValidationError.single(
            "to_user", f"{target.username} is neither an account manager nor a team lead"
        )
    return target


async def reassign_customers(
    *,
    from_user_id: int,
    to_user_id: int,
    within: Q,
    customer_ids: list[int] | None = None,
    actor: Actor | None = None,
) -> list[int]:
    """Move customers from one manager to another; returns the ids moved, one audit entry each.

    `within` is the caller's scope: customers outside it are neither moved nor named. Without
    `customer_ids`, every customer of the first manager inside that scope moves.
    """
    source = await get_or_raise(from_user_id)
    if from_user_id == to_user_id:
        raise ValidationError.single("to_user", "is the current manager")
    target = await _target(to_user_id)
    async with in_transaction():
        query = managed_customers(source.id).filter(within)
        if customer_ids is not None:
            wanted = sorted(set(customer_ids))
            query = query.filter(id__in=wanted)
        found: list[Any] = await query.values_list("id", flat=True)
        ids = sorted(int(pk) for pk in found)
        if customer_ids is not None and len(ids) != len(wanted):
            missing = len(wanted) - len(ids)
            raise ValidationError.single(
                "customer_ids",
                f"{missing} of them are not managed by {source.username} or not yours to move",
            )
        for batch in chunks(ids, 1000):
            await Customer.filter(id__in=batch).update(account_manager_id=target.id)
        if actor is not None:
            await audit.record_each(
                actor, action="customer.reassign", object_type="customer",
                changes=[(pk, {"account_manager_id": source.id},
                          {"account_manager_id": target.id}) for pk in ids],
            )  # fmt: skip
    return ids
