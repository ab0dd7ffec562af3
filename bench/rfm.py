"""RFM benchmark: scoring every customer over millions of repayments on PostgreSQL.

Builds a fresh database with N repayments (default 10,000,000): customers with one loan each
and ``--per-customer`` paid installments, written by ``INSERT … SELECT generate_series`` so
the data is made in the database. Then times ``domain.profile.rfm.compute`` (its grouped
aggregates in SQL, then the one-pass quintile scoring in Python), and prints the figures.

    python bench/rfm.py [--payments 10000000] [--per-customer 25] [--database-url postgres://…]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from collections import Counter
from datetime import date
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tortoise import Tortoise, connections

from domain import migrate
from domain.db import tortoise_config

DAY = date(2026, 6, 15)
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lendgraph_bench_rfm"


async def _fresh(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--payments", type=int, default=10_000_000)
    parser.add_argument("--per-customer", type=int, default=25)
    parser.add_argument("--database-url", default=DEFAULT_URL, help="dropped and made again")
    args = parser.parse_args()
    customers = args.payments // args.per_customer
    await _fresh(args.database_url)
    await Tortoise.init(config=tortoise_config(args.database_url), _enable_global_fallback=True)
    try:
        await migrate.apply(args.database_url)
        db = connections.get("default")
        t0 = time.perf_counter()
        await db.execute_script(f"""
            INSERT INTO product (code, name, method, min_rate, max_rate, min_term, max_term,
                                 min_amount, max_amount, active)
            VALUES ('CONSUMER', 'Consumer', 'EQUAL_INSTALLMENT', 0.01, 0.36, 3, 60, 1000,
                    3000000, true);
            INSERT INTO customer (kind, name, id_type, time_zone, consent_sms, consent_app_push,
                                  consent_email, consent_phone, created_at, updated_at)
            SELECT 'PERSON', 'bench ' || g, 'RESIDENT_ID', 'Asia/Shanghai', false, false,
                   false, false, now(), now()
            FROM generate_series(1, {customers}) g;
            INSERT INTO loan (customer_id, product_id, principal, annual_rate, term_months,
                              method, disbursed_on, status, outstanding_principal,
                              credit_balance, days_past_due, bucket, created_at)
            SELECT c.id, p.id, 5000 + (c.id % 60) * 1000, 0.12, {args.per_customer},
                   'EQUAL_INSTALLMENT', DATE '{DAY}' - 420 + (c.id % 60), 'ACTIVE',
                   1000, 0, 0, 'CURRENT', now()
            FROM customer c CROSS JOIN product p;
            INSERT INTO installment (loan_id, seq, due_date, paid_on, principal_due,
                                     interest_due, fee_due, principal_paid, interest_paid,
                                     fee_paid)
            SELECT l.id, s, l.disbursed_on + s * 14,
                   l.disbursed_on + s * 14 + ((l.id * 7 + s) % 9) - 5,
                   200, 10 + (l.id % 37), 0, 200, 10 + (l.id % 37), 0
            FROM loan l CROSS JOIN generate_series(1, {args.per_customer}) s;
            ANALYZE;
        """)  # fmt: skip
        built = time.perf_counter() - t0
        _, rows = await db.execute_query("SELECT count(*) AS n FROM installment")
        payments = int(rows[0]["n"])
        from domain.profile import rfm

        timings = []
        result: dict[int, rfm.Rfm] = {}
        for _ in range(2):
            t1 = time.perf_counter()
            result = await rfm.compute(DAY)
            timings.append(time.perf_counter() - t1)
    finally:
        await Tortoise.close_connections()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    segments = Counter(r.segment for r in result.values())
    print(f"RFM on PostgreSQL: {payments:,} repayments of {customers:,} customers "
          f"(built in {built:.0f} s), business date {DAY}")  # fmt: skip
    print(f"rfm.compute: {timings[0]:.1f} s cold, {timings[1]:.1f} s warm; "
          f"{len(result):,} customers scored; peak memory {peak:.0f} MB")  # fmt: skip
    print("segments: " + ", ".join(f"{k} {v:,}" for k, v in segments.most_common()))


if __name__ == "__main__":
    asyncio.run(main())
