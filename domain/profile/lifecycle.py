"""Lifecycle stage from loans and activity, with the rule and the values that gave it.

NEW: the first loan is less than NEW_DAYS old. With an active loan: GROWTH when at least two
loans were drawn in the last year, else STABLE. Without one: STABLE while the last activity
(a drawdown or a payment) is recent, CHURN_WARNING after CHURN_DAYS, LOST after LOST_DAYS.
A sharp drop is CHURN_WARNING too, active loan or not: the customer's own activity
(drawdowns, installments repaid, contacts they started) in the last DROP_DAYS fell to at
most DROP_RATIO of the DROP_DAYS before, from at least DROP_MIN_BEFORE.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.enums import LifecycleStage
from domain.profile.reading import Reading, read
from domain.profile.windows import days, drop_ratio

NEW_DAYS = 90
DROP_MIN_BEFORE = 6


async def compute(
    day: date, *, lo: int | None = None, hi: int | None = None, reading: Reading | None = None
) -> dict[int, tuple[LifecycleStage, dict[str, Any]]]:
    """Stage and explanation of every customer (``lo <= id < hi``) who ever borrowed (their
    loans, payments and contacts from ``reading`` when given)."""
    return staged(reading if reading is not None else await read(day, lo, hi))


def staged(reading: Reading) -> dict[int, tuple[LifecycleStage, dict[str, Any]]]:
    """Stage and explanation of every customer of ``reading`` with a loan drawn by its date."""
    day, windows = reading.day, reading.windows
    churn, lost = days("LENDGRAPH_CHURN_DAYS", 90), days("LENDGRAPH_LOST_DAYS", 365)
    drop_days, ratio = windows.drop_days, drop_ratio()
    nothing: dict[str, Any] = {}
    out: dict[int, tuple[LifecycleStage, dict[str, Any]]] = {}
    for cid, loans in reading.loans.items():
        first, last_drawn = loans["first_drawn"], loans["last_drawn"]
        if first is None:  # no loan drawn by the date
            continue
        last_paid = reading.payments.get(cid)
        last_activity = max(last_drawn, last_paid) if last_paid else last_drawn
        idle = (day - last_activity).days
        active, recent = int(loans["active_n"] or 0) > 0, int(loans["recent_n"] or 0)
        inputs = {"first_loan": first.isoformat(), "active_loans": active,
                  "loans_last_12_months": recent,
                  "last_activity": last_activity.isoformat(), "idle_days": idle}  # fmt: skip
        # the customer's own actions: drawdowns, installments repaid, contacts they started
        own = (loans, reading.installments.get(cid, nothing), reading.contacts.get(cid, nothing))
        before = sum(int(part.get("act_before") or 0) for part in own)
        lately = sum(int(part.get("act_lately") or 0) for part in own)
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
        elif active:
            if recent >= 2:
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
