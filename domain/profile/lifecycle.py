"""Lifecycle stage from loans and activity, with the rule and the values that gave it.

NEW: the first loan is less than NEW_DAYS old. With an active loan: GROWTH when at least two
loans were drawn in the last year, else STABLE. Without one: STABLE while the last activity
(a drawdown or a payment) is recent, CHURN_WARNING after CHURN_DAYS, LOST after LOST_DAYS.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

from tortoise.functions import Count, Max, Min

from domain.enums import LifecycleStage
from domain.loan.models import Loan, LoanStatus, Payment

NEW_DAYS = 90


def _days(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


async def compute(day: date) -> dict[int, tuple[LifecycleStage, dict[str, Any]]]:
    """Stage and explanation of every customer who ever borrowed."""
    churn, lost = _days("LENDGRAPH_CHURN_DAYS", 90), _days("LENDGRAPH_LOST_DAYS", 365)
    loans = await (
        Loan.filter(disbursed_on__lte=day).annotate(first=Min("disbursed_on"),
        last=Max("disbursed_on")).group_by("customer_id").values("customer_id", "first", "last")
    )  # fmt: skip
    found = Loan.filter(status=LoanStatus.ACTIVE).distinct().values_list("customer_id", flat=True)
    active = {int(c) for c in await found}  # type: ignore[call-overload]
    recent = dict(
        await Loan.filter(disbursed_on__gt=day - timedelta(days=365), disbursed_on__lte=day)
        .annotate(n=Count("id")).group_by("customer_id").values_list("customer_id", "n")
    )  # fmt: skip
    paid = dict(
        await Payment.all().annotate(last=Max("paid_at")).group_by("loan__customer_id")
        .values_list("loan__customer_id", "last")
    )  # fmt: skip
    out: dict[int, tuple[LifecycleStage, dict[str, Any]]] = {}
    for row in loans:
        cid = int(row["customer_id"])
        first, last_drawn = row["first"], row["last"]
        last_paid = paid.get(cid)
        last_activity = max(last_drawn, last_paid.date()) if last_paid else last_drawn
        idle = (day - last_activity).days
        inputs = {"first_loan": first.isoformat(), "active_loans": cid in active,
                  "loans_last_12_months": int(recent.get(cid, 0)),
                  "last_activity": last_activity.isoformat(), "idle_days": idle}  # fmt: skip
        if (day - first).days < NEW_DAYS:
            stage, rule = LifecycleStage.NEW, f"first loan less than {NEW_DAYS} days ago"
        elif cid in active:
            if int(recent.get(cid, 0)) >= 2:
                stage, rule = LifecycleStage.GROWTH, "an active loan and 2+ loans in 12 months"
            else:
                stage, rule = LifecycleStage.STABLE, "an active loan"
        elif idle > lost:
            stage, rule = LifecycleStage.LOST, f"no active loan, idle more than {lost} days"
        elif idle > churn:
            stage, rule = (
                LifecycleStage.CHURN_WARNING,
                f"no active loan, idle more than {churn} days",
            )
        else:
            stage, rule = LifecycleStage.STABLE, "no active loan, recently active"
        out[cid] = (stage, {"rule": f"{stage.value}: {rule}", "inputs": inputs})
    return out
