"""Dashboard measures: aggregates computed in the database under the caller's customer scope.

Every measure answers a list of points ``(key, series, value, count)`` for one dimension,
within filters (time range, branch, product, channel, segment) and a scope: a filter over
customers (None: all). Grouping and sums happen in SQL; only the grouped rows come back,
except where a ratio needs per-row logic over a bounded set (promises, decision times).

This module holds the catalogue (``MEASURES``, ``check``, ``run``) and the measures of
messages, customers and campaigns; the portfolio's, approvals' and collections' are in modules
of their own, over the shared question and helpers of :mod:`domain.reports.asks`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from domain.campaign import service as campaigns
from domain.campaign.models import Campaign, CampaignResponse
from domain.customer.models import Customer
from domain.errors import ValidationError
from domain.outreach.models import MessagePurpose, MessageStatus, OutboxMessage
from domain.profile.models import ProfileChange, Segment, SegmentMember
from domain.reports.approvals import APPLICATION_DIMENSIONS as APPLICATION_DIMENSIONS
from domain.reports.approvals import STAGES as STAGES
from domain.reports.approvals import decision_hours as decision_hours
from domain.reports.approvals import funnel as funnel
from domain.reports.approvals import no_human_share as no_human_share
from domain.reports.asks import MONTH as MONTH
from domain.reports.asks import Ask as Ask
from domain.reports.asks import Filters as Filters
from domain.reports.asks import Measure as Measure
from domain.reports.asks import Point as Point
from domain.reports.asks import dated as dated
from domain.reports.asks import grouped as grouped
from domain.reports.asks import month_of as month_of
from domain.reports.asks import ratio as ratio
from domain.reports.asks import scoped as scoped
from domain.reports.collections import case_cure_rate as case_cure_rate
from domain.reports.collections import contacts as contacts
from domain.reports.collections import promises_kept as promises_kept
from domain.reports.collections import recovered as recovered
from domain.reports.portfolio import LOAN_DIMENSIONS as LOAN_DIMENSIONS
from domain.reports.portfolio import cure_rate as cure_rate
from domain.reports.portfolio import default_rate as default_rate
from domain.reports.portfolio import loan_count as loan_count
from domain.reports.portfolio import outstanding as outstanding
from domain.reports.portfolio import roll_rate as roll_rate


async def blocked(ask: Ask) -> list[Point]:
    """Messages the contact policy dropped or deferred, by reason, purpose or channel."""
    query = dated(scoped(OutboxMessage.filter(
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
        for row in await grouped(query.filter(status=status), by, {"n": Count("id")}):
            out.append({**row, "status": status.value})
    return out


# ----------------------------------------------------------------------------- customers

CUSTOMER_DIMENSIONS = ("rfm_segment", "risk_rating", "lifecycle_stage", "branch", "kind")


async def customer_count(ask: Ask) -> list[Point]:
    """Customers per profile label (or per administrator's segment)."""
    query = scoped(Customer.all(), ask, customer="id")
    if ask.dimension == "segment":
        rows = await grouped(
            SegmentMember.filter(customer_id__in=Subquery(query.values("id"))),
            "segment__name", {"n": Count("id")},
        )  # fmt: skip
    else:
        rows = await grouped(query, ask.dimension, {"n": Count("id")})
    return [Point(r["key"], int(r["n"]), int(r["n"])) for r in rows]


async def label_changes(ask: Ask) -> list[Point]:
    """Customers moving into each value of a label (series = the label) in the time range."""
    label = ask.dimension
    query = dated(scoped(ProfileChange.filter(label=label), ask), ask, "business_date",
                   moment=False)  # fmt: skip
    rows = await grouped(query, "new", {"n": Count("id")})
    return [Point(r["key"], int(r["n"]), int(r["n"]), label) for r in rows]


async def reminder_reach(ask: Ask) -> list[Point]:
    """Share of pre-due reminders produced that were sent (the rest blocked or waiting)."""
    query = dated(scoped(OutboxMessage.filter(purpose=MessagePurpose.REMINDER), ask),
                   ask, "created_at", moment=True)  # fmt: skip
    by: str | RawSQL = (
        month_of("outbox_message.created_at") if ask.dimension == MONTH else "channel"
    )
    values = {"n": Count("id"), "sent": Count("id", _filter=Q(status=MessageStatus.SENT))}
    return [Point(r["key"], ratio(int(r["sent"] or 0), int(r["n"])), int(r["n"]))
            for r in await grouped(query, by, values)]  # fmt: skip


async def campaign_responses(ask: Ask) -> list[Point]:
    """Per campaign: invited, sent, opened, clicked and converted (series = the step)."""
    found = await campaigns.tallies(scoped(CampaignResponse.all(), ask))
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
