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

from tortoise.expressions import Q

from domain.customer.models import Customer, CustomerTag
from domain.profile.models import ProfileChange
from domain.profile.ranges import within
from domain.profile.reading import Reading, read

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
    reading: Reading | None = None,
) -> dict[int, dict[str, Any]]:  # fmt: skip
    """The facts on ``day`` of every customer with ``lo <= id < hi``.

    The tags named in ``as_before`` (those the rules give) read as they were before the
    date's changes, so rules that read each other's tags see the same on a second pass.
    Loans, installments and contacts come from ``reading`` when given (of the same range
    and date); labels and tags are read now.
    """
    reading = reading if reading is not None else await read(day, lo, hi)
    mine = within("customer_id", lo, hi)
    rows = await Customer.filter(**within("id", lo, hi)).values(
        "id", "rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_segment", "risk_rating",
        "lifecycle_stage", "branch", "kind", "birth_date",
    )  # fmt: skip
    out: dict[int, dict[str, Any]] = {}
    nothing: dict[str, Any] = {}
    for r in rows:
        cid = int(r["id"])
        loans = reading.loans.get(cid, nothing)
        paid = reading.installments.get(cid, nothing)
        contacts = reading.contacts.get(cid, nothing)
        active = int(loans.get("active_n") or 0) > 0
        out[cid] = {
            "rfm_recency": r["rfm_recency"] or 0, "rfm_frequency": r["rfm_frequency"] or 0,
            "rfm_monetary": r["rfm_monetary"] or 0, "rfm_segment": r["rfm_segment"] or "",
            "risk_rating": str(r["risk_rating"] or ""),
            "lifecycle_stage": str(r["lifecycle_stage"] or ""), "branch": r["branch"] or "",
            "kind": str(r["kind"] or ""), "age": _age(r["birth_date"], day),
            "active_loans": int(loans["active_n"]) if active else 0,
            "outstanding": (loans["active_owed"] or Decimal(0)) if active else Decimal("0.00"),
            "max_dpd": int(loans["active_dpd"] or 0) if active else 0,
            "paid_on_time": int(paid.get("paid_on_time") or 0),
            "paid_late": int(paid.get("paid_late") or 0),
            "overdue_installments": int(paid.get("overdue") or 0),
            "inbound_contacts": int(contacts.get("inbound") or 0),
            "online_contacts": int(contacts.get("online") or 0), "tags": [],
        }  # fmt: skip
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
