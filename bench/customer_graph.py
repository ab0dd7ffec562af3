"""Customer-graph benchmark: the 360° page over HTTP against one hand-written SQL statement.

Seeds N customers (default 10,000) into a fresh database, serves it with uvicorn in a child
process, then measures `customers(first: 50) { … loans { schedule payments } interactions }`
over real HTTP, and the same data fetched by one SQL statement that returns JSON (the floor).
Prints statements per request, median and p95 latency, and the ratio.

    python bench/customer_graph.py [--customers 10000] [--database-url postgres://…/db]
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
from server import running_server
from tortoise import Tortoise, connections

from domain import migrate
from domain.db import is_postgres, tortoise_config
from domain.statements import count_statements

BUSINESS_DATE = date(2026, 6, 15)
PASSWORD = "bench-password"
PAGE = """
query Page360 {
  customers(first: 50) {
    totalCount
    edges { node {
      id name phone email birthDate riskRating
      loans {
        id principal annualRate termMonths outstandingPrincipal daysPastDue bucket
        schedule { seq dueDate principalDue interestDue paidAmount status }
        payments { amount paidAt idempotencyKey }
      }
      interactions(first: 20) { edges { node { channel direction type text occurredAt } } }
    } }
  }
}
"""

_SQLITE_FLOOR = """
SELECT json_group_array(json(c.doc)) FROM (
  SELECT json_object(
    'id', cu.id, 'name', cu.name, 'phone', cu.phone, 'email', cu.email,
    'birthDate', cu.birth_date, 'riskRating', cu.risk_rating,
    'loans', (SELECT json_group_array(json(l.doc)) FROM (
      SELECT json_object(
        'id', lo.id, 'principal', lo.principal, 'annualRate', lo.annual_rate,
        'termMonths', lo.term_months, 'outstandingPrincipal', lo.outstanding_principal,
        'daysPastDue', lo.days_past_due, 'bucket', lo.bucket,
        'schedule', (SELECT json_group_array(json_object(
            'seq', i.seq, 'dueDate', i.due_date, 'principalDue', i.principal_due,
            'interestDue', i.interest_due,
            'paidAmount', i.principal_paid + i.interest_paid + i.fee_paid,
            'paid', i.paid_on IS NOT NULL))
          FROM (SELECT * FROM installment WHERE loan_id = lo.id ORDER BY seq) i),
        'payments', (SELECT json_group_array(json_object(
            'amount', p.amount, 'paidAt', p.paid_at, 'idempotencyKey', p.idempotency_key))
          FROM (SELECT * FROM payment WHERE loan_id = lo.id ORDER BY paid_at, id) p)
      ) AS doc FROM loan lo WHERE lo.customer_id = cu.id ORDER BY lo.id) l),
    'interactions', (SELECT json_group_array(json_object(
        'channel', it.channel, 'direction', it.direction, 'type', it.type, 'text', it.text,
        'occurredAt', it.occurred_at))
      FROM (SELECT * FROM interaction WHERE customer_id = cu.id
            ORDER BY occurred_at DESC, id DESC LIMIT 20) it)
  ) AS doc FROM (SELECT * FROM customer ORDER BY id LIMIT 50) cu
) c
"""

_PG_FLOOR = """
SELECT json_agg(doc) FROM (
  SELECT json_build_object(
    'id', cu.id, 'name', cu.name, 'phone', cu.phone, 'email', cu.email,
    'birthDate', cu.birth_date, 'riskRating', cu.risk_rating,
    'loans', (SELECT coalesce(json_agg(json_build_object(
        'id', lo.id, 'principal', lo.principal, 'annualRate', lo.annual_rate,
        'termMonths', lo.term_months, 'outstandingPrincipal', lo.outstanding_principal,
        'daysPastDue', lo.days_past_due, 'bucket', lo.bucket,
        'schedule', (SELECT coalesce(json_agg(json_build_object(
            'seq', i.seq, 'dueDate', i.due_date, 'principalDue', i.principal_due,
            'interestDue', i.interest_due,
            'paidAmount', i.principal_paid + i.interest_paid + i.fee_paid,
            'paid', i.paid_on IS NOT NULL) ORDER BY i.seq), '[]')
          FROM installment i WHERE i.loan_id = lo.id),
        'payments', (SELECT coalesce(json_agg(json_build_object(
            'amount', p.amount, 'paidAt', p.paid_at, 'idempotencyKey', p.idempotency_key)
            ORDER BY p.paid_at, p.id), '[]')
          FROM payment p WHERE p.loan_id = lo.id)
      ) ORDER BY lo.id), '[]') FROM loan lo WHERE lo.customer_id = cu.id),
    'interactions', (SELECT coalesce(json_agg(json_build_object(
        'channel', it.channel, 'direction', it.direction, 'type', it.type, 'text', it.text,
        'occurredAt', it.occurred_at)), '[]')
      FROM (SELECT * FROM interaction WHERE customer_id = cu.id
            ORDER BY occurred_at DESC, id DESC LIMIT 20) it)
  ) AS doc FROM (SELECT * FROM customer ORDER BY id LIMIT 50) cu
) c
"""


def _summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


async def _prepare(url: str, customers: int) -> float:
    from domain.seed.generator import seed

    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    await migrate.apply(url)
    started = time.perf_counter()
    await seed(customers=customers, demo_password=PASSWORD, business_date=BUSINESS_DATE)
    seconds = time.perf_counter() - started
    # fresh statistics, as autovacuum (PostgreSQL) or a maintenance job (SQLite) would leave them
    await connections.get("default").execute_script("ANALYZE")
    return seconds


LOGIN = """mutation ($u: String!, $p: String!) {
  login(input: {username: $u, password: $p}) { ... on LoginSuccess { token } } }"""


def _token(post: Callable[..., Any], username: str) -> dict[str, str]:
    body = post("/graphql", json={"query": LOGIN, "variables": {"u": username, "p": PASSWORD}})
    return {"Authorization": f"Bearer {body.json()['data']['login']['token']}"}


async def _statements(url: str, username: str) -> tuple[int, int]:
    from api.app import create_app

    transport = httpx.ASGITransport(app=create_app(url))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        login = await client.post(
            "/graphql", json={"query": LOGIN, "variables": {"u": username, "p": PASSWORD}}
        )
        headers = {"Authorization": f"Bearer {login.json()['data']['login']['token']}"}
        await client.post("/graphql", json={"query": PAGE}, headers=headers)
        with count_statements() as log:
            response = await client.post("/graphql", json={"query": PAGE}, headers=headers)
    return log.count, len(response.content)


async def _floor(url: str, rounds: int) -> tuple[list[float], int]:
    conn = connections.get("default")
    sql = _PG_FLOOR if is_postgres(url) else _SQLITE_FLOOR
    samples, size = [], 0
    for _ in range(rounds + 5):
        started = time.perf_counter()
        rows = await conn.execute_query(sql)
        samples.append(time.perf_counter() - started)
        size = len(str(rows[1][0][0]))
    return samples[5:], size


def _http(url: str, rounds: int, users: list[str]) -> dict[str, list[float]]:
    with running_server(url) as client:
        headers = {user: _token(client.post, user) for user in users}
        samples: dict[str, list[float]] = {user: [] for user in users}
        for n in range(rounds + 5):
            for user in users:  # interleaved, so machine noise hits every user alike
                started = time.perf_counter()
                response = client.post("/graphql", json={"query": PAGE}, headers=headers[user])
                elapsed = time.perf_counter() - started
                assert response.status_code == 200 and b'"errors"' not in response.content
                if n >= 5:
                    samples[user].append(elapsed)
        return samples


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    url = args.database_url or f"sqlite://{tempfile.mkdtemp()}/bench.db"
    conn_url = url
    seconds = await _prepare(conn_url, args.customers)
    statements, body = await _statements(conn_url, "admin")
    scoped_statements, _ = await _statements(conn_url, "am1")
    floor, floor_size = await _floor(conn_url, args.rounds)
    await Tortoise.close_connections()
    http = _http(conn_url, args.rounds, ["admin", "am1"])
    (h50, h95), (f50, f95) = _summary(http["admin"]), _summary(floor)
    (s50, s95) = _summary(http["am1"])
    backend = "PostgreSQL" if is_postgres(url) else "SQLite"
    print(f"customer graph, {backend}, {args.customers:,} customers (seeded in {seconds:.1f} s)")
    print(f"page: customers(first: 50) with loans, schedules, payments, interactions; "
          f"response {body / 1024:.0f} KiB, floor JSON {floor_size / 1024:.0f} KiB")  # fmt: skip
    print("| path | statements/request | median ms | p95 ms |")
    print("| --- | --- | --- | --- |")
    print(f"| GraphQL over HTTP as admin (all rows) | {statements} | {h50:.1f} | {h95:.1f} |")
    print(f"| GraphQL over HTTP as am1 (own customers) | {scoped_statements} | {s50:.1f} "
          f"| {s95:.1f} |")  # fmt: skip
    print(f"| one SQL statement returning JSON (floor) | 1 | {f50:.1f} | {f95:.1f} |")
    print(f"ratio GraphQL as admin / floor (median): {h50 / f50:.1f}x")
    print(f"enforcement: am1 / admin (median): {s50 / h50:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
