"""Month-end loan positions, computed from the repayment schedules as they stood that day.

A position at month end D is taken from the facts, not from today's loan row: DPD counts from
the oldest installment due before D that was not paid by D, the balance is the principal of
the installments not paid by D. Each complete month (its end before the business date) is
computed once, the last ``MONTHS`` of them on the first run, one more each month after, and
summed by product and bucket (:class:`LoanMonthSummary`) for the portfolio-wide rates.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tortoise import connections
from tortoise.functions import Count, Sum

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


# positions of the loans open at the month end: DPD from the oldest installment due before it
# and not paid by it, the balance from the principal not paid by it; the bucket before from
# the month end before (loans open then)
POSITIONS = """
INSERT INTO loan_month_end (month_end, loan_id, customer_id, bucket, days_past_due,
                            outstanding, prev_bucket, prev_outstanding)
SELECT {end}, x.id, x.customer_id, {bucket}, x.dpd, x.owed, p.bucket, p.outstanding
FROM (
  SELECT l.id, l.customer_id,
         COALESCE({days_since_oldest}, 0) AS dpd,
         COALESCE(SUM(i.principal_due) FILTER (WHERE {unpaid}), 0) AS owed
  FROM loan l LEFT JOIN installment i ON i.loan_id = l.id
  WHERE l.disbursed_on <= {end} AND (l.closed_on IS NULL OR l.closed_on > {end})
  GROUP BY l.id, l.customer_id
) x
LEFT JOIN loan_month_end p ON p.month_end = {before} AND p.loan_id = x.id
  AND p.bucket NOT IN ('CLOSED', 'CHARGED_OFF')"""
# loans closed or charged off during the month: a row each, nothing outstanding
GONE = """
INSERT INTO loan_month_end (month_end, loan_id, customer_id, bucket, days_past_due,
                            outstanding, prev_bucket, prev_outstanding)
SELECT {end}, l.id, l.customer_id,
       CASE WHEN l.status = 'CHARGED_OFF' THEN 'CHARGED_OFF' ELSE 'CLOSED' END, 0, 0,
       p.bucket, p.outstanding
FROM loan l
LEFT JOIN loan_month_end p ON p.month_end = {before} AND p.loan_id = l.id
  AND p.bucket NOT IN ('CLOSED', 'CHARGED_OFF')
WHERE l.closed_on >= {start} AND l.closed_on <= {end}"""


def _sql(template: str, postgres: bool, end: date) -> tuple[str, list[Any]]:
    """The statement for one month end in the connection's dialect, and its parameters."""
    values: list[Any] = []

    def param(value: Any) -> str:
        values.append(value)
        return f"${len(values)}" if postgres else "?"

    start, before = end.replace(day=1), end.replace(day=1) - timedelta(days=1)
    unpaid = "i.paid_on IS NULL OR i.paid_on > {end}"
    oldest = f"MIN(i.due_date) FILTER (WHERE ({unpaid}) AND i.due_date < {{end}})"
    since = (f"({{end}}::date - {oldest})" if postgres
             else f"CAST(julianday({{end}}) - julianday({oldest}) AS INTEGER)")  # fmt: skip
    cases = " ".join(
        f"WHEN x.dpd >= {b.min_dpd}" + (f" AND x.dpd <= {b.max_dpd}" if b.max_dpd is not None
                                         else "") + " THEN {" + f"bucket_{n}" + "}"
        for n, b in enumerate(settings().buckets)
    )  # fmt: skip
    names = {f"bucket_{n}": b.name for n, b in enumerate(settings().buckets)}
    text = template.replace("{bucket}", f"CASE {cases} END").replace(
        "{days_since_oldest}", since).replace("{unpaid}", unpaid)  # fmt: skip
    # parameters in the order they appear; each placeholder is one parameter
    out, rest = "", text
    known = {"end": end, "before": before, "start": start, **names}
    while "{" in rest:
        head, _, tail = rest.partition("{")
        name, _, rest = tail.partition("}")
        out += head + param(known[name])
    return out + rest, values


async def _keep_positions(end: date) -> int:
    """Write the month end's rows (two set-based statements); returns how many."""
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    for template in (POSITIONS, GONE):
        sql, values = _sql(template, postgres, end)
        await conn.execute_query(sql, values)
    return await LoanMonthEnd.filter(month_end=end).count()


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


async def ensure(day: date, months: int = MONTHS) -> dict[str, int]:
    """Compute the month ends before ``day`` that are missing; returns how many rows were made."""
    made = 0
    computed = 0
    for end in month_ends(day, months):
        if await LoanMonthEnd.exists(month_end=end):
            if not await LoanMonthSummary.exists(month_end=end):
                await summarize(end)  # positions kept before summaries were
            continue
        rows = await _keep_positions(end)
        await summarize(end)
        made += rows
        computed += 1 if rows else 0  # a month without loans is looked at again, cheaply
    return {"months": computed, "rows": made}
