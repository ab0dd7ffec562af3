"""Month-end loan positions, computed from the repayment schedules as they stood that day.

A position at month end D is taken from the facts, not from today's loan row: DPD counts from
the oldest installment due before D that was not paid by D, the balance is the principal of
the installments not paid by D. Each complete month (its end before the business date) is
computed once, the last ``MONTHS`` of them on the first run, one more each month after, and
summed by product and bucket (:class:`LoanMonthSummary`) for the portfolio-wide rates.

The daily run writes positions range of customers by range (:func:`keep_positions`, any
worker, any order) and sums a month end once every range has been written
(:func:`summarize_missing`); a summary is the mark of a month end kept for everyone.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta
from decimal import Decimal

from tortoise.functions import Count, Sum

from domain import sqltext
from domain.daily.chunks import EVERYONE, Span
from domain.reports.models import LoanMonthEnd, LoanMonthSummary
from domain.settings import settings

MONTHS = 13  # a year of month-over-month movements
BATCH = 1000


def month_ends(before: date, count: int = MONTHS) -> list[date]:
    """The last ``count`` month ends strictly before ``before``, oldest first."""
    out: list[date] = []
    end = before.replace(day=1) - timedelta(days=1)
    while len(out) < count:
        out.append(end)
        end = end.replace(day=1) - timedelta(days=1)
    return sorted(out)


def end_of(month: date) -> date:
    """The last day of ``month``'s month."""
    return month.replace(day=monthrange(month.year, month.month)[1])


# positions of the span's loans open at the month end: DPD from the oldest installment due
# before it and not paid by it, the balance from the principal not paid by it; the bucket
# before from the month end before (loans open then)
POSITIONS = """
INSERT INTO loan_month_end (month_end, loan_id, customer_id, bucket, days_past_due,
                            outstanding, prev_bucket, prev_outstanding)
SELECT :end, x.id, x.customer_id, {bucket}, x.dpd, x.owed, p.bucket, p.outstanding
FROM (
  SELECT l.id, l.customer_id,
         COALESCE({days_since_oldest}, 0) AS dpd,
         COALESCE(SUM(i.principal_due) FILTER (WHERE {unpaid}), 0) AS owed
  FROM loan l LEFT JOIN installment i ON i.loan_id = l.id
  WHERE l.disbursed_on <= :end AND (l.closed_on IS NULL OR l.closed_on > :end) AND {span}
  GROUP BY l.id, l.customer_id
) x
LEFT JOIN loan_month_end p ON p.month_end = :before AND p.loan_id = x.id
  AND p.bucket NOT IN ('CLOSED', 'CHARGED_OFF')"""
# the span's loans closed or charged off during the month: a row each, nothing outstanding
GONE = """
INSERT INTO loan_month_end (month_end, loan_id, customer_id, bucket, days_past_due,
                            outstanding, prev_bucket, prev_outstanding)
SELECT :end, l.id, l.customer_id,
       CASE WHEN l.status = 'CHARGED_OFF' THEN 'CHARGED_OFF' ELSE 'CLOSED' END, 0, 0,
       p.bucket, p.outstanding
FROM loan l
LEFT JOIN loan_month_end p ON p.month_end = :before AND p.loan_id = l.id
  AND p.bucket NOT IN ('CLOSED', 'CHARGED_OFF')
WHERE l.closed_on >= :start AND l.closed_on <= :end AND {span}"""


def _statement(template: str, pg: bool, customers: Span) -> str:
    """The statement of one month end for the span, in the connection's dialect."""
    unpaid = "i.paid_on IS NULL OR i.paid_on > :end"
    oldest = f"MIN(i.due_date) FILTER (WHERE ({unpaid}) AND i.due_date < :end)"
    bucket, _ = sqltext.bucket_case("x.dpd", settings().buckets)
    return (
        template.replace("{bucket}", bucket)
        .replace("{days_since_oldest}", sqltext.days_between(":end", oldest, pg=pg))
        .replace("{unpaid}", unpaid)
        .replace("{span}", customers.where("l.customer_id"))
    )


async def _keep_positions(end: date, customers: Span) -> int:
    """Write the month end's rows of the span (two set-based statements); returns how many."""
    pg = sqltext.postgres()
    _, names = sqltext.bucket_case("x.dpd", settings().buckets)
    values = {"end": end, "start": end.replace(day=1), "before": end.replace(day=1)
              - timedelta(days=1), "lo": customers.lo, "hi": customers.hi, **names}  # fmt: skip
    for template in (POSITIONS, GONE):
        await sqltext.execute(_statement(template, pg, customers), values)
    return await LoanMonthEnd.filter(customers.q(), month_end=end).count()


async def summarize(end: date) -> int:
    """Sum the month end's positions by product, bucket and bucket before (one grouped read);
    returns the summary rows made."""
    grouped = await (
        LoanMonthEnd.filter(month_end=end)
        .annotate(n=Count("id"), owed=Sum("outstanding"), before=Sum("prev_outstanding"))
        .group_by("loan__product_id", "bucket", "prev_bucket")
        .values_list("loan__product_id", "bucket", "prev_bucket", "n", "owed", "before")
    )  # fmt: skip
    await LoanMonthSummary.filter(month_end=end).delete()
    await LoanMonthSummary.bulk_create([
        LoanMonthSummary(month_end=end, product_id=product, bucket=bucket, prev_bucket=prev,
                         loans=n, outstanding=Decimal(owed or 0),
                         prev_outstanding=None if before is None else Decimal(before))
        for product, bucket, prev, n, owed, before in grouped
    ], batch_size=BATCH)  # fmt: skip
    return len(grouped)


async def _summarized(ends: list[date]) -> set[date]:
    """Which of these month ends are summed (and so kept for everyone): one statement."""
    found = (
        await LoanMonthSummary.filter(month_end__in=ends)
        .distinct()
        .values_list("month_end", flat=True)
    )
    return set(found)  # type: ignore[arg-type]


async def keep_positions(
    day: date, customers: Span = EVERYONE, months: int = MONTHS
) -> dict[str, int]:
    """Write the positions of the span's loans at the month ends before ``day`` not yet kept
    (a month end whose summary exists is kept for everyone); returns the months and rows made.

    Months go oldest first, each reading the one before for the bucket before.
    """
    made = computed = 0
    ends = month_ends(day, months)
    summed = await _summarized(ends)
    for end in ends:
        if end in summed:
            continue
        if await LoanMonthEnd.exists(customers.q(), month_end=end):
            continue  # this span's done, others maybe not (a month without loans: again)
        rows = await _keep_positions(end, customers)
        made += rows
        computed += 1 if rows else 0
    return {"months": computed, "rows": made}


async def summarize_missing(day: date, months: int = MONTHS) -> dict[str, int]:
    """Sum the month ends before ``day`` whose positions are kept (for every span) and that
    have no summary yet; returns the month ends summed."""
    summed = 0
    ends = month_ends(day, months)
    done = await _summarized(ends)
    for end in ends:
        if end not in done and await LoanMonthEnd.exists(month_end=end):
            await summarize(end)
            summed += 1
    return {"summarized": summed}


async def ensure(day: date, months: int = MONTHS) -> dict[str, int]:
    """Compute the month ends before ``day`` that are missing, positions and summaries, for
    every customer at once; returns how many months and rows were made."""
    made = await keep_positions(day, EVERYONE, months)
    await summarize_missing(day, months)
    return made
