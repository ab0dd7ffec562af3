"""Dashboard measures: aggregates computed in the database under the caller's customer scope.

Every measure answers a list of points ``(key, series, value, count)`` for one dimension,
within filters (time range, branch, product, channel, segment) and a scope: a filter over
customers (None: all). Grouping and sums happen in SQL; only the grouped rows come back,
except where a ratio needs per-row logic over a bounded set (promises, decision times).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tortoise import connections
from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from domain.application.models import Application, ApplicationChannel, ApplicationStatus
from domain.batching import gather_in
from domain.campaign import service as campaigns
from domain.campaign.models import Campaign, CampaignResponse
from domain.customer.models import Customer
from domain.errors import ValidationError
from domain.interaction.models import Direction, Interaction
from domain.loan.delinquency import DEFAULT_THRESHOLD_DPD
from domain.loan.models import Loan, LoanStatus, Payment
from domain.outreach.models import MessagePurpose, MessageStatus, OutboxMessage
from domain.product.models import Product
from domain.profile.models import ProfileChange, Segment, SegmentMember
from domain.reports.models import CollectionCase, LoanMonthEnd, LoanMonthSummary
from domain.reports.snapshots import end_of, month_ends
from domain.settings import settings

MONTH = "month"


@dataclass(frozen=True)
class Filters:
    """Conditions every measure understands (those that do not apply are ignored)."""

    date_from: date | None = None
    date_to: date | None = None
    branch: str | None = None
    product_code: str | None = None
    channel: str | None = None
    segment: str | None = None  # an administrator's segment, by name


@dataclass(frozen=True)
class Point:
    """One bar or slice: the dimension's value, the series, the figure and how many rows."""

    key: str
    value: Decimal | float | int | None
    count: int
    series: str = ""


@dataclass(frozen=True)
class Ask:
    """What a measure is asked for: the scope, the dimension, the filters and the date."""

    dimension: str
    filters: Filters
    customers: Q | None  # the caller's customers; None is everyone
    today: date


Compute = Callable[[Ask], Awaitable[list[Point]]]


@dataclass(frozen=True)
class Measure:
    """A figure the dashboard can draw, with the dimensions it can be broken down by."""

    name: str
    title: str
    unit: str  # count, money, ratio, hours
    dimensions: tuple[str, ...]
    drill: str | None  # the list behind a point: loans, customers or applications
    compute: Compute
    description: str = ""
    filters: tuple[str, ...] = field(default=("date", "branch", "product", "segment"))


# ----------------------------------------------------------------------------- helpers


def _dialect() -> str:
    return str(connections.get("default").capabilities.dialect)


def month_of(column: str) -> RawSQL:
    """``YYYY-MM`` of a date or timestamp column (``table.column``: joins may repeat names)."""
    if _dialect() == "postgres":
        return RawSQL(f"to_char({column}, 'YYYY-MM')")
    return RawSQL(f"strftime('%Y-%m', {column})")


def _scoped(query: QuerySet[Any], ask: Ask, customer: str = "customer_id") -> QuerySet[Any]:
    """Restrict to the caller's customers, a segment and a branch."""
    f = ask.filters
    if ask.customers is not None:
        ids = Customer.filter(ask.customers).values("id")
        query = query.filter(**{f"{customer}__in": Subquery(ids)})
    if f.segment:
        members = SegmentMember.filter(segment__name=f.segment).values("customer_id")
        query = query.filter(**{f"{customer}__in": Subquery(members)})
    if f.branch:
        of_branch = Customer.filter(branch=f.branch).values("id")
        query = query.filter(**{f"{customer}__in": Subquery(of_branch)})
    return query


def _dated(query: QuerySet[Any], ask: Ask, column: str, moment: bool) -> QuerySet[Any]:
    f = ask.filters
    if f.date_from is not None:
        start: Any = datetime.combine(f.date_from, time.min, UTC) if moment else f.date_from
        query = query.filter(**{f"{column}__gte": start})
    if f.date_to is not None:
        end: Any = datetime.combine(f.date_to, time.max, UTC) if moment else f.date_to
        query = query.filter(**{f"{column}__lte": end})
    return query


async def _grouped(
    query: QuerySet[Any], by: str | RawSQL, values: dict[str, Any]
) -> list[dict[str, Any]]:
    """Rows of ``values`` grouped by a field path or a SQL expression, as ``key`` + values."""
    if isinstance(by, RawSQL):
        query = query.annotate(key=by)
        rows = await query.annotate(**values).group_by("key").values("key", *values)
    else:
        rows = await query.annotate(**values).group_by(by).values(by, *values)
        for row in rows:
            row["key"] = row.pop(by)
    for row in rows:
        row["key"] = _label(row["key"])
    return sorted(rows, key=lambda r: r["key"])


def _label(value: Any) -> str:
    """A dimension value as text: enums by value, nothing as a dash."""
    return "—" if value is None else str(getattr(value, "value", value))


def _channel(value: str, kind: type[StrEnum], what: str) -> str:
    """A channel filter that means something for ``what``, or a clear refusal."""
    allowed = [c.value for c in kind]
    if value not in allowed:
        raise ValidationError.single(
            "filter.channel", f"{what} come by {', '.join(allowed)}, not {value!r}"
        )
    return value


def _ratio(part: Decimal | int, whole: Decimal | int) -> float | None:
    return float(Decimal(part) / Decimal(whole)) if whole else None


def _bucket_order(key: str) -> tuple[int, str]:
    return (0, key) if key.startswith("M") else (1, key)


# ----------------------------------------------------------------------------- portfolio

LOAN_DIMENSIONS = {
    "bucket": "bucket", "product": "product__code", "branch": "customer__branch",
    "risk_rating": "customer__risk_rating", "rfm_segment": "customer__rfm_segment",
    "status": "status",
}  # fmt: skip


def _loans(ask: Ask) -> QuerySet[Loan]:
    query = _scoped(Loan.filter(status=LoanStatus.ACTIVE), ask)
    if ask.filters.product_code:
        query = query.filter(product__code=ask.filters.product_code)
    return _dated(query, ask, "disbursed_on", moment=False)


def _loan_key(ask: Ask) -> str | RawSQL:
    return (
        month_of("loan.disbursed_on") if ask.dimension == MONTH else LOAN_DIMENSIONS[ask.dimension]
    )


async def outstanding(ask: Ask) -> list[Point]:
    """Active loans' outstanding principal (and how many loans) per dimension value."""
    rows = await _grouped(_loans(ask), _loan_key(ask),
                          {"n": Count("id"), "owed": Sum("outstanding_principal")})  # fmt: skip
    points = [Point(r["key"], Decimal(r["owed"] or 0), int(r["n"])) for r in rows]
    return sorted(points, key=lambda p: _bucket_order(p.key))


async def loan_count(ask: Ask) -> list[Point]:
    """How many active loans per dimension value."""
    return [Point(p.key, p.count, p.count) for p in await outstanding(ask)]


async def default_rate(ask: Ask) -> list[Point]:
    """Share of the outstanding balance that is 90+ days past due."""
    late = Q(days_past_due__gte=DEFAULT_THRESHOLD_DPD)
    values = {"owed": Sum("outstanding_principal"), "n": Count("id"),
              "bad": Sum("outstanding_principal", _filter=late)}  # fmt: skip
    return [Point(r["key"], _ratio(Decimal(r["bad"] or 0), Decimal(r["owed"] or 0)), int(r["n"]))
            for r in await _grouped(_loans(ask), _loan_key(ask), values)]  # fmt: skip


async def _movements(ask: Ask, cure: bool) -> list[Point]:
    """Roll or cure rates over the last seven month ends in the range (six movements).

    Over the whole portfolio (no scope, segment or branch) they are read from the month ends'
    summaries, a few hundred rows; otherwise from the caller's loans' positions.
    """
    f = ask.filters
    summed = ask.customers is None and not f.segment and not f.branch
    count = "loans" if summed else "id"
    base = LoanMonthSummary.all() if summed else _scoped(LoanMonthEnd.all(), ask)
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
                points.append(Point(name, _ratio(part, whole), sum(int(n) for _, n in chosen),
                                    f"{after:%Y-%m}"))  # fmt: skip
    return points


async def roll_rate(ask: Ask) -> list[Point]:
    """Share of the balance in bucket k at a month end that sits in k+1 a month later."""
    return await _movements(ask, cure=False)


async def cure_rate(ask: Ask) -> list[Point]:
    """Share of the past-due balance in bucket k that is current (or repaid) a month later."""
    return await _movements(ask, cure=True)


# ----------------------------------------------------------------------------- approvals

APPLICATION_DIMENSIONS = {
    "lane": "risk_lane", "channel": "channel", "product": "product__code",
    "branch": "customer__branch", "status": "status",
}  # fmt: skip
STAGES = (
    ("submitted", None),
    ("approved", (ApplicationStatus.APPROVED, ApplicationStatus.CONTRACTED,
                  ApplicationStatus.DISBURSED)),
    ("contracted", (ApplicationStatus.CONTRACTED, ApplicationStatus.DISBURSED)),
    ("disbursed", (ApplicationStatus.DISBURSED,)),
)  # fmt: skip


def _applications(ask: Ask) -> QuerySet[Application]:
    query = _scoped(Application.all(), ask)
    f = ask.filters
    if f.product_code:
        query = query.filter(product__code=f.product_code)
    if f.channel:
        query = query.filter(channel=_channel(f.channel, ApplicationChannel, "applications"))
    return _dated(query, ask, "submitted_at", moment=True)


def _application_key(ask: Ask) -> str | RawSQL:
    if ask.dimension == MONTH:
        return month_of("application.submitted_at")
    return APPLICATION_DIMENSIONS[ask.dimension]


async def funnel(ask: Ask) -> list[Point]:
    """Submitted → approved → contracted → disbursed, per dimension value (series = stage)."""
    points = []
    for stage, statuses in STAGES:
        query = _applications(ask)
        if statuses is not None:
            query = query.filter(status__in=statuses)
        if ask.dimension == "stage":
            n = await query.count()
            points.append(Point(stage, n, n))
            continue
        for row in await _grouped(query, _application_key(ask), {"n": Count("id")}):
            points.append(Point(row["key"], int(row["n"]), int(row["n"]), stage))
    return points


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    rank = share * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


async def decision_hours(ask: Ask) -> list[Point]:
    """Hours from submission to decision: median and 90th percentile per dimension value.

    Continuous percentiles (linear between ranks): ``percentile_cont`` in PostgreSQL, the same
    arithmetic in Python over the decided rows on SQLite, which has no percentile function.
    """
    key = "month_key" if ask.dimension == MONTH else APPLICATION_DIMENSIONS[ask.dimension]
    query = _applications(ask).filter(decided_at__isnull=False)
    if ask.dimension == MONTH:
        query = query.annotate(month_key=month_of("application.submitted_at"))
    points = []
    if _dialect() == "postgres":
        span = "EXTRACT(EPOCH FROM application.decided_at - application.submitted_at) / 3600"
        rows = await query.annotate(
            median=RawSQL(f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {span})"),
            p90=RawSQL(f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {span})"), n=Count("id"),
        ).group_by(key).values(key, "median", "p90", "n")  # fmt: skip
        for row in sorted(rows, key=lambda r: str(r[key])):
            name = _label(row[key])
            points.append(Point(name, round(max(float(row["median"]), 0), 2), int(row["n"]),
                                "median"))  # fmt: skip
            points.append(Point(name, round(max(float(row["p90"]), 0), 2), int(row["n"]), "p90"))
        return points
    spans: defaultdict[str, list[float]] = defaultdict(list)
    for row in await query.values(key, "submitted_at", "decided_at"):
        name = _label(row[key])
        hours = (row["decided_at"] - row["submitted_at"]).total_seconds() / 3600
        spans[name].append(hours)
    for name in sorted(spans):
        count = len(spans[name])
        points.append(Point(name, round(max(_percentile(spans[name], 0.5), 0), 2), count,
                            "median"))  # fmt: skip
        points.append(Point(name, round(max(_percentile(spans[name], 0.9), 0), 2), count, "p90"))
    return points


async def no_human_share(ask: Ask) -> list[Point]:
    """Share of decided applications whose approval gave no person a task."""
    human = RawSQL(
        "EXISTS (SELECT 1 FROM work_task w JOIN process_instance p ON p.id = w.instance_id "
        "WHERE p.business_key = 'application:' || CAST(application.id AS TEXT))"
    )
    decided = _applications(ask).filter(decided_at__isnull=False).annotate(human=human)
    by = _application_key(ask)
    if isinstance(by, RawSQL):
        decided = decided.annotate(key=by)
        by = "key"
    rows = await decided.annotate(n=Count("id")).group_by(by, "human").values(by, "human", "n")
    total: defaultdict[str, int] = defaultdict(int)
    alone: defaultdict[str, int] = defaultdict(int)
    for row in rows:
        name = _label(row[by])
        total[name] += int(row["n"])
        if not row["human"]:
            alone[name] += int(row["n"])
    return [Point(k, _ratio(alone[k], total[k]), total[k]) for k in sorted(total)]


# ----------------------------------------------------------------------------- collections


async def _cases(ask: Ask) -> dict[int, list[tuple[datetime, str]]]:
    """Per loan, its collections cases (opened, strategy), oldest first, within scope."""
    rows = (
        await _scoped(CollectionCase.all(), ask)
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
    calls = _dated(_scoped(Interaction.filter(direction=Direction.OUTBOUND, source="collections"),
                           ask), ask, "occurred_at", moment=True)  # fmt: skip
    sent = _dated(_scoped(OutboxMessage.filter(purpose=MessagePurpose.COLLECTION,
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
        for row in await _grouped(query, by, {"n": Count("id")}):
            points.append(Point(row["key"], int(row["n"]), int(row["n"]), series))
    return points


async def promises_kept(ask: Ask) -> list[Point]:
    """Share of promises to pay, due by the business date, that were kept in full and in time."""
    promises = _dated(_scoped(Interaction.filter(promise_date__isnull=False,
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
    return [Point(k, _ratio(sum(v), len(v)), len(v)) for k, v in sorted(kept.items())]


async def recovered(ask: Ask) -> list[Point]:
    """Payments received on loans while a collections case was open on them."""
    cases = await _cases(ask)
    if not cases:
        return []
    with_cases = _scoped(CollectionCase.all(), ask).values("loan_id")
    query = _dated(Payment.filter(loan_id__in=Subquery(with_cases)), ask, "paid_at", moment=True)
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
    query = _dated(_scoped(CollectionCase.all(), ask), ask, "opened_at", moment=True)
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
    return [Point(r["key"], _ratio(int(r["cured"] or 0), int(r["n"])), int(r["n"]))
            for r in await _grouped(query, by, values)]  # fmt: skip


async def blocked(ask: Ask) -> list[Point]:
    """Messages the contact policy dropped or deferred, by reason, purpose or channel."""
    query = _dated(_scoped(OutboxMessage.filter(
        status__in=(MessageStatus.DROPPED, MessageStatus.DEFERRED)), ask),
        ask, "created_at", moment=True)  # fmt: skip
    if ask.filters.channel:
        query = query.filter(channel=ask.filters.channel)
    by: str | RawSQL = (
        month_of("outbox_message.created_at") if ask.dimension == MONTH else ask.dimension
    )
    return [Point(r["key"], int(r["n"]), int(r["n"]), str(r["status"]))
            for r in await _grouped_with_status(query, by)]  # fmt: skip


async def _grouped_with_status(query: QuerySet[Any], by: str | RawSQL) -> list[dict[str, Any]]:
    out = []
    for status in (MessageStatus.DROPPED, MessageStatus.DEFERRED):
        for row in await _grouped(query.filter(status=status), by, {"n": Count("id")}):
            out.append({**row, "status": status.value})
    return out


# ----------------------------------------------------------------------------- customers

CUSTOMER_DIMENSIONS = ("rfm_segment", "risk_rating", "lifecycle_stage", "branch", "kind")


async def customer_count(ask: Ask) -> list[Point]:
    """Customers per profile label (or per administrator's segment)."""
    query = _scoped(Customer.all(), ask, customer="id")
    if ask.dimension == "segment":
        rows = await _grouped(
            SegmentMember.filter(customer_id__in=Subquery(query.values("id"))),
            "segment__name", {"n": Count("id")},
        )  # fmt: skip
    else:
        rows = await _grouped(query, ask.dimension, {"n": Count("id")})
    return [Point(r["key"], int(r["n"]), int(r["n"])) for r in rows]


async def label_changes(ask: Ask) -> list[Point]:
    """Customers moving into each value of a label (series = the label) in the time range."""
    label = ask.dimension
    query = _dated(_scoped(ProfileChange.filter(label=label), ask), ask, "business_date",
                   moment=False)  # fmt: skip
    rows = await _grouped(query, "new", {"n": Count("id")})
    return [Point(r["key"], int(r["n"]), int(r["n"]), label) for r in rows]


async def reminder_reach(ask: Ask) -> list[Point]:
    """Share of pre-due reminders produced that were sent (the rest blocked or waiting)."""
    query = _dated(_scoped(OutboxMessage.filter(purpose=MessagePurpose.REMINDER), ask),
                   ask, "created_at", moment=True)  # fmt: skip
    by: str | RawSQL = (
        month_of("outbox_message.created_at") if ask.dimension == MONTH else "channel"
    )
    values = {"n": Count("id"), "sent": Count("id", _filter=Q(status=MessageStatus.SENT))}
    return [Point(r["key"], _ratio(int(r["sent"] or 0), int(r["n"])), int(r["n"]))
            for r in await _grouped(query, by, values)]  # fmt: skip


async def campaign_responses(ask: Ask) -> list[Point]:
    """Per campaign: invited, sent, opened, clicked and converted (series = the step)."""
    found = await campaigns.tallies(_scoped(CampaignResponse.all(), ask))
    points = []
    for cid, code in await Campaign.all().order_by("starts_on", "id").values_list("id", "code"):
        figures = found.get(int(cid), {})
        for series in ("invited", "sent", "opened", "clicked", "converted"):
            n = figures.get(series, 0)
            points.append(Point(str(code), n, n, series))
    return points


# ----------------------------------------------------------------------------- catalogue

_LOAN_DIMS = (*LOAN_DIMENSIONS, MONTH)
_APP_DIMS = (*APPLICATION_DIMENSIONS, MONTH)
MEASURES: dict[str, Measure] = {m.name: m for m in (
    Measure("portfolio.outstanding", "Outstanding balance", "money", _LOAN_DIMS, "loans",
            outstanding, "Outstanding principal of active loans."),
    Measure("portfolio.loans", "Active loans", "count", _LOAN_DIMS, "loans", loan_count),
    Measure("portfolio.default_rate", "Default rate (90+ DPD)", "ratio",
            ("product", "branch", "risk_rating", "bucket", MONTH), "loans", default_rate,
            "Share of the outstanding balance 90 or more days past due."),
    Measure("portfolio.roll_rate", "Roll rate", "ratio", ("bucket",), "loans", roll_rate,
            "Share of the balance in a bucket at a month end that is one bucket later a month "
            "later; one series per month."),
    Measure("portfolio.cure_rate", "Cure rate", "ratio", ("bucket",), "loans", cure_rate,
            "Share of the balance in a past-due bucket that is current or repaid a month later."),
    Measure("approvals.funnel", "Approval funnel", "count", ("stage", *_APP_DIMS),
            "applications", funnel, "Submitted, approved, contracted and disbursed.",
            ("date", "branch", "product", "channel", "segment")),
    Measure("approvals.decision_hours", "Time to decision (hours)", "hours", _APP_DIMS,
            "applications", decision_hours, "Median and 90th percentile.",
            ("date", "branch", "product", "channel", "segment")),
    Measure("approvals.no_human_share", "Decided with no human", "ratio", _APP_DIMS,
            "applications", no_human_share, "",
            ("date", "branch", "product", "channel", "segment")),
    Measure("collections.contacts", "Collection contacts", "count",
            ("channel", "strategy", MONTH), "customers", contacts),
    Measure("collections.promises_kept", "Promise-to-pay kept rate", "ratio", ("channel", MONTH),
            "customers", promises_kept),
    Measure("collections.recovered", "Recovered amount", "money", ("strategy", "product", MONTH),
            "loans", recovered, "Payments on loans after their collections case opened."),
    Measure("collections.cure_rate", "Collections cure rate", "ratio",
            ("strategy", "bucket", MONTH), "loans", case_cure_rate,
            "Share of cases opened in the range whose loan is now current or repaid."),
    Measure("collections.blocked", "Messages blocked by the contact policy", "count",
            ("reason", "purpose", "channel", MONTH), "customers", blocked, "",
            ("date", "branch", "channel", "segment")),
    Measure("customers.count", "Customers", "count", (*CUSTOMER_DIMENSIONS, "segment"),
            "customers", customer_count, "", ("branch", "segment")),
    Measure("customers.label_changes", "Profile movements", "count",
            ("rfm_segment", "risk_rating", "lifecycle_stage"), "customers", label_changes,
            "Customers moving into each value of a label in the time range."),
    Measure("customers.reminder_reach", "Reminder reach", "ratio", ("channel", MONTH),
            "customers", reminder_reach, "Share of pre-due reminders that were sent."),
    Measure("customers.campaign_responses", "Campaign responses", "count", ("campaign",),
            "customers", campaign_responses),
)}  # fmt: skip


def check(name: str, dimension: str | None) -> tuple[Measure, str]:
    """The measure and the dimension to use (its first by default); unknown ones are refused."""
    measure = MEASURES.get(name)
    if measure is None:
        raise ValidationError.single(
            "measure", f"no measure {name!r}; known: {', '.join(MEASURES)}"
        )
    chosen = dimension or measure.dimensions[0]
    if chosen not in measure.dimensions:
        known = ", ".join(measure.dimensions)
        raise ValidationError.single("dimension", f"{name} is broken down by {known}")
    return measure, chosen


async def run(name: str, dimension: str | None, filters: Filters, customers: Q | None,
              today: date) -> tuple[Measure, str, list[Point]]:  # fmt: skip
    """The measure's points for the caller's customers."""
    measure, chosen = check(name, dimension)
    if filters.segment and not await Segment.exists(name=filters.segment):
        raise ValidationError.single("filter.segment", f"no segment named {filters.segment!r}")
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise ValidationError.single("filter.dateTo", "is before dateFrom")
    return measure, chosen, await measure.compute(Ask(chosen, filters, customers, today))
