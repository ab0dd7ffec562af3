"""Fill a fresh database for the fuzzer: a small demo portfolio, the bundled processes, tasks.

Run as `python -m tests.fuzz.seed URL` in a child process, so the fuzz test's own event loop
and Tortoise state stay untouched.
"""

import asyncio
import sys
from datetime import UTC, date, datetime
from decimal import Decimal

from tortoise import Tortoise

from domain import migrate

PASSWORD = "fuzz-password"
BUSINESS_DATE = date(2026, 6, 15)
CUSTOMERS = 24


async def main(url: str) -> None:
    """Migrate, seed, deploy the bundled processes and start a few approvals (open tasks)."""
    from bpmn import approval
    from bpmn.deployments import deploy_bundled
    from domain.application import service as applications
    from domain.credit.models import CreditReport
    from domain.customer.models import Customer
    from domain.seed.generator import seed

    await migrate.init(url)
    try:
        await migrate.apply(url)
        await seed(customers=CUSTOMERS, demo_password=PASSWORD, business_date=BUSINESS_DATE)
        await deploy_bundled()
        for n, customer in enumerate(await Customer.all().order_by("id").limit(4)):
            if n:  # the first has no report: its pull fails, an instance to retry
                await CreditReport.create(customer_id=customer.id, bureau="FUZZ", score=640,
                                          pulled_at=datetime(2026, 6, 10, tzinfo=UTC))  # fmt: skip
            row = await applications.submit(
                customer_id=customer.id, product_code="CONSUMER", amount=Decimal("20000.00"),
                term_months=12, channel="BRANCH", purpose="fuzz",
            )  # fmt: skip
            await approval.start_for(row.id)
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
