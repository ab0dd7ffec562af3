"""Load benchmark: a mixed read/write workload against real API processes on PostgreSQL.

Creates a fresh PostgreSQL database on the server DATABASE_URL names, migrates it, seeds N
customers (default 20,000), gives am1's customers a fresh credit report (so an application's
approval needs no bureau), adds --staff accounts (default 16) for each of cs1, risk1,
analyst1, lead1 and admin (same roles and branch: the load comes from many staff, as per-user
rate limits expect), then starts `lendgraph serve` (1, then 2 processes on two ports, users
spread round-robin) and signs every account in with the `login` mutation. A client in a
separate process (bench/loadgen.py: httpx.AsyncClient, HTTP/1.1 keep-alive, as many
connections as users) runs closed-loop users (no think time) at each concurrency for a fixed
time, the mix being (by weight):

    40 customer 360° page (cs1)             15 task inbox (risk1, am1, collector1)
    15 dashboard measure (analyst1, lead1)  10 postPayment (admin, a unique idempotencyKey)
    10 recordInteraction (cs1)              10 submitApplication (am1, starts the approval)

Each answer is checked (a GraphQL error or an unexpected union member is an error of its
kind). Prints, per (processes, concurrency), requests, successful requests/s, p50/p95/p99 of
successful requests, errors by kind, and the CPU the client, the API processes and
PostgreSQL used (in cores), then the saturation point. 429 and 503 with Retry-After are
backpressure; any other error is unexpected and makes the exit status 1.

    python bench/load.py [--customers 20000] [--concurrency 4 16 64 256] [--seconds 20]
        [--processes 1 2] [--server-env LENDGRAPH_DB_POOL_SIZE=10 ...] [--database-url URL]
"""

import argparse
import asyncio
import json
import os
import platform
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from loadgen import BACKPRESSURE, CLONED, MIX, PERSONAS, UNEXPECTED
from server import free_port

ROOT = Path(__file__).resolve().parents[1]
BUSINESS_DATE = date(2026, 6, 15)
PASSWORD = "bench-password"
LOGIN = """mutation ($u: String!, $p: String!) {
  login(input: {username: $u, password: $p}) { ... on LoginSuccess { token } } }"""
COLUMNS = ("429", "503", "other HTTP", "timeout", "connection", "GraphQL", "union",
           "no Retry-After")  # fmt: skip


def _server_of(url: str) -> str:
    return url.split("?")[0].replace("postgres://", "postgresql://").rpartition("/")[0]


@contextmanager
def fresh_database(url: str, keep: bool) -> Iterator[str]:
    """A new database on the server `url` names, dropped after the block unless `keep`."""
    server, name = _server_of(url), f"lendgraph_load_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(f"{server}/postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server.replace('postgresql://', 'postgres://')}/{name}"
    finally:
        if keep:
            print(f"kept database {name}")
        else:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def prepare(url: str, customers: int, staff: int) -> tuple[dict[str, list[str]], float, str]:
    """Migrate and seed; the rows the workload uses (global ids), seed seconds, PG version."""
    from tortoise import Tortoise, connections

    from api.relay import to_global_id
    from bpmn import bundled
    from domain import migrate
    from domain.db import tortoise_config
    from domain.seed.generator import seed
    from domain.user.models import User

    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    try:
        await migrate.apply(url)
        await bundled.install()  # as `lendgraph migrate` does: the approval process
        started = time.perf_counter()
        await seed(customers=customers, demo_password=PASSWORD, business_date=BUSINESS_DATE)
        seconds = time.perf_counter() - started
        conn = connections.get("default")
        pulled = datetime.combine(BUSINESS_DATE - timedelta(days=1), clock_time(9), UTC)
        # a report from yesterday for each of am1's customers: the approval scores at once
        await conn.execute_query(
            "INSERT INTO credit_report (customer_id, bureau, score, pulled_at, total_debt,"
            " open_accounts, delinquencies, inquiries) SELECT c.id, 'PBOC', 640 + c.id % 160,"
            " $1, 0, 1, 0, 0 FROM customer c JOIN app_user u ON u.id = c.account_manager_id"
            " WHERE u.username = 'am1'",
            [pulled],
        )
        for base in await User.filter(username__in=CLONED):  # more staff of the same roles
            await User.bulk_create([
                User(username=f"{base.username}-{n}", full_name=base.full_name, roles=base.roles,
                     branch=base.branch, team=base.team, password_hash=base.password_hash,
                     password_changed_at=base.password_changed_at)
                for n in range(1, staff)
            ])  # fmt: skip
        await conn.execute_script("ANALYZE")
        sample = {
            "customers": "SELECT id FROM customer ORDER BY md5(id::text) LIMIT 5000",
            "loans": "SELECT id FROM loan WHERE status = 'ACTIVE'"
            " ORDER BY md5(id::text) LIMIT 5000",
            "applicants": "SELECT c.id FROM customer c JOIN app_user u"
            " ON u.id = c.account_manager_id WHERE u.username = 'am1' ORDER BY c.id",
        }
        kinds = {"customers": "Customer", "loans": "Loan", "applicants": "Customer"}
        rows = {}
        for key, sql in sample.items():
            _, found = await conn.execute_query(sql)
            rows[key] = [to_global_id(kinds[key], r["id"]) for r in found]
        _, version = await conn.execute_query("SHOW server_version")
        return rows, seconds, str(version[0]["server_version"])
    finally:
        await Tortoise.close_connections()


@contextmanager
def api_processes(
    url: str, count: int, env: dict[str, str], logs: Path
) -> Iterator[list[tuple[int, str]]]:
    """`count` `lendgraph serve` processes on free ports; yields their pids and base URLs."""
    children: list[tuple[subprocess.Popen[bytes], int]] = []
    full = {**os.environ, "DATABASE_URL": url, "LENDGRAPH_GRAPHIQL": "0",
            "LENDGRAPH_MODE": "production", **env}  # fmt: skip
    try:
        for n in range(count):
            port = free_port()
            log = (logs / f"serve-{count}-{n}.log").open("ab")
            child = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--port", str(port)], cwd=ROOT,
                env=full, stdout=subprocess.DEVNULL, stderr=log,
            )  # fmt: skip
            log.close()
            children.append((child, port))
        for child, port in children:
            _wait_healthy(child, port, logs)
        yield [(child.pid, f"http://127.0.0.1:{port}") for child, port in children]
    finally:
        for child, _ in children:
            child.terminate()
        for child, _ in children:
            child.wait(timeout=20)


def _wait_healthy(child: subprocess.Popen[bytes], port: int, logs: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).raise_for_status()
            return
        except httpx.HTTPError:
            if child.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"an API process did not start; see the logs in {logs}") from None
            time.sleep(0.1)


def login_all(base: str, staff: int) -> dict[str, list[str]]:
    """Tokens for every persona's accounts, from the `login` mutation (at the allowed rate)."""
    tokens: dict[str, list[str]] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        for persona in PERSONAS:
            extra = range(1, staff) if persona in CLONED else range(0)
            names = [persona, *(f"{persona}-{n}" for n in extra)]
            for name in names:
                while True:
                    answer = client.post("/graphql", json={"query": LOGIN,
                                         "variables": {"u": name, "p": PASSWORD}})  # fmt: skip
                    if answer.status_code != 429:  # sign-ins are rate limited per address
                        break
                    time.sleep(float(answer.headers.get("retry-after", "1")))
                tokens.setdefault(persona, []).append(answer.json()["data"]["login"]["token"])
    return tokens


def _ticks(pids: list[int] | None = None) -> float:
    """CPU seconds used so far by `pids`, or by every PostgreSQL process when None."""
    total, hz = 0, os.sysconf("SC_CLK_TCK")
    for entry in pids if pids is not None else [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat.rsplit(")", 1)[1].split()
        if pids is not None or name == "postgres":
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / hz


def _busy() -> float:
    """CPU seconds the whole machine has been busy (from /proc/stat)."""
    cells = [int(c) for c in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(cells[:8]) - cells[3] - cells[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait


def wait_for_quiet(limit: float, most: float) -> float:
    """Wait up to `most` seconds for a second in which the machine is busy under `limit` cores."""
    deadline = time.monotonic() + most
    while most > 0:
        before = _busy()
        time.sleep(1)
        seen = _busy() - before
        if seen < limit or time.monotonic() > deadline:
            return seen
    return 0.0


def run_level(plan: dict[str, Any], servers: list[int]) -> dict[str, Any]:
    """One concurrency level in a client child process, with the servers', PG's, others' CPU."""
    before, pg_before, busy, started = _ticks(servers), _ticks(), _busy(), time.perf_counter()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "loadgen.py")], input=json.dumps(plan).encode(),
        capture_output=True, check=True, cwd=ROOT,
    )  # fmt: skip
    wall = time.perf_counter() - started
    result: dict[str, Any] = json.loads(done.stdout)
    result["server_cpu"] = (_ticks(servers) - before) / wall
    result["pg_cpu"] = (_ticks() - pg_before) / wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the client, start-up included
    client = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    ours = client / wall + result["server_cpu"] + result["pg_cpu"]
    result["other_cpu"] = max(0.0, (_busy() - busy) / wall - ours)  # other work on the machine
    return result


def _pct(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000 if ordered else 0


def summarise(result: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Counts, rates and percentiles of one level."""
    outcomes: dict[str, int] = result["outcomes"]
    ok = sorted(s for samples in result["latencies"].values() for s in samples)
    return {
        "requests": sum(outcomes.values()),
        "ok": len(ok),
        "rps": len(ok) / seconds,
        "p50": _pct(ok, 0.50), "p95": _pct(ok, 0.95), "p99": _pct(ok, 0.99),
        "errors": [outcomes.get(k, 0) for k in (*BACKPRESSURE, *UNEXPECTED)],
        "unexpected": sum(outcomes.get(k, 0) for k in UNEXPECTED),
        "backpressure": sum(outcomes.get(k, 0) for k in BACKPRESSURE),
        "by_kind": {k: statistics.median(v) * 1000 for k, v in result["latencies"].items()},
        "cpu": (result["client_cpu"], result["server_cpu"], result["pg_cpu"], result["other_cpu"]),
        "samples": result["samples"],
    }  # fmt: skip


def saturation(rows: list[tuple[int, dict[str, Any]]]) -> str:
    """The lowest concurrency at which throughput stops growing (≤ 5 %) or 429/503 appear."""
    for n, (concurrency, row) in enumerate(rows):
        if row["backpressure"]:
            return f"{concurrency} (429/503 appear)"
        if n and row["rps"] <= rows[n - 1][1]["rps"] * 1.05:
            return f"{concurrency} ({row['rps']:.0f} req/s, ≤ 5 % over {rows[n - 1][0]})"
    return f"not reached up to {rows[-1][0]}"


def machine(pg_version: str) -> str:
    """Cores, CPU model and PostgreSQL version."""
    model = platform.processor() or "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    python = sys.version.split()[0]
    return f"{os.cpu_count()} cores, {model}, PostgreSQL {pg_version}, Python {python}"


def print_table(results: dict[tuple[int, int], dict[str, Any]]) -> None:
    """The main table, then median latency by request kind."""
    print("| processes | users | requests | ok req/s | p50 ms | p95 ms | p99 ms | "
          + " | ".join(COLUMNS) + " | CPU cores: client / API / PG / other |")  # fmt: skip
    print("|" + " --- |" * (7 + len(COLUMNS) + 1))
    for (procs, users), r in results.items():
        cpu = " / ".join(f"{c:.2f}" for c in r["cpu"])
        errors = " | ".join(str(e) for e in r["errors"])
        print(f"| {procs} | {users} | {r['requests']:,} | {r['rps']:.1f} | {r['p50']:.0f} | "
              f"{r['p95']:.0f} | {r['p99']:.0f} | {errors} | {cpu} |")  # fmt: skip
    print()
    print("median ms of successful requests by kind")
    print("| processes | users | " + " | ".join(MIX) + " |")
    print("|" + " --- |" * (2 + len(MIX)))
    for (procs, users), r in results.items():
        cells = " | ".join(f"{r['by_kind'][k]:.0f}" if k in r["by_kind"] else "-" for k in MIX)
        print(f"| {procs} | {users} | {cells} |")


def _env_pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 16, 64, 256])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=20, help="measured time per level")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds first")
    parser.add_argument("--timeout", type=float, default=10, help="per request, seconds")
    parser.add_argument("--server-env", type=_env_pair, action="append", default=[],
                        metavar="KEY=VALUE", help="for the API processes (repeatable)")  # fmt: skip
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""),
                        help="PostgreSQL; a fresh database is made on its server")  # fmt: skip
    parser.add_argument("--staff", type=int, default=16, help="accounts per cloned role")
    parser.add_argument("--quiet", type=float, default=0.25, metavar="CORES",
                        help="before each level, wait for the machine to be this idle")  # fmt: skip
    parser.add_argument("--quiet-wait", type=float, default=120, help="at most (0: no wait)")
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("needs PostgreSQL: --database-url or DATABASE_URL = postgres://…")
    env = {"LENDGRAPH_SECRET": secrets.token_hex(32), **dict(args.server_env)}
    logs = Path(tempfile.mkdtemp(prefix="lendgraph-load-"))
    results: dict[tuple[int, int], dict[str, Any]] = {}
    with fresh_database(args.database_url, args.keep_database) as url:
        rows, seeded, pg_version = asyncio.run(prepare(url, args.customers, args.staff))
        zone = ZoneInfo(os.environ.get("LENDGRAPH_TIMEZONE", "Asia/Shanghai"))
        paid_at = datetime.combine(BUSINESS_DATE, clock_time(10), zone).astimezone(UTC)
        for procs in args.processes:
            with api_processes(url, procs, env, logs) as servers:
                pids, bases = [pid for pid, _ in servers], [base for _, base in servers]
                tokens = login_all(bases[0], args.staff)  # one secret: every process accepts them
                for users in args.concurrency:
                    wait_for_quiet(args.quiet, args.quiet_wait)
                    plan = {"bases": bases, "concurrency": users, "seconds": args.seconds,
                            "warmup": args.warmup, "timeout": args.timeout, "tokens": tokens,
                            "paid_at": paid_at.isoformat(), "seed": procs * 1000 + users,
                            **rows}  # fmt: skip
                    results[procs, users] = summarise(run_level(plan, pids), args.seconds)
                    print(f"  {procs} process(es), {users} users: "
                          f"{results[procs, users]['rps']:.1f} req/s", file=sys.stderr)  # fmt: skip
    print(f"load, PostgreSQL, {args.customers:,} customers (seeded in {seeded:.0f} s); "
          f"{args.seconds:g} s per level after {args.warmup:g} s warm-up; "
          f"request timeout {args.timeout:g} s")  # fmt: skip
    print(f"machine: {machine(pg_version)}; client, API processes and PostgreSQL share it")
    shown = {k: v for k, v in env.items() if k != "LENDGRAPH_SECRET"}
    print(f"server environment: {' '.join(f'{k}={v}' for k, v in shown.items()) or 'defaults'}")
    print("mix: " + ", ".join(f"{k} {w}" for k, w in MIX.items()))
    print_table(results)
    print()
    for procs in args.processes:
        level = [(u, results[procs, u]) for u in args.concurrency]
        print(f"saturation point, {procs} process(es): {saturation(level)} users")
    busy = [f"{p}x{u}" for (p, u), r in results.items() if r["cpu"][3] > args.quiet]
    if busy:  # other work competed for the cores: those figures are low
        print(f"levels disturbed by other work (> {args.quiet:g} cores): {', '.join(busy)}")
    unexpected = sum(r["unexpected"] for r in results.values())
    print(f"unexpected errors: {unexpected}")
    for (procs, users), r in results.items():
        for outcome, example in r["samples"].items():
            print(f"  e.g. {outcome} at {procs}x{users}: {example[:200]}")
    print(f"server logs: {logs}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
