"""The portfolio built inside PostgreSQL (bench/portfolio) has the shape the domain relies on."""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from tortoise import connections

from bench import portfolio
from bpmn import daily
from domain.db import is_postgres
from domain.loan.delinquency import bucket_for
from domain.loan.models import Installment, Loan, LoanStatus
from domain.loan.schedule import first_due_date, schedule_for
from domain.loan.service import refresh_delinquency
from domain.settings import settings
from tests.conftest import TODAY

pytestmark = pytest.mark.skipif(
    not is_postgres(os.environ.get("DATABASE_URL") or "sqlite://x"),
    reason="the portfolio is built by PostgreSQL statements (runs when DATABASE_URL is PostgreSQL)",
)
CUSTOMERS = 500


async def _scalar(sql: str) -> int:
    _, rows = await connections.get("default").execute_query(sql)
    return int(next(iter(rows[0].values())))


async def test_a_tiny_sql_built_portfolio_keeps_the_domain_invariants_and_runs_a_daily_run(
    shipped_processes: str,
) -> None:
    # given a 500-customer portfolio built by set-based SQL as of the business date
    built = await portfolio.build(customers=CUSTOMERS, demo_password="pw", business_date=TODAY)
    counts = await portfolio.row_counts()

    # then the counts scale as designed: about 1.2 loans a customer, 10-18 installments a loan
    assert counts["customer"] == CUSTOMERS and built.customers == CUSTOMERS
    assert 1.05 * CUSTOMERS <= counts["loan"] <= 1.4 * CUSTOMERS
    assert 10 * counts["loan"] <= counts["installment"] <= 18 * counts["loan"]
    assert counts["contract"] == counts["loan"] and counts["application"] > counts["loan"]
    assert counts["payment"] > 0.4 * counts["installment"]
    # every loan's installments' principal parts sum exactly to its principal, for every loan
    assert (
        await _scalar("""
        SELECT count(*) FROM loan l LEFT JOIN (SELECT loan_id, sum(principal_due) AS p
        FROM installment GROUP BY loan_id) i ON i.loan_id = l.id
        WHERE i.p IS DISTINCT FROM l.principal""")
        == 0
    )
    # and the schedules are the ones the domain makes, cent for cent
    for loan in await Loan.all().order_by("id").limit(40):
        planned = schedule_for(
            principal=loan.principal, annual_rate=loan.annual_rate, term_months=loan.term_months,
            first_due=first_due_date(loan.disbursed_on), method=loan.method,
        )  # fmt: skip
        rows = await Installment.filter(loan_id=loan.id).order_by("seq")
        assert [(r.seq, r.due_date, r.principal_due, r.interest_due) for r in rows] == [
            (p.seq, p.due_date, p.principal_due, p.interest_due) for p in planned
        ]
    # every loan has its customer, every payment its allocations, every allocation its payment
    assert (
        await _scalar("""SELECT count(*) FROM loan l LEFT JOIN customer c
        ON c.id = l.customer_id WHERE c.id IS NULL""")
        == 0
    )
    assert (
        await _scalar("""
        SELECT count(*) FROM payment p LEFT JOIN (SELECT payment_id, sum(fee + interest
        + principal) AS s FROM payment_allocation GROUP BY payment_id) a ON a.payment_id = p.id
        WHERE p.amount IS DISTINCT FROM a.s + p.credit + p.principal_prepaid""")
        == 0
    )
    assert (
        await _scalar("""
        SELECT count(*) FROM installment i LEFT JOIN (SELECT installment_id, sum(principal) AS p,
        sum(interest) AS n FROM payment_allocation GROUP BY installment_id) a
        ON a.installment_id = i.id WHERE i.principal_paid <> coalesce(a.p, 0)
        OR i.interest_paid <> coalesce(a.n, 0)
        OR (i.paid_on IS NOT NULL) <> (i.principal_paid = i.principal_due
                                       AND i.interest_paid = i.interest_due)""")
        == 0
    )
    assert (
        await _scalar("""
        SELECT count(*) FROM loan l JOIN (SELECT loan_id, sum(principal_paid) AS s
        FROM installment GROUP BY loan_id) i ON i.loan_id = l.id
        WHERE l.outstanding_principal <> l.principal - i.s""")
        == 0
    )
    # each active loan's DPD and bucket agree with its oldest unpaid installment
    buckets = settings().buckets
    for loan in await Loan.filter(status=LoanStatus.ACTIVE):
        unpaid = (
            await Installment.filter(loan_id=loan.id, paid_on__isnull=True, due_date__lt=TODAY)
            .order_by("due_date")
            .first()
        )
        dpd = (TODAY - unpaid.due_date).days if unpaid else 0
        assert (loan.days_past_due, loan.bucket) == (dpd, bucket_for(dpd, buckets)), loan.id
    assert await refresh_delinquency(TODAY) == 0  # the domain finds nothing to change
    assert await Loan.filter(status=LoanStatus.ACTIVE, days_past_due__gt=0).count() > 0
    assert await Loan.filter(status=LoanStatus.CHARGED_OFF).count() > 0
    assert await Loan.filter(status=LoanStatus.CLOSED, outstanding_principal=Decimal(0)).count() > 0
    # a few percent of active loans fall past due on the next date; reminders are due then
    tomorrow = TODAY + timedelta(days=1)
    newly = await _scalar(f"""
        SELECT count(DISTINCT l.id) FROM loan l JOIN installment i ON i.loan_id = l.id
        WHERE l.status = 'ACTIVE' AND l.days_past_due = 0 AND i.paid_on IS NULL
        AND i.due_date = '{TODAY}'""")
    active = await Loan.filter(status=LoanStatus.ACTIVE).count()
    assert 0 < newly < 0.1 * active

    # when the daily run of the next business date runs over it
    report = await daily.run(tomorrow)

    # then every step is done, and the newly past-due loans are among those collected
    assert report.done, (report.failures, report.waiting)
    assert set(report.steps) == {name for name, _ in daily.STEPS}
    assert report.steps["delinquency"]["loans_changed"] >= newly
    assert report.steps["collections"]["started"] > 0
    assert report.steps["reminders"]["queued"] > 0
