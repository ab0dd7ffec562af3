"""Behaviour tags: rules over repayments and interactions, each with its explanation.

HABITUAL_LATE: paid 1-5 days late on at least 3 of the last 6 installments due.
EARLY_REPAYER: paid at least EARLY_DAYS before the due date at least twice.
PREFERS_ONLINE: most (and at least 3) of the customer's own contacts were in the app or web.
RATE_SENSITIVE: declined an offer over its rate at least once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from tortoise.functions import Count

from domain.interaction.models import Direction, Interaction, InteractionChannel, Outcome
from domain.loan.models import Installment
from domain.profile.ranges import within

EARLY_DAYS = 5
RULES = {
    "HABITUAL_LATE": "paid 1-5 days late on at least 3 of the last 6 installments due",
    "EARLY_REPAYER": f"paid at least {EARLY_DAYS} days before the due date at least twice",
    "PREFERS_ONLINE": "most (and at least 3) of the customer's own contacts in the app or web",
    "RATE_SENSITIVE": "declined an offer over its rate at least once",
}
SYSTEM_TAGS = tuple(RULES)


async def compute(
    day: date, *, lo: int | None = None, hi: int | None = None
) -> dict[str, dict[int, str]]:
    """For each system tag, the customers (``lo <= id < hi``) who carry it, explained."""
    out: dict[str, dict[int, str]] = {name: {} for name in SYSTEM_TAGS}
    rows = (
        await Installment.filter(due_date__lte=day, **within("loan__customer_id", lo, hi))
        .order_by("-due_date", "-id")  # the id settles ties: the same six, whatever the range
        .values("loan__customer_id", "due_date", "paid_on")
    )
    last_six: defaultdict[int, list[tuple[date, date | None]]] = defaultdict(list)
    early: defaultdict[int, list[date]] = defaultdict(list)
    for row in rows:
        cid = int(row["loan__customer_id"])
        due, paid = row["due_date"], row["paid_on"]
        if len(last_six[cid]) < 6:
            last_six[cid].append((due, paid))
        if paid is not None and (due - paid).days >= EARLY_DAYS:
            early[cid].append(due)
    for cid, items in last_six.items():
        late = [(due, (paid - due).days) for due, paid in items
                if paid is not None and 1 <= (paid - due).days <= 5]  # fmt: skip
        if len(late) >= 3:
            detail = ", ".join(f"due {d}: {n} day(s) late" for d, n in late)
            out["HABITUAL_LATE"][cid] = (
                f"late 1-5 days on {len(late)} of the last {len(items)} installments ({detail})"
            )
    for cid, dues in early.items():
        if len(dues) >= 2:
            out["EARLY_REPAYER"][cid] = (
                f"paid {EARLY_DAYS}+ days early {len(dues)} times (latest due {max(dues)})"
            )
    contacts = await (
        Interaction.filter(direction=Direction.INBOUND, **within("customer_id", lo, hi))
        .annotate(n=Count("id"))
        .group_by("customer_id", "channel").values("customer_id", "channel", "n")
    )  # fmt: skip
    totals: defaultdict[int, int] = defaultdict(int)
    online: defaultdict[int, int] = defaultdict(int)
    for row in contacts:
        cid = int(row["customer_id"])
        totals[cid] += int(row["n"])
        if row["channel"] in (InteractionChannel.APP, InteractionChannel.WEB):
            online[cid] += int(row["n"])
    for cid, total in totals.items():
        if online[cid] >= 3 and online[cid] * 2 > total:
            out["PREFERS_ONLINE"][cid] = f"{online[cid]} of {total} own contacts in the app or web"
    declined = await (
        Interaction.filter(outcome=Outcome.OFFER_DECLINED_RATE, **within("customer_id", lo, hi))
        .annotate(n=Count("id"))
        .group_by("customer_id").values_list("customer_id", "n")
    )  # fmt: skip
    for cid, n in declined:
        out["RATE_SENSITIVE"][int(cid)] = f"declined {n} offer(s) over the rate"
    return out
