"""Collections measures: contacts, promises kept, amounts recovered, cases cured."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time
from decimal import Decimal

from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.functions import Count

from domain.batching import gather_in
from domain.interaction.models import Direction, Interaction
from domain.loan.models import LoanStatus, Payment
from domain.outreach.models import MessagePurpose, MessageStatus, OutboxMessage
from domain.reports.asks import MONTH, Ask, Point, dated, grouped, month_of, ratio, scoped
from domain.reports.models import CollectionCase
from domain.settings import settings


async def _cases(ask: Ask) -> dict[int, list[tuple[datetime, str]]]:
    """Per loan, its collections cases (opened, strategy), oldest first, within scope."""
    rows = (
        await scoped(CollectionCase.all(), ask)
        .order_by("opened_at")
        .values_list("loan_id", "opened_at", "strategy")
    )
    out: defaultdict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for loan_id, opened, strategy in rows:
        out[int(loan_id)].append((opened, str(strategy or "—")))
    return out


def _strategy_at(cases: list[tuple[datetime, str]], moment: datetime) -> str | None:
    """The strategy of the case open on the loan at ``moment`` (the latest opened before)."""
    found = None
    for opened, strategy in cases:
        if opened <= moment:
            found = strategy
    return found


async def contacts(ask: Ask) -> list[Point]:
    """Collection contacts made: calls and visits, and messages sent (series = kind)."""
    calls = dated(scoped(Interaction.filter(direction=Direction.OUTBOUND, source="collections"),
                           ask), ask, "occurred_at", moment=True)  # fmt: skip
    sent = dated(scoped(OutboxMessage.filter(purpose=MessagePurpose.COLLECTION,
                                               status=MessageStatus.SENT), ask),
                  ask, "sent_at", moment=True)  # fmt: skip
    points = []
    kinds = (("calls and visits", calls, "occurred_at", "interaction"),
             ("messages", sent, "sent_at", "outbox_message"))  # fmt: skip
    if ask.dimension == "strategy":
        cases = await _cases(ask)
        for series, query, column, _ in kinds:
            counted: defaultdict[str, int] = defaultdict(int)
            for loan_id, at in await query.filter(loan_id__isnull=False).values_list(
                "loan_id", column
            ):
                strategy = _strategy_at(cases.get(int(loan_id), []), at)
                counted[strategy or "no case"] += 1
            points += [Point(k, n, n, series) for k, n in sorted(counted.items())]
        return points
    for series, query, column, table in kinds:
        by: str | RawSQL = month_of(f"{table}.{column}") if ask.dimension == MONTH else "channel"
        for row in await grouped(query, by, {"n": Count("id")}):
            points.append(Point(row["key"], int(row["n"]), int(row["n"]), series))
    return points


async def promises_kept(ask: Ask) -> list[Point]:
    """Share of promises to pay, due by the business date, that were kept in full and in time."""
    promises = dated(scoped(Interaction.filter(promise_date__isnull=False,
                                                 promise_date__lt=ask.today), ask),
                      ask, "occurred_at", moment=True)  # fmt: skip
    rows = await promises.values("id", "loan_id", "occurred_at", "promise_date",
                                 "promise_amount", "channel")  # fmt: skip
    loans = {r["loan_id"] for r in rows if r["loan_id"] is not None}
    paid: defaultdict[int, list[tuple[datetime, Decimal]]] = defaultdict(list)
    found = await gather_in(loans, lambda batch: Payment.filter(loan_id__in=batch).values_list(
        "loan_id", "paid_at", "amount"))  # fmt: skip
    for loan_id, at, amount in found:
        paid[int(loan_id)].append((at, Decimal(amount)))
    kept: defaultdict[str, list[bool]] = defaultdict(list)
    for r in rows:
        until = datetime.combine(r["promise_date"], time.max, settings().time_zone)
        total = sum((a for at, a in paid.get(r["loan_id"], []) if r["occurred_at"] <= at <= until),
                    Decimal(0))  # fmt: skip
        key = f"{r['promise_date']:%Y-%m}" if ask.dimension == MONTH else str(r["channel"].value)
        kept[key].append(total >= Decimal(r["promise_amount"] or 0))
    return [Point(k, ratio(sum(v), len(v)), len(v)) for k, v in sorted(kept.items())]


async def recovered(ask: Ask) -> list[Point]:
    """Payments received on loans while a collections case was open on them."""
    cases = await _cases(ask)
    if not cases:
        return []
    with_cases = scoped(CollectionCase.all(), ask).values("loan_id")
    query = dated(Payment.filter(loan_id__in=Subquery(with_cases)), ask, "paid_at", moment=True)
    if ask.filters.product_code:
        query = query.filter(loan__product__code=ask.filters.product_code)
    totals: defaultdict[str, list[Decimal]] = defaultdict(list)
    rows = await query.values_list("loan_id", "paid_at", "amount", "loan__product__code")
    for loan_id, at, amount, product in rows:
        strategy = _strategy_at(cases[int(loan_id)], at)
        if strategy is None:
            continue  # paid before any case opened
        name = {MONTH: f"{at:%Y-%m}", "strategy": strategy}.get(ask.dimension, str(product))
        totals[name].append(Decimal(amount))
    return [Point(k, sum(v, Decimal(0)), len(v)) for k, v in sorted(totals.items())]


async def case_cure_rate(ask: Ask) -> list[Point]:
    """Share of collections cases (opened in the time range) whose loan is current or repaid."""
    query = dated(scoped(CollectionCase.all(), ask), ask, "opened_at", moment=True)
    if ask.filters.product_code:
        query = query.filter(loan__product__code=ask.filters.product_code)
    by: str | RawSQL = (
        month_of("collection_case.opened_at") if ask.dimension == MONTH else ask.dimension
    )
    cured = Q(loan__status=LoanStatus.CLOSED) | Q(loan__status=LoanStatus.ACTIVE,
                                                  loan__days_past_due=0)  # fmt: skip
    # the condition on the loan joins it, for the filtered count to read
    query = query.filter(loan__status__isnull=False)
    values = {"n": Count("id"), "cured": Count("id", _filter=cured)}
    return [Point(r["key"], ratio(int(r["cured"] or 0), int(r["n"])), int(r["n"]))
            for r in await grouped(query, by, values)]  # fmt: skip
