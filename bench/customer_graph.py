"""Customer-graph benchmark: the 360° page over HTTP, against one hand-written SQL statement.

Seeds N customers (default 10,000) into a fresh database and serves it with `lendgraph serve`
twice, in child processes: LENDGRAPH_COMPILED_READS=on (GraphQL compiled to one SQL statement
per root field) and =off (the per-field loaders). On PostgreSQL, PostGraphile 5 serves it too
(bench/graph_peer.py). One client then asks each server, round after round (one server after
another: `_latency`), for
`customers(first: 50) { … loans { schedule payments } interactions(first: 20) }`, as admin
and as am1 (an account manager: own customers only), and PostGraphile for the same rows; the
floor is the same data fetched by one SQL statement that returns JSON, timed in process once in
each round beside the server asked. Prints statements per request, median and p95 latency and
the ratio to the floor, whether both read paths answer the same bytes, and the rows in each
answer; the timed requests go over one kept-alive connection of the standard library's HTTP
client per server and caller. Then throughput: requests/s of 8 and 32 closed-loop clients
(admin) against 1 and 2 server processes (bench/graph_throughput.py); there the admission gate
waits for a slot instead of shedding load, as PostGraphile queues too.

    python bench/customer_graph.py [--customers 10000] [--rounds 30] [--requests 48]
        [--quick] [--database-url postgres://…/db [--fresh]]
"""

import argparse
import asyncio
import hashlib
import http.client
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import graph_peer
import httpx
import orjson
from graph_throughput import Throughput, throughput
from server import running_servers
from tortoise import Tortoise, connections

from domain import migrate
from domain.db import is_postgres, tortoise_config
from domain.statements import count_statements

BUSINESS_DATE = date(2026, 6, 15)
PASSWORD = "bench-password"
WARMUP = 5
READS = "LENDGRAPH_COMPILED_READS"
PATHS = {"compiled": "on", "loaders": "off"}  # our two read paths: their LENDGRAPH_COMPILED_READS
USERS = {"admin": "admin (all rows)", "am1": "am1 (own customers)"}
# throughput is measured: a request waits for a slot instead of being refused at once
GATE = {"LENDGRAPH_ADMISSION_WAIT_MS": "600000", "LENDGRAPH_MAX_LOOP_LAG_MS": "0"}
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

# the floor: the page's data (its total count too) as JSON by one hand-written statement
_SQLITE_FLOOR = """
SELECT json_object('totalCount', (SELECT count(*) FROM customer),
                   'edges', json_group_array(json(c.doc))) FROM (
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
SELECT json_build_object('totalCount', (SELECT count(*) FROM customer), 'edges', json_agg(doc))
FROM (
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
    # fresh statistics (and on PostgreSQL the visibility map), as autovacuum or a maintenance
    # job would leave them, instead of autovacuum coming by in the middle of the timed rounds
    maintenance = "VACUUM ANALYZE" if is_postgres(url) else "ANALYZE"
    await connections.get("default").execute_script(maintenance)
    return seconds


LOGIN = """mutation ($u: String!, $p: String!) {
  login(input: {username: $u, password: $p}) { ... on LoginSuccess { token } } }"""


def _token(client: httpx.Client, username: str) -> dict[str, str]:
    body = client.post(
        "/graphql", json={"query": LOGIN, "variables": {"u": username, "p": PASSWORD}}
    )
    return {"Authorization": f"Bearer {body.json()['data']['login']['token']}"}


@contextmanager
def _reads(setting: str) -> Iterator[None]:
    """LENDGRAPH_COMPILED_READS set to `setting` in this process for the block."""
    before = os.environ.get(READS)
    os.environ[READS] = setting
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(READS, None)
        else:
            os.environ[READS] = before


async def _statements(url: str, username: str, setting: str) -> tuple[int, int]:
    from api.app import create_app

    with _reads(setting):
        transport = httpx.ASGITransport(app=create_app(url))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            login = await client.post(
                "/graphql", json={"query": LOGIN, "variables": {"u": username, "p": PASSWORD}}
            )
            headers = {"Authorization": f"Bearer {login.json()['data']['login']['token']}"}
            await client.post("/graphql", json={"query": PAGE}, headers=headers)
            with count_statements() as log:
                response = await client.post("/graphql", json={"query": PAGE}, headers=headers)
    answered = response.headers.get("x-lendgraph-compiled")
    path = f"one statement ({answered})" if answered else "the resolvers and loaders"
    print(f"{username}, compiled reads {setting}: answered by {path}")
    return log.count, len(response.content)


@dataclass
class Floor:
    """The hand-written statement, timed in this process (no HTTP) once in every round of
    every server's turn: a phase of the machine's noise hits the floor and the server alike."""

    sql: str
    samples: dict[str, list[float]] = field(default_factory=dict)  # by server
    alone: list[float] = field(default_factory=list)  # timed again and again, nothing between
    size: int = 0

    async def time_alone(self, rounds: int) -> None:
        for n in range(rounds + WARMUP):
            took = await self.time()
            if n >= WARMUP:
                self.alone.append(took)

    async def time(self) -> float:
        started = time.perf_counter()
        rows = await connections.get("default").execute_query(self.sql)
        elapsed = time.perf_counter() - started
        self.size = len(str(rows[1][0][0]))
        return elapsed


@dataclass
class Target:
    """One server asked for one page by one caller, and what it answered."""

    client: httpx.Client
    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    samples: list[float] = field(default_factory=list)
    digests: set[str] = field(default_factory=set)
    body: bytes = b""

    def __post_init__(self) -> None:
        # timed requests go over one kept-alive connection of the standard library's client:
        # httpx's own work on a 268 KiB answer (about 0.8 ms a request here) is the client's,
        # not the server's, and would count against the floor, which has no HTTP at all
        base = self.client.base_url
        self.connection = http.client.HTTPConnection(base.host, base.port, timeout=60)
        self.raw = orjson.dumps(self.payload)
        self.raw_headers = {"Content-Type": "application/json", **self.headers}

    def ask(self) -> tuple[int, bytes]:
        """POST the page once; the status and the whole body."""
        self.connection.request("POST", "/graphql", body=self.raw, headers=self.raw_headers)
        response = self.connection.getresponse()
        return response.status, response.read()


async def _latency(targets: dict[str, Target], rounds: int, floor: Floor) -> None:
    """Each server's callers in turn, and the floor, round after round; one server after
    another.

    A server is timed under its own steady load, the floor's statement once a round beside it.
    Interleaved with the other servers, every request of ours followed a loader page (100 ms
    of another process on the same two cores) or PostGraphile's, found the caches cold and took
    12 ms where the same server answers in 8.3 to 9.3 ms while the others are idle; PostGraphile
    lost 2 ms the same way. The others stay up, idle, while one is timed."""
    servers: dict[str, list[tuple[str, Target]]] = {}
    for label, target in targets.items():  # "compiled admin": the server is "compiled"
        servers.setdefault(label.split()[0], []).append((label, target))
    for server, callers in servers.items():
        for n in range(rounds + WARMUP):
            took = await floor.time()
            if n >= WARMUP:
                floor.samples.setdefault(server, []).append(took)
            for label, target in callers:  # interleaved: machine noise hits all alike
                started = time.perf_counter()
                status, content = target.ask()
                elapsed = time.perf_counter() - started
                assert status == 200 and b'"errors"' not in content, label
                if n >= WARMUP:
                    target.samples.append(elapsed)
                    target.digests.add(hashlib.sha256(content).hexdigest())
                    target.body = content
    for target in targets.values():
        target.connection.close()


async def _rates(
    label: str, clients: list[httpx.Client], payload: dict[str, Any],
    headers: list[dict[str, str]], requests: int, out: dict[tuple[str, int, int], Throughput],
) -> None:  # fmt: skip
    for concurrency in (8, 32):
        out[label, len(clients), concurrency] = await throughput(
            [str(c.base_url) for c in clients], payload, headers=headers,
            clients=concurrency, requests=max(requests, concurrency),
        )  # fmt: skip


async def _over_http(
    url: str, rounds: int, requests: int, peer: bool, statements: dict[str, tuple[int, int]],
    floor: Floor,
) -> tuple[dict[str, Target], dict[tuple[str, int, int], Throughput]]:  # fmt: skip
    targets: dict[str, Target] = {}
    rates: dict[tuple[str, int, int], Throughput] = {}
    with ExitStack() as stack:
        for path, setting in PATHS.items():
            [client] = stack.enter_context(running_servers(url, env={READS: setting, **GATE}))
            for user in USERS:
                targets[f"{path} {user}"] = Target(client, {"query": PAGE}, _token(client, user))
        if peer:
            client = stack.enter_context(graph_peer.running_postgraphile(url))
            targets["PostGraphile"] = Target(client, {"query": graph_peer.PAGE})
        await _latency(targets, rounds, floor)
        if peer:
            count = graph_peer.statements_per_page(targets["PostGraphile"].client)
            statements["PostGraphile"] = count, len(targets["PostGraphile"].body)
        for path in PATHS:
            t = targets[f"{path} admin"]
            await _rates(path, [t.client], t.payload, [t.headers], requests, rates)
        if peer:
            t = targets["PostGraphile"]
            await _rates("PostGraphile", [t.client], t.payload, [{}], requests, rates)
    for path, setting in PATHS.items():  # one process per port, clients spread over them
        with running_servers(url, 2, env={READS: setting, **GATE}) as clients:
            headers = [_token(client, "admin") for client in clients]
            await _rates(path, clients, {"query": PAGE}, headers, requests, rates)
    return targets, rates


def _report(
    backend: str, customers: int, seeded: float, statements: dict[str, tuple[int, int]],
    floor: Floor, targets: dict[str, Target],
    rates: dict[tuple[str, int, int], Throughput], peer_reason: str | None,
) -> None:  # fmt: skip
    # each row's ratio is to the floor timed in the same rounds as its server; the floor's row
    # is the floor of the compiled server's rounds
    floors = {server: _summary(samples)[0] for server, samples in floor.samples.items()}
    f50, f95 = _summary(floor.samples["compiled"])
    sizes = f"response {statements['compiled admin'][1] / 1024:.0f} KiB"
    if "PostGraphile" in statements:
        sizes += f", PostGraphile's {statements['PostGraphile'][1] / 1024:.0f} KiB"
    print(f"customer graph, {backend}, {customers:,} customers (seeded in {seeded:.1f} s)")
    print(f"page: customers(first: 50) with loans, schedules, payments, interactions; "
          f"{sizes}, floor JSON {floor.size / 1024:.0f} KiB")  # fmt: skip
    print("| path | statements/request | median ms | p95 ms | median / floor |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| one SQL statement returning JSON (floor) | 1 | {f50:.1f} | {f95:.1f} | 1.0x |")
    medians: dict[str, float] = {}
    for label, target in targets.items():
        m50, m95 = _summary(target.samples)
        medians[label] = m50
        if label == "PostGraphile":
            name = "PostGraphile 5 (all rows, no access control)"
        else:
            path, user = label.split()
            name = f"lendgraph {path} as {USERS[user]}"
        ratio = m50 / floors[label.split()[0]]
        print(f"| {name} | {statements[label][0]} | {m50:.1f} | {m95:.1f} | {ratio:.1f}x |")
    print("floor (median ms) in each server's rounds: "
          + ", ".join(f"{server} {ms:.1f}" for server, ms in floors.items()))  # fmt: skip
    alone = _summary(floor.alone)[0]
    print(
        f"floor timed alone, again and again: {alone:.1f} ms; against it, compiled admin "
        f"{medians['compiled admin'] / alone:.1f}x, am1 {medians['compiled am1'] / alone:.1f}x"
    )
    for user in USERS:
        a, b = targets[f"compiled {user}"], targets[f"loaders {user}"]
        same = len(a.digests) == 1 and a.digests == b.digests
        print(f"compiled and loader answers identical for {user}: {'yes' if same else 'no'}")
    print(f"enforcement, am1 / admin (median): compiled "
          f"{medians['compiled am1'] / medians['compiled admin']:.2f}, loaders "
          f"{medians['loaders am1'] / medians['loaders admin']:.2f}")  # fmt: skip
    ours = graph_peer.counts_of_ours(targets["compiled admin"].body)
    print(f"rows, lendgraph as admin: {ours}")
    if "PostGraphile" in targets:
        theirs = graph_peer.counts_of_peer(targets["PostGraphile"].body)
        print(f"rows, PostGraphile: {theirs} ({'the same' if theirs == ours else 'DIFFERENT'})")
        ratio = medians["compiled admin"] / medians["PostGraphile"]
        print(f"lendgraph compiled as admin / PostGraphile (median): {ratio:.2f}")
    else:
        print(f"PostGraphile skipped: {peer_reason}")
    print()
    print("| server | processes | clients | requests | requests/s | median ms | errors |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for (label, processes, clients), run in rates.items():
        name = "PostGraphile 5" if label == "PostGraphile" else f"lendgraph {label} as admin"
        print(f"| {name} | {processes} | {clients} | {run.requests} | {run.per_second:.1f} "
              f"| {run.median_ms:.0f} | {run.errors} |")  # fmt: skip


async def main(url: str, customers: int, rounds: int, requests: int) -> None:
    """Seed, measure, print."""
    started = time.perf_counter()
    peer_reason = graph_peer.unavailable(url)
    seeded = await _prepare(url, customers)
    statements = {
        f"{path} {user}": await _statements(url, user, setting)
        for path, setting in PATHS.items()
        for user in USERS
    }
    floor = Floor(_PG_FLOOR if is_postgres(url) else _SQLITE_FLOOR)
    try:
        await floor.time_alone(rounds)
        targets, rates = await _over_http(
            url, rounds, requests, peer_reason is None, statements, floor
        )
    finally:
        await Tortoise.close_connections()
    backend = "PostgreSQL" if is_postgres(url) else "SQLite"
    _report(backend, customers, seeded, statements, floor, targets, rates, peer_reason)
    print(f"whole run: {time.perf_counter() - started:.0f} s")


def cli() -> None:
    """Parse the options; on --fresh, make the PostgreSQL database (asyncio.run is needed)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30, help="timed rounds of the page")
    parser.add_argument("--requests", type=int, default=48, help="per throughput run")
    parser.add_argument("--quick", action="store_true", help="10 rounds, 16 requests a run")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--fresh", action="store_true",
                        help="seed a new database on --database-url's PostgreSQL server, "
                        "dropped afterwards (that URL's own database is not touched)")  # fmt: skip
    args = parser.parse_args()
    rounds, requests = (10, 16) if args.quick else (args.rounds, args.requests)
    with ExitStack() as stack:
        url = args.database_url or f"sqlite://{tempfile.mkdtemp()}/bench.db"
        if args.fresh:
            if not is_postgres(url):
                parser.error("--fresh needs --database-url postgres://…")
            from load import fresh_database

            url = stack.enter_context(fresh_database(url, keep=False))
        asyncio.run(main(url, args.customers, rounds, requests))


if __name__ == "__main__":
    cli()
