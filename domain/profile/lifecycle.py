"""Lifecycle stage from loans and activity, with the rule and the values that gave it.

NEW: the first loan is less than NEW_DAYS old. With an active loan: GROWTH when at least two
loans were drawn in the last year, else STABLE. Without one: STABLE while the last activity
(a drawdown or a payment) is recent, CHURN_WARNING after CHURN_DAYS, LOST after LOST_DAYS.
A sharp drop is CHURN_WARNING too, active loan or not: the customer's own activity
(drawdowns, installments repaid, contacts they started) in the last DROP_DAYS fell to at
most DROP_RATIO of the DROP_DAYS before, from at least DROP_MIN_BEFORE.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count, Max, Min

from domain.enums import LifecycleStage
from domain.interaction.models import Direction, Interaction
from domain.loan.models import Installment, Loan, LoanStatus, Payment
from domain.profile.ranges import within

NEW_DAYS = 90
DROP_MIN_BEFORE = 6


def _days(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


async def compute(
    day: date, *, lo: int | None = None, hi: int | None = None
) -> dict[int, tuple[LifecycleStage, dict[str, Any]]]:
    """Stage and explanation of every customer (``lo <= id < hi``) who ever borrowed."""
    churn, lost = _days("LENDGRAPH_CHURN_DAYS", 90), _days("LENDGRAPH_LOST_DAYS", 365)
    mine = within("customer_id", lo, hi)
    loans = await (
        Loan.filter(disbursed_on__lte=day, **mine).annotate(first=Min("disbursed_on"),
        last=Max("disbursed_on")).group_by("customer_id").values("customer_id", "first", "last")
    )  # fmt: skip
    found = (
        Loan.filter(status=LoanStatus.ACTIVE, **mine).distinct()
        .values_list("customer_id", flat=True)
    )  # fmt: skip
    active = {int(c) for c in await found}  # type: ignore[call-overload]
    recent = dict(
        await Loan.filter(disbursed_on__gt=day - timedelta(days=365), disbursed_on__lte=day, **mine)
        .annotate(n=Count("id")).group_by("customer_id").values_list("customer_id", "n")
    )  # fmt: skip
    paid = dict(
        await Payment.filter(**within("loan__customer_id", lo, hi)).annotate(last=Max("paid_at"))
        .group_by("loan__customer_id").values_list("loan__customer_id", "last")
    )  # fmt: skip
    drop_days = _days("LENDGRAPH_DROP_DAYS", 90)
    ratio = float(os.environ.get("LENDGRAPH_DROP_RATIO", "0.5"))
    activity = await _activity(day, drop_days, lo, hi)
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
        before, lately = activity.get(cid, (0, 0))
        inputs.update(activity_before=before, activity_lately=lately)
        if (day - first).days < NEW_DAYS:
            stage, rule = LifecycleStage.NEW, f"first loan less than {NEW_DAYS} days ago"
        elif before >= DROP_MIN_BEFORE and lately <= before * ratio:
            stage, rule = (
                LifecycleStage.CHURN_WARNING,
                (
                    f"sharp drop: {lately} actions in the last {drop_days} days against {before} "
                    f"in the {drop_days} days before"
                ),
            )
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


async def _activity(
    day: date, days: int, lo: int | None, hi: int | None
) -> dict[int, tuple[int, int]]:
    """Per customer: own actions in the window before the last ``days``, and in the last."""
    start, middle = day - timedelta(days=2 * days), day - timedelta(days=days)
    out: dict[int, list[int]] = {}

    def add(rows: list[tuple[Any, Any, Any]]) -> None:
        for cid, before, lately in rows:
            counts = out.setdefault(int(cid), [0, 0])
            counts[0] += int(before or 0)
            counts[1] += int(lately or 0)

    # counted in the database: per customer, actions up to the middle and after it
    add(await (
        Loan.filter(disbursed_on__gt=start, disbursed_on__lte=day, **within("customer_id", lo, hi))
        .annotate(b=Count("id", _filter=Q(disbursed_on__lte=middle)),
                  a=Count("id", _filter=Q(disbursed_on__gt=middle)))
        .group_by("customer_id").values_list("customer_id", "b", "a")
    ))  # fmt: skip
    add(await (
        Installment.filter(paid_on__gt=start, paid_on__lte=day,
                           **within("loan__customer_id", lo, hi))
        .annotate(b=Count("id", _filter=Q(paid_on__lte=middle)),
                  a=Count("id", _filter=Q(paid_on__gt=middle)))
        .group_by("loan__customer_id").values_list("loan__customer_id", "b", "a")
    ))  # fmt: skip
    # a contact counts on its UTC date, as the rows' dates compare with the window's
    since = datetime.combine(start, time.max, UTC)
    until = datetime.combine(day, time.max, UTC)
    split = datetime.combine(middle, time.max, UTC)
    add(await (
        Interaction.filter(direction=Direction.INBOUND, occurred_at__gt=since,
                           occurred_at__lte=until, **within("customer_id", lo, hi))
        .annotate(b=Count("id", _filter=Q(occurred_at__lte=split)),
                  a=Count("id", _filter=Q(occurred_at__gt=split)))
        .group_by("customer_id").values_list("customer_id", "b", "a")
    ))  # fmt: skip
    return {cid: (before, lately) for cid, (before, lately) in out.items()}
