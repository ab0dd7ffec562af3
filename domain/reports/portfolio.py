"""Portfolio measures: outstanding balance, active loans, default rate, roll and cure rates."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from domain.loan.delinquency import DEFAULT_THRESHOLD_DPD
from domain.loan.models import Loan, LoanStatus
from domain.product.models import Product
from domain.reports.asks import (
    MONTH,
    Ask,
    Point,
    bucket_order,
    dated,
    grouped,
    month_of,
    ratio,
    scoped,
)
from domain.reports.models import LoanMonthEnd, LoanMonthSummary
from domain.reports.snapshots import end_of, month_ends
from domain.settings import settings

LOAN_DIMENSIONS = {
    "bucket": "bucket", "product": "product__code", "branch": "customer__branch",
    "risk_rating": "customer__risk_rating", "rfm_segment": "customer__rfm_segment",
    "status": "status",
}  # fmt: skip


def _loans(ask: Ask) -> QuerySet[Loan]:
    query = scoped(Loan.filter(status=LoanStatus.ACTIVE), ask)
    if ask.filters.product_code:
        query = query.filter(product__code=ask.filters.product_code)
    return dated(query, ask, "disbursed_on", moment=False)


def _loan_key(ask: Ask) -> str | RawSQL:
    return (
        month_of("loan.disbursed_on") if ask.dimension == MONTH else LOAN_DIMENSIONS[ask.dimension]
    )


async def outstanding(ask: Ask) -> list[Point]:
    """Active loans' outstanding principal (and how many loans) per dimension value."""
    rows = await grouped(_loans(ask), _loan_key(ask),
                          {"n": Count("id"), "owed": Sum("outstanding_principal")})  # fmt: skip
    points = [Point(r["key"], Decimal(r["owed"] or 0), int(r["n"])) for r in rows]
    return sorted(points, key=lambda p: bucket_order(p.key))


async def loan_count(ask: Ask) -> list[Point]:
    """How many active loans per dimension value."""
    return [Point(p.key, p.count, p.count) for p in await outstanding(ask)]


async def default_rate(ask: Ask) -> list[Point]:
    """Share of the outstanding balance that is 90+ days past due."""
    late = Q(days_past_due__gte=DEFAULT_THRESHOLD_DPD)
    values = {"owed": Sum("outstanding_principal"), "n": Count("id"),
              "bad": Sum("outstanding_principal", _filter=late)}  # fmt: skip
    return [Point(r["key"], ratio(Decimal(r["bad"] or 0), Decimal(r["owed"] or 0)), int(r["n"]))
            for r in await grouped(_loans(ask), _loan_key(ask), values)]  # fmt: skip


async def _movements(ask: Ask, cure: bool) -> list[Point]:
    """Roll or cure rates over the last seven month ends in the range (six movements).

    Over the whole portfolio (no scope, segment or branch) they are read from the month ends'
    summaries, a few hundred rows; otherwise from the caller's loans' positions.
    """
    f = ask.filters
    summed = ask.customers is None and not f.segment and not f.branch
    count = "loans" if summed else "id"
    base = LoanMonthSummary.all() if summed else scoped(LoanMonthEnd.all(), ask)
    if f.product_code:
        product = Product.filter(code=f.product_code).values("id")
        base = base.filter(product_id__in=Subquery(product)) if summed else base.filter(
            loan__product__code=f.product_code)  # fmt: skip
    last = f.date_to or ask.today
    wanted = [d for d in month_ends(last + timedelta(days=1), 7)
              if f.date_from is None or d >= f.date_from]  # fmt: skip
    held: defaultdict[tuple[date, str], Decimal] = defaultdict(Decimal)
    for end, bucket, owed in await (
        base.filter(month_end__in=wanted).annotate(o=Sum("outstanding"))
        .group_by("month_end", "bucket").values_list("month_end", "bucket", "o")
    ):  # fmt: skip
        held[(end, str(bucket))] = Decimal(owed or 0)
    ends = sorted({end for end, _ in held})
    pairs = [(a, b) for a, b in itertools.pairwise(ends) if end_of(a + timedelta(days=1)) == b]
    if not pairs:
        return []
    moved = await (
        base.filter(month_end__in=[b for _, b in pairs], prev_bucket__isnull=False)
        .annotate(o=Sum("prev_outstanding"), n=Sum(count) if summed else Count(count))
        .group_by("month_end", "prev_bucket", "bucket")
        .values_list("month_end", "prev_bucket", "bucket", "o", "n")
    )  # fmt: skip
    order = [b.name for b in settings().buckets]
    points = []
    for before, after in pairs:
        for i, name in enumerate(order[:-1]):
            if cure and name == order[0]:
                continue
            targets = {order[0], "CLOSED"} if cure else {order[i + 1]}
            chosen = [
                (o, n) for e, p, b, o, n in moved if e == after and p == name and b in targets
            ]
            part = sum((Decimal(o or 0) for o, _ in chosen), Decimal(0))
            whole = held.get((before, name), Decimal(0))
            if whole:
                points.append(Point(name, ratio(part, whole), sum(int(n) for _, n in chosen),
                                    f"{after:%Y-%m}"))  # fmt: skip
    return points


async def roll_rate(ask: Ask) -> list[Point]:
    """Share of the balance in bucket k at a month end that sits in k+1 a month later."""
    return await _movements(ask, cure=False)


async def cure_rate(ask: Ask) -> list[Point]:
    """Share of the past-due balance in bucket k that is current (or repaid) a month later."""
    return await _movements(ask, cure=True)
