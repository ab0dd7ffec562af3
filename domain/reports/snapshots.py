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

from tortoise.expressions import Q
from tortoise.functions import Count, Min, Sum

from domain.loan.delinquency import bucket_for
from domain.loan.models import Installment, Loan, LoanStatus
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


async def _positions(day: date) -> dict[int, tuple[int, str, int, Decimal]]:
    """loan id -> (customer id, bucket, DPD, balance) of every loan open at the end of ``day``."""
    unpaid = Q(paid_on__isnull=True) | Q(paid_on__gt=day)
    loans = await Loan.filter(
        Q(closed_on__isnull=True) | Q(closed_on__gt=day), disbursed_on__lte=day
    ).values_list("id", "customer_id")
    oldest = dict(
        await Installment.filter(unpaid, due_date__lt=day, loan__disbursed_on__lte=day)
        .annotate(first=Min("due_date")).group_by("loan_id").values_list("loan_id", "first")
    )  # fmt: skip
    owed = dict(
        await Installment.filter(unpaid, loan__disbursed_on__lte=day)
        .annotate(p=Sum("principal_due")).group_by("loan_id").values_list("loan_id", "p")
    )  # fmt: skip
    buckets = settings().buckets
    out = {}
    for loan_id, customer_id in loans:
        first = oldest.get(loan_id)
        dpd = (day - first).days if first is not None else 0
        out[loan_id] = (customer_id, bucket_for(dpd, buckets), dpd, Decimal(owed.get(loan_id) or 0))
    return out


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
    previous: dict[int, tuple[str, Decimal]] | None = None
    for end in month_ends(day, months):
        if await LoanMonthEnd.exists(month_end=end):
            previous = None  # read from the table if the next month needs it
            if not await LoanMonthSummary.exists(month_end=end):
                await summarize(end)  # positions kept before summaries were
            continue
        if previous is None:
            before = end.replace(day=1) - timedelta(days=1)
            rows = await LoanMonthEnd.filter(month_end=before).values_list(
                "loan_id", "bucket", "outstanding"
            )
            previous = {int(i): (str(b), Decimal(o)) for i, b, o in rows}
        positions = await _positions(end)
        start = end.replace(day=1)
        gone = await Loan.filter(closed_on__gte=start, closed_on__lte=end).values_list(
            "id", "customer_id", "status"
        )
        records = [
            LoanMonthEnd(month_end=end, loan_id=loan_id, customer_id=cid, bucket=bucket,
                         days_past_due=dpd, outstanding=balance,
                         prev_bucket=previous.get(loan_id, (None, None))[0],
                         prev_outstanding=previous.get(loan_id, (None, None))[1])
            for loan_id, (cid, bucket, dpd, balance) in positions.items()
        ]  # fmt: skip
        for loan_id, cid, status in gone:
            if loan_id in positions:
                continue
            ended = "CHARGED_OFF" if status == LoanStatus.CHARGED_OFF else "CLOSED"
            prev = previous.get(int(loan_id), (None, None))
            records.append(LoanMonthEnd(month_end=end, loan_id=loan_id, customer_id=cid,
                                        bucket=ended, days_past_due=0, outstanding=Decimal(0),
                                        prev_bucket=prev[0], prev_outstanding=prev[1]))  # fmt: skip
        await LoanMonthEnd.bulk_create(records, batch_size=BATCH)
        await summarize(end)
        made += len(records)
        computed += 1 if records else 0  # a month without loans is looked at again, cheaply
        previous = {r.loan_id: (r.bucket, r.outstanding) for r in records if r.bucket[0] == "M"}  # type: ignore[attr-defined]
    return {"months": computed, "rows": made}
