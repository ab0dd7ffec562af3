"""Bulk start benchmark: durable instances started in bulk against one by one, in one run.

Builds N past-due loans (default 5,000: customers of every risk and value, one to three
overdue installments each, three collectors) with set-based inserts into a fresh database,
then starts collections for a sample of them one by one (``runner.start`` and a case, as the
daily run did) and, after undoing that, for all of them in bulk (``bpmn.bulk``), and does the
same for limit-increase offers. Prints ms per instance and SQL statements per batch.

    python bench/bulk_start.py [--loans 5000] [--sample 300] [--database-url postgres://…/empty]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tortoise import Tortoise

from domain import migrate
from domain.db import is_postgres, tortoise_config

os.environ.setdefault("LENDGRAPH_MODE", "demo")  # the bench sets the business date
TODAY = date(2026, 6, 15)


async def _build(count: int) -> None:
    """N customers with one past-due loan each (set-based inserts), their DPD and bucket set."""
    from domain.clock import service as clock
    from domain.customer.models import Customer
    from domain.enums import Channel, RiskRating
    from domain.loan.delinquency import bucket_for
    from domain.loan.models import AmortizationMethod, Installment, Loan, LoanStatus
    from domain.product.models import Product
    from domain.settings import settings
    from domain.user.models import User

    await clock.set_(TODAY, allow_backwards=True, pinned_time=datetime(2026, 1, 1, 10).time())
    for n, branch in enumerate(("SH", "SH", "BJ")):
        await User.create(username=f"collector{n}", roles=["collector"], branch=branch)
    product = await Product.create(
        code="BENCH", name="bench", method=AmortizationMethod.EQUAL_INSTALLMENT,
        min_rate=Decimal("0.01"), max_rate=Decimal("0.5"), min_term=1, max_term=60,
        min_amount=Decimal("100"), max_amount=Decimal("1000000"),
    )  # fmt: skip
    risks = (RiskRating.LOW, RiskRating.MEDIUM, RiskRating.HIGH, None)
    segments = ("CHAMPIONS", "LOST", None, "LOYAL", "POTENTIAL")
    await Customer.bulk_create([
        Customer(name=f"客户{n}", phone=None if n % 9 == 8 else f"139{n:08d}",
                 email=f"c{n}@example.com", preferred_channel=Channel.SMS,
                 branch=("SH", "BJ")[n % 2], risk_rating=risks[n % 4],
                 rfm_segment=segments[n % 5])
        for n in range(count)
    ], batch_size=1000)  # fmt: skip
    owners = await Customer.all().order_by("id").values_list("id", flat=True)
    await Loan.bulk_create([
        Loan(customer_id=cid, product_id=product.id, principal=Decimal("12000.00"),
             outstanding_principal=Decimal("12000.00"), annual_rate=Decimal("0.12"),
             term_months=12, method=AmortizationMethod.EQUAL_INSTALLMENT,
             disbursed_on=TODAY - timedelta(days=35 + 30 * (n % 3)),
             status=LoanStatus.ACTIVE)
        for n, cid in enumerate(owners)
    ], batch_size=1000)  # fmt: skip
    rows = []
    for n, (loan_id, disbursed) in enumerate(
        await Loan.all().order_by("id").values_list("id", "disbursed_on")
    ):
        for seq in range(1, 4):
            rows.append(Installment(
                loan_id=loan_id, seq=seq, due_date=disbursed + timedelta(days=30 * seq),
                principal_due=Decimal("1000.00"), interest_due=Decimal("120.00") - n % 7,
                fee_due=Decimal("0.00"),
            ))  # fmt: skip
    await Installment.bulk_create(rows, batch_size=1000)
    for first_due in {row.due_date for row in rows if row.seq == 1}:  # three groups of loans
        dpd = (TODAY - first_due).days
        await Loan.filter(disbursed_on=first_due - timedelta(days=30)).update(
            days_past_due=dpd, bucket=bucket_for(dpd, settings().buckets), dpd_as_of=TODAY
        )


async def _undo() -> None:
    from domain.loan.models import Loan
    from domain.outreach.models import OutboxMessage
    from domain.process.models import ProcessInstance, ProcessWait, TaskEvent, WorkTask
    from domain.reports.models import CollectionCase

    for model in (CollectionCase, TaskEvent, ProcessWait, WorkTask, OutboxMessage):
        await model.all().delete()
    await ProcessInstance.all().delete()
    await Loan.all().update(collector_id=None)


async def _collections(sample: int) -> tuple[float, float, int, int]:
    from bpmn import bulk, collections, runner
    from domain.clock import service as clock
    from domain.loan.models import Loan, LoanStatus
    from domain.reports.models import CollectionCase
    from domain.statements import count_statements

    past_due = await Loan.filter(status=LoanStatus.ACTIVE, days_past_due__gt=0).order_by("id")
    began = time.perf_counter()
    for loan in past_due[:sample]:
        view = await runner.start(
            "collections", await collections.start_data(loan), business_key=f"loan:{loan.id}"
        )
        await CollectionCase.create(
            loan_id=loan.id, customer_id=loan.customer_id, instance_id=view.id,  # type: ignore[attr-defined]
            strategy=view.data.get("strategy"), bucket=loan.bucket, opened_at=await clock.now(),
        )  # fmt: skip
    single = (time.perf_counter() - began) / sample * 1000
    await _undo()
    began = time.perf_counter()
    started = await collections.start_for_past_due(limit=10_000_000)
    many = (time.perf_counter() - began) / len(started) * 1000
    await _undo()
    with count_statements() as log:  # apart: logging the statements costs time of its own
        await collections.start_for_past_due(limit=bulk.BATCH)
    return single, many, len(started), log.count


async def _offers(count: int, sample: int) -> tuple[float, float, int]:
    from bpmn import bulk, runner
    from domain.customer.models import Customer

    owners = await Customer.all().order_by("id").limit(count).values_list("id", flat=True)
    data = [
        {"customer_id": cid, "consecutive_on_time": 6 + cid % 5, "worst_dpd_12m": 0,
         "risk_rating": ("LOW", "MEDIUM")[cid % 2]}
        for cid in owners
    ]  # fmt: skip
    began = time.perf_counter()
    for item in data[:sample]:
        await runner.start("limit_increase", item, business_key=f"one:{item['customer_id']}")
    single = (time.perf_counter() - began) / sample * 1000
    starts = [bulk.Start(f"limit:{d['customer_id']}", d) for d in data]
    began = time.perf_counter()
    started = await bulk.start_many("limit_increase", starts, opaque=("customer_id",))
    return single, (time.perf_counter() - began) / len(started) * 1000, len(started)


async def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loans", type=int, default=5_000)
    parser.add_argument("--sample", type=int, default=300, help="started one by one")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    url = args.database_url or f"sqlite://{tempfile.mkdtemp()}/bench.db"
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    await migrate.apply(url)
    from bpmn import bulk
    from bpmn.deployments import deploy_bundled

    await deploy_bundled()
    began = time.perf_counter()
    await _build(args.loans)
    print(f"database: {'PostgreSQL' if is_postgres(url) else 'SQLite'}; load {os.getloadavg()}")
    print(f"built {args.loans} past-due loans in {time.perf_counter() - began:.1f} s")
    single, many, started, per_batch = await _collections(args.sample)
    print(f"collections: one by one {single:.1f} ms/instance ({args.sample} instances); "
          f"bulk {many:.2f} ms/instance ({started} instances, {per_batch} statements per "
          f"batch of up to {bulk.BATCH})")  # fmt: skip
    single, many, started = await _offers(args.loans, args.sample)
    print(f"limit_increase: one by one {single:.1f} ms/instance ({args.sample}); "
          f"bulk {many:.2f} ms/instance ({started})")  # fmt: skip
    print(f"load after: {os.getloadavg()}; at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


async def main() -> None:
    try:
        await _main()
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main())
