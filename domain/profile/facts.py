"""A customer's facts for administrators' tag rules, gathered for everyone in a few queries.

Each fact has a name a rule's condition may use and a description shown to the person who
writes the rule. Labels (RFM, rating, stage) are read after the day's profiling updated them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date
from decimal import Decimal
from typing import Any

from tortoise.expressions import F, Q
from tortoise.functions import Count, Max, Sum

from domain.customer.models import Customer, CustomerTag
from domain.interaction.models import Direction, Interaction, InteractionChannel
from domain.loan.models import Installment, Loan, LoanStatus
from domain.profile.models import ProfileChange
from domain.profile.ranges import within

FACTS: dict[str, str] = {
    "rfm_recency": "RFM recency score 1-5 (0 without activity)",
    "rfm_frequency": "RFM frequency score 1-5 (0 without activity)",
    "rfm_monetary": "RFM monetary score 1-5 (0 without activity)",
    "rfm_segment": "RFM segment name, e.g. CHAMPIONS ('' without one)",
    "risk_rating": "LOW, MEDIUM, HIGH or VERY_HIGH ('' without one)",
    "lifecycle_stage": "NEW, GROWTH, STABLE, CHURN_WARNING or LOST ('' without one)",
    "branch": "the customer's branch code",
    "kind": "INDIVIDUAL or BUSINESS",
    "age": "age in whole years on the business date (0 if unknown)",
    "active_loans": "number of active loans",
    "outstanding": "outstanding principal over active loans",
    "max_dpd": "the highest days past due over active loans",
    "paid_on_time": "installments paid on or before their due date",
    "paid_late": "installments paid after their due date",
    "overdue_installments": "installments due by the business date and not paid",
    "inbound_contacts": "contacts the customer started",
    "online_contacts": "contacts the customer started in the app or on the web",
    "tags": "the names of the customer's other tags, e.g. 'EARLY_REPAYER' in tags",
}
SAMPLE: dict[str, Any] = {
    "rfm_recency": 4, "rfm_frequency": 3, "rfm_monetary": 5, "rfm_segment": "LOYAL",
    "risk_rating": "LOW", "lifecycle_stage": "STABLE", "branch": "BJ01", "kind": "INDIVIDUAL",
    "age": 40, "active_loans": 1, "outstanding": Decimal("52000.00"), "max_dpd": 0,
    "paid_on_time": 10, "paid_late": 1, "overdue_installments": 0, "inbound_contacts": 4,
    "online_contacts": 3, "tags": ["EARLY_REPAYER"],
}  # fmt: skip


def _age(born: date | None, day: date) -> int:
    if born is None:
        return 0
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


async def gather(
    day: date, *, lo: int | None = None, hi: int | None = None, as_before: Collection[str] = (),
) -> dict[int, dict[str, Any]]:  # fmt: skip
    """The facts on ``day`` of every customer with ``lo <= id < hi``.

    The tags named in ``as_before`` (those the rules give) read as they were before the
    date's changes, so rules that read each other's tags see the same on a second pass.
    """
    mine, theirs = within("customer_id", lo, hi), within("loan__customer_id", lo, hi)
    rows = await Customer.filter(**within("id", lo, hi)).values(
        "id", "rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_segment", "risk_rating",
        "lifecycle_stage", "branch", "kind", "birth_date",
    )  # fmt: skip
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        out[int(r["id"])] = {
            "rfm_recency": r["rfm_recency"] or 0, "rfm_frequency": r["rfm_frequency"] or 0,
            "rfm_monetary": r["rfm_monetary"] or 0, "rfm_segment": r["rfm_segment"] or "",
            "risk_rating": str(r["risk_rating"] or ""),
            "lifecycle_stage": str(r["lifecycle_stage"] or ""), "branch": r["branch"] or "",
            "kind": str(r["kind"] or ""), "age": _age(r["birth_date"], day), "active_loans": 0,
            "outstanding": Decimal("0.00"), "max_dpd": 0, "paid_on_time": 0, "paid_late": 0,
            "overdue_installments": 0, "inbound_contacts": 0, "online_contacts": 0, "tags": [],
        }  # fmt: skip
    loans = await (
        Loan.filter(status=LoanStatus.ACTIVE, **mine)
        .annotate(n=Count("id"), owed=Sum("outstanding_principal"), dpd=Max("days_past_due"))
        .group_by("customer_id").values("customer_id", "n", "owed", "dpd")
    )  # fmt: skip
    for r in loans:
        facts = out.get(int(r["customer_id"]))
        if facts is not None:
            facts.update(active_loans=int(r["n"]), outstanding=Decimal(r["owed"] or 0),
                         max_dpd=int(r["dpd"] or 0))  # fmt: skip
    for name, condition in (
        ("paid_on_time", Q(paid_on__isnull=False, paid_on__lte=F("due_date"))),
        ("paid_late", Q(paid_on__isnull=False, paid_on__gt=F("due_date"))),
        ("overdue_installments", Q(paid_on__isnull=True, due_date__lte=day)),
    ):
        counted = await (
            Installment.filter(condition, **theirs).annotate(n=Count("id"))
            .group_by("loan__customer_id").values_list("loan__customer_id", "n")
        )  # fmt: skip
        for cid, n in counted:
            if int(cid) in out:
                out[int(cid)][name] = int(n)
    contacts = await (
        Interaction.filter(direction=Direction.INBOUND, **mine).annotate(n=Count("id"))
        .group_by("customer_id", "channel").values_list("customer_id", "channel", "n")
    )  # fmt: skip
    online = (InteractionChannel.APP, InteractionChannel.WEB)
    for cid, channel, n in contacts:
        facts = out.get(int(cid))
        if facts is not None:
            facts["inbound_contacts"] += int(n)
            if channel in online:
                facts["online_contacts"] += int(n)
    names: defaultdict[int, set[str]] = defaultdict(set)
    for cid, tag in await CustomerTag.filter(**mine).values_list("customer_id", "tag__name"):
        names[int(cid)].add(str(tag))
    if as_before:
        wanted = sorted(as_before)
        undone = await (
            ProfileChange.filter(Q(old__in=wanted) | Q(new__in=wanted), label="tag",
                                 business_date=day, **mine)
            .order_by("-id").values_list("customer_id", "old", "new")
        )  # fmt: skip
        for cid, old, new in undone:  # latest first, back to the state before the date
            if new in as_before:
                names[int(cid)].discard(str(new))
            if old in as_before:
                names[int(cid)].add(str(old))
    for cid, found in names.items():
        if cid in out:
            out[cid]["tags"] = sorted(found)
    return out
