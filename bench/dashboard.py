"""Dashboard benchmark: the morning board's measures over a large portfolio on PostgreSQL.

Builds a fresh database with N customers (default 1,000,000) in 20 branches with 200 account
managers, one loan each with 12 monthly installments, the loans' month-end positions for a
year, 1.5 applications per customer, and outbox messages, all written by ``INSERT … SELECT
generate_series`` in the database. Then times every tile of the default boards (admin's and
an account manager's: the same measures under a scope of about 5,000 customers) and prints
the seconds per measure.

    python bench/dashboard.py [--customers 1000000] [--database-url postgres://…]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tortoise import Tortoise, connections
from tortoise.expressions import Q

from domain import migrate
from domain.db import tortoise_config

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lendgraph_bench_dashboard"


async def _fresh(url: str) -> None:
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    conn = await asyncpg.connect(admin)
    try:
        name = parts.path.lstrip("/")
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def _build(n: int) -> str:
    day = "DATE '2026-06-15'"
    return f"""
    INSERT INTO product (code, name, method, min_rate, max_rate, min_term, max_term, min_amount,
                         max_amount, active)
    SELECT c, c, 'EQUAL_INSTALLMENT', 0.01, 0.36, 3, 60, 1000, 3000000, true
    FROM unnest(ARRAY['CONSUMER', 'SME', 'AUTO', 'CARD']) c;
    INSERT INTO app_user (username, full_name, roles, is_active, created_at, failed_logins,
                          token_version, branch)
    SELECT 'am' || g, 'manager ' || g, '["account_manager"]', true, now(), 0, 0,
           'BR' || lpad((g % 20)::text, 2, '0')
    FROM generate_series(1, 200) g;
    INSERT INTO customer (kind, name, id_type, time_zone, consent_sms, consent_app_push,
        consent_email, consent_phone, created_at, updated_at, branch, account_manager_id,
        risk_rating, lifecycle_stage, rfm_segment)
    SELECT 'PERSON', 'c' || g, 'RESIDENT_ID', 'Asia/Shanghai', g % 3 = 0, false, false, false,
           now(), now(), 'BR' || lpad((g % 20)::text, 2, '0'), 1 + g % 200,
           (ARRAY['LOW','MEDIUM','HIGH','VERY_HIGH'])[1 + g % 4],
           (ARRAY['NEW','GROWTH','STABLE','CHURN_WARNING','LOST'])[1 + g % 5],
           (ARRAY['CHAMPIONS','LOYAL','AT_RISK','HIBERNATING','NEW','LOST'])[1 + g % 6]
    FROM generate_series(1, {n}) g;
    INSERT INTO loan (customer_id, product_id, principal, annual_rate, term_months, method,
        disbursed_on, status, outstanding_principal, credit_balance, days_past_due, bucket,
        created_at)
    SELECT c.id, 1 + c.id % 4, 12000, 0.12, 12, 'EQUAL_INSTALLMENT', {day} - 30 * (1 + c.id % 11),
           'ACTIVE', 12000 - 1000 * (c.id % 11), 0,
           (ARRAY[0,0,0,0,0,0,0,5,40,75,100,130,200])[1 + c.id % 13],
           (ARRAY['M0','M0','M0','M0','M0','M0','M0','M1','M2','M3','M4','M5','M7'])[1 + c.id % 13],
           now()
    FROM customer c;
    INSERT INTO loan_month_end (month_end, loan_id, customer_id, bucket, days_past_due,
        outstanding, prev_bucket, prev_outstanding)
    SELECT (date_trunc('month', {day}) - (m || ' month')::interval - interval '1 day')::date,
           l.id, l.customer_id,
           (ARRAY['M0','M0','M0','M0','M0','M0','M1','M2','M3','M4'])[1 + (l.id + m) % 10],
           0, l.outstanding_principal,
           (ARRAY['M0','M0','M0','M0','M0','M0','M1','M2','M3','M4'])[1 + (l.id + m + 1) % 10],
           l.outstanding_principal
    FROM loan l CROSS JOIN generate_series(0, 11) m;
    INSERT INTO application (customer_id, product_id, channel, amount, term_months, purpose,
        status, risk_lane, submitted_at, decided_at, updated_at)
    SELECT 1 + g % {n}, 1 + g % 4, (ARRAY['APP','WEB','BRANCH','PARTNER'])[1 + g % 4], 20000, 12,
           '',
           (ARRAY['SUBMITTED','DECLINED','APPROVED','CONTRACTED','DISBURSED'])[1 + g % 5],
           (ARRAY['FAST','STANDARD','ENHANCED'])[1 + g % 3],
           {day} - (g % 180) * interval '1 day',
           {day} - (g % 180) * interval '1 day' + (g % 50) * interval '1 hour', now()
    FROM generate_series(1, {n * 3 // 2}) g;
    INSERT INTO outbox_message (customer_id, channel, contact_point, purpose, status, dedupe_key,
        body, attempts, created_at, reason)
    SELECT 1 + g % {n}, 'SMS', '', (ARRAY['REMINDER','REMINDER','COLLECTION','CARE'])[1 + g % 4],
           (ARRAY['SENT','SENT','SENT','DROPPED','DEFERRED'])[1 + g % 5], 'b' || g, 'x', 1,
           {day} - (g % 60) * interval '1 day',
           CASE WHEN g % 5 = 3 THEN 'no consent' WHEN g % 5 = 4 THEN 'outside hours' END
    FROM generate_series(1, {n}) g;
    ANALYZE;
    """


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_URL, help="dropped and made again")
    parser.add_argument("--reuse", action="store_true", help="measure the database built before")
    args = parser.parse_args()
    if not args.reuse:
        await _fresh(args.database_url)
    await Tortoise.init(config=tortoise_config(args.database_url), _enable_global_fallback=True)
    try:
        built = 0.0
        if not args.reuse:
            await migrate.apply(args.database_url)
            t0 = time.perf_counter()
            await connections.get("default").execute_script(_build(args.customers))
            built = time.perf_counter() - t0
        from datetime import date

        from domain.reports import boards, measures

        today = date(2026, 6, 15)
        tiles = {(t["measure"], t["dimension"], t["filters"].get("days"))
                 for _, (_, ts) in boards.DEFAULTS.items() for t in ts}  # fmt: skip
        print(f"dashboard measures on PostgreSQL, {args.customers:,} customers "
              f"(built in {built:.0f} s)")  # fmt: skip
        print("| measure | by | all customers, s | one manager's (~5,000), s | points |")
        print("| --- | --- | --- | --- | --- |")
        own = Q(account_manager_id=1)
        for name, dimension, days in sorted(tiles, key=lambda t: (t[0], t[1])):
            flt = measures.Filters(date_from=today - timedelta(days=days), date_to=today) \
                if days else measures.Filters()  # fmt: skip
            t1 = time.perf_counter()
            _, _, points = await measures.run(name, dimension, flt, None, today)
            everyone = time.perf_counter() - t1
            t2 = time.perf_counter()
            await measures.run(name, dimension, flt, own, today)
            mine = time.perf_counter() - t2
            print(f"| {name} | {dimension} | {everyone:.2f} | {mine:.2f} | {len(points)} |")
    finally:
        await Tortoise.close_connections()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
