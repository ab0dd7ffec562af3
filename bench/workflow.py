"""Workflow benchmark: FAST-lane applications end to end through GraphQL, beside bare SpiffWorkflow.

Seeds a small portfolio, deploys the bundled credit approval, serves it with uvicorn in a
child process, then, as an account manager over real HTTP: submits applications that take the
FAST lane (no human review) and completes each one's signature task, which disburses a loan
with its schedule. The same process is also run by bare in-memory SpiffWorkflow (our safe
engine, canned service answers, no database), before, between and after the servers' runs; the
ratio to the median of the three is the cost of durability, access control and HTTP. It prints
where the CPU went (server, PostgreSQL's backends, client), then the throughput of other
customers' applications sent by several clients at once (aiohttp, one event loop: about 1 ms of
CPU an application, where httpx took 6 to 9 of the same two cores), to one server process and
to two.

    python bench/workflow.py [--applications 200] [--clients 8] [--database-url postgres://…/db]
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import httpx
import orjson
from cputime import CpuMeter, backend_pids, process_seconds
from server import running_server, running_servers
from tortoise import Tortoise
from tortoise.expressions import Subquery

from api.relay import to_global_id
from bpmn import engine
from bpmn.deployments import BUNDLED, deploy_bundled
from bpmn.validation import deploy_check
from domain import migrate
from domain.credit.models import CreditReport
from domain.customer.models import Customer
from domain.db import is_postgres, tortoise_config
from domain.loan.models import Loan
from domain.seed.generator import seed
from domain.user.models import User

PASSWORD = "bench-password"
SUBMIT = """mutation ($id: ID!) { submitApplication(input: {customerId: $id,
  productCode: "CONSUMER", amount: "20000.00", termMonths: 24, channel: APP}) {
  ... on SubmitApplicationSuccess {
  application { status processInstance { status error tasks { id status } } } } } }"""
COMPLETE = """mutation ($id: ID!) { completeTask(input: {taskId: $id, data: {}}) {
  ... on CompleteTaskSuccess { processInstance { status } } } }"""
LOGIN = """mutation ($u: String!, $p: String!) {
  login(input: {username: $u, password: $p}) { ... on LoginSuccess { token } } }"""


async def _prepare(url: str, applications: int) -> list[str]:
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    await migrate.apply(url)
    # about a fifth of the customers are am1's, a few of them late
    size = max(400, applications * 7)
    await seed(customers=size, demo_password=PASSWORD, business_date=date(2026, 6, 15))
    await deploy_bundled()
    manager = await User.get(username="am1")
    late = Loan.filter(days_past_due__gt=0).values("customer_id")
    chosen = (
        await Customer.filter(account_manager_id=manager.id)
        .exclude(id__in=Subquery(late))
        .order_by("id")
        .limit(applications)
    )
    # a fresh, strong report (later than any the seed pulled) and a comfortable income: FAST
    for customer in chosen:
        customer.monthly_income = Decimal("50000.00")
        await customer.save(update_fields=["monthly_income"])
        await CreditReport.create(customer_id=customer.id, bureau="PBOC", score=790, total_debt=0,
                                  pulled_at=datetime(2026, 6, 14, 23, tzinfo=UTC))  # fmt: skip
    await Tortoise.close_connections()
    return [to_global_id("Customer", c.id) for c in chosen]


def _post(client: httpx.Client, query: str, headers: dict[str, str], **variables: Any) -> Any:
    response = client.post("/graphql", headers=headers,
                           json={"query": query, "variables": variables})  # fmt: skip
    return response.json()


@dataclass(frozen=True)
class Cpu:
    """CPU seconds over the timed applications: the server, PostgreSQL's backends, the client."""

    server: float
    database: float
    client: float


def _signature(submitted: Any) -> str:
    """The signature task's id of a FAST-lane application just submitted (it waits there)."""
    assert "errors" not in submitted, submitted["errors"]
    application = submitted["data"]["submitApplication"]["application"]
    assert len(application["processInstance"]["tasks"]) == 1, application
    return str(application["processInstance"]["tasks"][0]["id"])


def _completed(signed: Any) -> None:
    assert signed["data"]["completeTask"]["processInstance"]["status"] == "COMPLETED", signed


WARM_UP = 3  # applications sent first and left out of every figure (first statements, caches)


def _through_graphql(url: str, customers: list[str]) -> tuple[float, list[float], list[float], Cpu]:
    pids: list[int] = []
    with running_server(url, pids=pids) as client:
        login = _post(client, LOGIN, {}, u="am1", p=PASSWORD)
        headers = {"Authorization": f"Bearer {login['data']['login']['token']}"}
        submits, completes = [], []

        def one(customer: str) -> None:
            t0 = time.perf_counter()
            body = _post(client, SUBMIT, headers, id=customer)
            t1 = time.perf_counter()
            done = _post(client, COMPLETE, headers, id=_signature(body))
            t2 = time.perf_counter()
            _completed(done)
            submits.append(t1 - t0)
            completes.append(t2 - t1)

        for customer in customers[:WARM_UP]:
            one(customer)
        submits.clear()
        completes.clear()
        backends = asyncio.run(backend_pids(url)) if is_postgres(url) else []
        meter = CpuMeter([*pids, *backends])
        meter.start()
        started = time.perf_counter()
        for customer in customers[WARM_UP:]:
            one(customer)
        elapsed = time.perf_counter() - started
        meter.stop()
        cpu = Cpu(meter.total(pids), meter.total(backends), meter.ours)
        return elapsed, submits, completes, cpu


def _busy(body: Any) -> float | None:
    """The seconds to wait when the server refused a request as over capacity, else None."""
    for error in body.get("errors") or []:
        extensions = error.get("extensions") or {}
        if extensions.get("code") == "SERVER_BUSY":
            return float(extensions.get("retryAfter", 1))
    return None


@dataclass(frozen=True)
class Throughput:
    """Several clients at once: applications a second, requests refused as over capacity
    (sent again after their Retry-After, as a client should: nothing of a refused request was
    done), and the CPU seconds per application of the servers, the database and the clients."""

    rate: float
    refused: int
    cpu: Cpu


def _concurrently(
    url: str, warm_up: list[str], customers: list[str], clients: int, workers: int
) -> Throughput:
    """`customers`' applications sent by `clients` clients at once over `workers` servers (one
    event loop sends for all of them: threads would spend more CPU than the servers), after
    `warm_up`'s the same way, untimed (each connection a server opens has its first statements
    to prepare, and PostgreSQL its caches to fill)."""
    pids: list[int] = []
    with running_servers(url, workers, pids=pids) as servers:
        tokens = [_post(server, LOGIN, {}, u="am1", p=PASSWORD) for server in servers]
        signed_in = [{"Authorization": f"Bearer {t['data']['login']['token']}"} for t in tokens]
        refused = [0]

        async def lane(index: int, client: aiohttp.ClientSession, lanes: list[list[str]]) -> None:
            headers = signed_in[index % workers]

            async def post(query: str, **variables: Any) -> Any:
                while True:
                    document = {"query": query, "variables": variables}
                    async with client.post("/graphql", headers=headers, json=document) as answer:
                        body = await answer.json(loads=orjson.loads)
                    wait = _busy(body)
                    if wait is None:
                        return body
                    refused[0] += 1
                    await asyncio.sleep(wait)

            for customer in lanes[index]:
                body = await post(SUBMIT, id=customer)
                _completed(await post(COMPLETE, id=_signature(body)))

        async def all_lanes(chosen: list[str]) -> None:
            lanes = [chosen[i::clients] for i in range(clients)]
            sessions = [
                aiohttp.ClientSession(
                    base_url=str(s.base_url), timeout=aiohttp.ClientTimeout(total=60),
                    connector=aiohttp.TCPConnector(limit=clients),
                    json_serialize=lambda v: orjson.dumps(v).decode(),
                )
                for s in servers
            ]  # fmt: skip
            try:
                await asyncio.gather(
                    *(lane(i, sessions[i % workers], lanes) for i in range(clients))
                )
            finally:
                for session in sessions:
                    await session.close()

        asyncio.run(all_lanes(warm_up))
        refused[0] = 0

        before = asyncio.run(backend_pids(url)) if is_postgres(url) else []
        meter = CpuMeter([*pids, *before])
        meter.start()
        started = time.perf_counter()
        asyncio.run(all_lanes(customers))
        elapsed = time.perf_counter() - started
        meter.stop()
        # connections the servers opened meanwhile: all their CPU is this run's
        opened = [p for p in asyncio.run(backend_pids(url)) if p not in before] if before else []
        database = meter.total(before) + sum(process_seconds(p) for p in opened)
        n = len(customers)
        return Throughput(n / elapsed, refused[0], Cpu(meter.total(pids) / n, database / n,
                                                        meter.ours / n))  # fmt: skip


def _bare(rounds: int) -> float:
    bundle = deploy_check((BUNDLED / "credit_approval.bpmn").read_bytes(),
                          [(BUNDLED / "risk_lane.dmn").read_bytes()])  # fmt: skip
    answers: dict[str, Any] = {
        "credit.score_application": {"score": 790, "band": "A", "annual_rate": "0.0990"},
        "loan.create_contract": {"loan_id": 1},
        "loan.disburse": {"disbursement_id": 1},
    }
    start = {"max_report_age_days": 30, "second_approval_above": Decimal("500000"),
             "application_id": 1, "customer_id": 1, "amount": Decimal("20000"), "term_months": 24,
             "product_code": "CONSUMER", "bureau_score": 790, "debt_to_income": Decimal("0.1"),
             "worst_dpd_12m": 0, "report_age_days": 1}  # fmt: skip
    started = time.perf_counter()
    for _ in range(rounds):
        handle = engine.new_workflow(
            bundle, "credit_approval",
            engine.make_engine(service_handler=lambda name, args: answers[name]), start,
        )  # fmt: skip
        engine.run_engine_steps(handle)
        [sign] = handle.ready_human_tasks()
        engine.complete_human_task(handle, sign.task_id, {})
        assert handle.completed
    return time.perf_counter() - started


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered) * 1000:.1f} | {p95 * 1000:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--applications", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--clients", type=int, default=8,
                        help="clients at once in the throughput runs (0: none)")  # fmt: skip
    args = parser.parse_args()
    url = args.database_url or f"sqlite://{tempfile.mkdtemp()}/workflow.db"
    # a new set of customers per worker count, and two applications a client to warm up each
    many = (args.applications + 2 * args.clients) * 2 if args.clients else 0
    chosen = asyncio.run(_prepare(url, args.applications + WARM_UP + many))
    customers, rest = chosen[: args.applications + WARM_UP], chosen[args.applications + WARM_UP :]
    n = args.applications
    # bare SpiffWorkflow timed before, between and after the servers' runs (n applications each):
    # the ratios are to the median, so a moment of the machine's noise moves no ratio alone
    bares = [_bare(n)]
    total, submits, completes, cpu = _through_graphql(url, customers)
    bares.append(_bare(n))
    runs: list[tuple[int, Throughput]] = []
    for workers in (1, 2) if args.clients else ():
        warm_up, rest = rest[: 2 * args.clients], rest[2 * args.clients :]
        batch, rest = rest[: args.applications], rest[args.applications :]
        runs.append((workers, _concurrently(url, warm_up, batch, args.clients, workers)))
    bares.append(_bare(n))
    bare = statistics.median(bares)
    backend = "PostgreSQL" if is_postgres(url) else "SQLite"
    print(f"credit approval, FAST lane, {n} applications end to end ({WARM_UP} before, untimed), "
          f"{backend}")  # fmt: skip
    print("| path | applications/s | submit median ms | submit p95 ms | signature median ms "
          "| signature p95 ms |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- |")
    print(f"| GraphQL over HTTP, durable | {n / total:.1f} | {_ms(submits)} | {_ms(completes)} |")
    print(f"| bare in-memory SpiffWorkflow | {n / bare:.1f} | - | - | - | - |")
    print(f"bare SpiffWorkflow before, between and after the servers' runs: "
          f"{', '.join(f'{n / b:.1f}' for b in bares)} applications/s (the median is the ratios' "
          f"reference)")  # fmt: skip
    print(f"ratio bare / durable (throughput): {(n / bare) / (n / total):.1f}x")
    database = f"{cpu.database / n * 1000:.1f} ms" if is_postgres(url) else "in the server"
    print(f"CPU per application: server {cpu.server / n * 1000:.1f} ms, database {database}, "
          f"client {cpu.client / n * 1000:.1f} ms; bare SpiffWorkflow {bare / n * 1000:.2f} ms "
          f"(wall {total / n * 1000:.1f} ms)")  # fmt: skip
    for workers, run in runs:
        print(f"{args.clients} clients at once, {workers} server process(es): {run.rate:.1f} "
              f"applications/s, {(n / bare) / run.rate:.1f}x under bare; {run.refused} "
              f"requests refused as over capacity and sent again; CPU per application: "
              f"servers {run.cpu.server * 1000:.1f} ms, database "
              f"{run.cpu.database * 1000:.1f} ms, clients "
              f"{run.cpu.client * 1000:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
