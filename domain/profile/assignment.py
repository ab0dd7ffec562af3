"""Valuable customers without an account manager get one from their branch, by load.

Valuable: an RFM segment in rfm.VALUABLE (Champions, Loyal, Can't lose them) or the
STRATEGIC tag. The manager is the active account manager of the customer's branch (any
branch when it has none) with the fewest customers; each assignment is recorded. Customers
are taken in id order, so the same data gives the same managers however it was profiled.
"""

from __future__ import annotations

from datetime import date

from tortoise.expressions import Q
from tortoise.functions import Count

from domain.customer.models import Customer
from domain.profile.models import ProfileChange
from domain.profile.rfm import VALUABLE
from domain.user.models import User

STRATEGIC = "STRATEGIC"


PAGE = 5000


async def assign(day: date) -> dict[str, int]:
    """Assign managers to valuable customers that have none; returns how many.

    One pass over the whole population (each choice depends on the load the ones before it
    left), a page of customers at a time, so memory stays bounded.
    """
    wanted = Customer.filter(
        Q(rfm_segment__in=sorted(VALUABLE)) | Q(tag_links__tag__name=STRATEGIC),
        account_manager_id__isnull=True,
    ).distinct()  # fmt: skip
    if not await wanted.exists():
        return {"assigned": 0}
    managers = [
        u for u in await User.filter(is_active=True).order_by("id")
        if "account_manager" in (u.roles or [])
    ]  # fmt: skip
    if not managers:
        return {"assigned": 0, "without_manager": await wanted.count()}
    load = dict(
        await Customer.filter(account_manager_id__in=[m.id for m in managers])
        .annotate(n=Count("id")).group_by("account_manager_id")
        .values_list("account_manager_id", "n")
    )  # fmt: skip
    assigned, after = 0, 0
    while page := await wanted.filter(id__gt=after).order_by("id").limit(PAGE).values(
        "id", "branch", "rfm_segment"
    ):  # fmt: skip
        after = int(page[-1]["id"])
        changes = []
        chosen_for: dict[int, list[int]] = {}
        for row in page:
            same_branch = [m for m in managers if m.branch == row["branch"]] or managers
            chosen = min(same_branch, key=lambda m: (load.get(m.id, 0), m.id))
            load[chosen.id] = load.get(chosen.id, 0) + 1
            chosen_for.setdefault(chosen.id, []).append(row["id"])
            why = row["rfm_segment"] if row["rfm_segment"] in VALUABLE else STRATEGIC
            changes.append(ProfileChange(
                customer_id=row["id"], label="account_manager", old=None, new=chosen.username,
                business_date=day,
                explanation={"rule": f"valuable ({why}) without an account manager",
                             "inputs": {"branch": row["branch"],
                                        "manager_load": load[chosen.id] - 1}},
            ))  # fmt: skip
        for manager_id, customers in chosen_for.items():
            await Customer.filter(id__in=customers).update(account_manager_id=manager_id)
        await ProfileChange.bulk_create(changes, batch_size=1000)
        assigned += len(changes)
    return {"assigned": assigned}
