"""Approval measures: the funnel, time to decision, decisions with no human."""

from __future__ import annotations

from collections import defaultdict

from tortoise.expressions import RawSQL
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from domain.application.models import Application, ApplicationChannel, ApplicationStatus
from domain.reports.asks import (
    MONTH,
    Ask,
    Point,
    checked_channel,
    dated,
    dialect,
    grouped,
    label_of,
    month_of,
    ratio,
    scoped,
)

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
    query = scoped(Application.all(), ask)
    f = ask.filters
    if f.product_code:
        query = query.filter(product__code=f.product_code)
    if f.channel:
        query = query.filter(channel=checked_channel(f.channel, ApplicationChannel, "applications"))
    return dated(query, ask, "submitted_at", moment=True)


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
        for row in await grouped(query, _application_key(ask), {"n": Count("id")}):
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
    if dialect() == "postgres":
        span = "EXTRACT(EPOCH FROM application.decided_at - application.submitted_at) / 3600"
        rows = await query.annotate(
            median=RawSQL(f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {span})"),
            p90=RawSQL(f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {span})"), n=Count("id"),
        ).group_by(key).values(key, "median", "p90", "n")  # fmt: skip
        for row in sorted(rows, key=lambda r: str(r[key])):
            name = label_of(row[key])
            points.append(Point(name, round(max(float(row["median"]), 0), 2), int(row["n"]),
                                "median"))  # fmt: skip
            points.append(Point(name, round(max(float(row["p90"]), 0), 2), int(row["n"]), "p90"))
        return points
    spans: defaultdict[str, list[float]] = defaultdict(list)
    for row in await query.values(key, "submitted_at", "decided_at"):
        name = label_of(row[key])
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
        name = label_of(row[by])
        total[name] += int(row["n"])
        if not row["human"]:
            alone[name] += int(row["n"])
    return [Point(k, ratio(alone[k], total[k]), total[k]) for k in sorted(total)]
