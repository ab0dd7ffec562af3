"""Limit-increase offers: who qualifies by the ``limit_increase`` table, tagged and offered.

Each business date every borrower is weighed by the decision of the ``limit_increase``
version in force (default: 6 on-time installments in a row, no DPD in 12 months, risk LOW
or MEDIUM; editable in the designer). Those who qualify carry the LIMIT_INCREASE_ELIGIBLE tag
with the reason (so ``customers(filter: {tag: "LIMIT_INCREASE_ELIGIBLE"})`` lists them), and
once a month an instance tells the customer (an OFFER through the outbox, consent required)
and gives the account manager a call task. The decision depends on the three inputs only,
so it runs once per distinct combination of them (a few hundred), not once per borrower, and
its answers are kept for the next chunks of the same version. The on-time streak is counted
in SQL (:mod:`domain.loan.streaks`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bpmn import bulk, definitions, deployments, engine, ratings
from domain.batching import chunks, gather_in
from domain.customer.models import Customer, CustomerTag, Tag
from domain.daily.chunks import EVERYONE, Span
from domain.loan.streaks import on_time
from domain.process.models import ProcessInstance

PROCESS_ID = "limit_increase"
TAG = "LIMIT_INCREASE_ELIGIBLE"


Weighed = tuple[Any, ...]
# Per deployed version (its content hash): the process's answer per combination of the inputs
# it weighs. The answer depends on the version and those inputs only, so every chunk this
# process does reuses it; bounded, a few thousand combinations at most in practice.
_DECIDED: dict[str, dict[Weighed, dict[str, Any]]] = {}
KEPT = 50_000


def _decided(content_hash: str) -> dict[Weighed, dict[str, Any]]:
    """The answers kept for this version (those of any other version are let go)."""
    kept = _DECIDED.get(content_hash)
    if kept is None or len(kept) > KEPT:
        _DECIDED.clear()
        kept = _DECIDED[content_hash] = {}
    return kept


async def run(day: date, *, customers: Span = EVERYONE) -> dict[str, Any]:
    """Tag who qualifies today (of these customers) and start this month's offers; returns
    counts.

    Raises ProcessNotDeployedError when ``limit_increase`` has no version in force.
    """
    definition = await deployments.require_in_force(PROCESS_ID)
    bundle = definitions.bundle(definition)
    inputs = await ratings.inputs(day, lo=customers.lo, hi=customers.hi)
    streaks = await on_time(day, customers)
    rated = Customer.filter(customers.q("id"), risk_rating__isnull=False)
    risk = dict(await rated.values_list("id", "risk_rating"))
    eligible: dict[int, tuple[str, dict[str, Any]]] = {}
    decided = _decided(definition.content_hash)
    for cid, values in sorted(inputs.items()):  # started in the same order anywhere
        data = {
            "customer_id": cid,
            "consecutive_on_time": streaks.get(cid, 0),
            "worst_dpd_12m": values["worst_dpd_12m"],
            "risk_rating": str(risk[cid].value) if risk.get(cid) else None,
        }
        # in memory: the decision only, its service tasks answered with nothing. The
        # customer id is there for those tasks; the decision is taken once per distinct
        # combination of the inputs it weighs (and kept for the next chunks).
        weighed = (data["consecutive_on_time"], data["worst_dpd_12m"], data["risk_rating"])
        result = decided.get(weighed)
        if result is None:
            result = engine.evaluate(bundle, PROCESS_ID, data, lambda name, args: {})
            decided[weighed] = result
        if result.get("eligible") is True:
            eligible[cid] = (str(result.get("eligibility_reason", "")), data)
    tag, _ = await Tag.get_or_create(
        name=TAG, defaults={"description": "qualifies for a limit increase (limit_increase.dmn)"}
    )
    holders = CustomerTag.filter(customers.q(), tag_id=tag.id).values_list("customer_id", flat=True)
    had = {int(c) for c in await holders}  # type: ignore[call-overload]
    gone = [c for c in had if c not in eligible]
    for batch in chunks(gone):
        await CustomerTag.filter(tag_id=tag.id, customer_id__in=batch).delete()
    await CustomerTag.bulk_create(
        [CustomerTag(customer_id=c, tag_id=tag.id, explanation=why[:1000])
         for c, (why, _) in eligible.items() if c not in had],
        batch_size=1000,
    )  # fmt: skip
    month = f"{day:%Y-%m}"
    keys = {c: f"limit:{c}:{month}" for c in eligible}
    started = {str(k) for k in await gather_in(keys.values(), lambda batch: ProcessInstance.filter(
        business_key__in=batch).values_list("business_key", flat=True))}  # fmt: skip
    starts = [
        bulk.Start(keys[cid], data) for cid, (_, data) in eligible.items()
        if keys[cid] not in started
    ]  # fmt: skip
    offered = await bulk.start_many(
        PROCESS_ID, starts, opaque=("customer_id",), fault_point="daily.offers.started"
    )
    return {"eligible": len(eligible), "offered": len(offered)}
