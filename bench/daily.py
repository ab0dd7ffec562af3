"""Daily-run benchmark: the business date's work over a seeded portfolio, step by step.

Seeds N customers (default 100,000) with their loans, schedules, payments and interactions
into a fresh database, deploys the bundled processes, then runs the daily run of the next
business date (the first run after loading: delinquency, month ends, profiles with RFM, risk
ratings by the decision table, lifecycle, tags and segments, collections for loans past due,
pre-due reminders, limit-increase offers, care) with --workers worker processes sharing its
chunks, then the date after (the steady state), then the same date again. For each run it
prints per step: wall seconds, chunks, the chunks' seconds and statements (PostgreSQL), what
the step did, and each worker's seconds and peak memory.

    python bench/daily.py [--customers 100000] [--workers 2] [--chunk 20000]
        [--database-url postgres://…/db] [--build sql|python] [--template NAME]

On PostgreSQL the portfolio is built inside the database by set-based statements
(`bench/portfolio`, `--build sql`, the default there); `--build python` (and SQLite) seeds
it through `domain.seed.generator`, row by row in batches. The build's time and the rows of
each table are printed apart from the daily run's.

With `--template NAME` (PostgreSQL) the built portfolio is kept in the database NAME, made
once, and every run starts from a fresh copy of it (`CREATE DATABASE … TEMPLATE NAME`, about
a minute at 1M customers instead of the build's ten): the runs compare like with like. The
copy is migrated and the bundled processes deployed again, so a template made before a
change still serves; drop it (`dropdb NAME`) when the portfolio's build itself changes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tortoise import Tortoise, connections

from domain import migrate
from domain.db import is_postgres, tortoise_config

os.environ.setdefault("LENDGRAPH_MODE", "demo")  # the bench moves the business date
PASSWORD = "bench-password"
HERE = Path(__file__).resolve().parent
BUSINESS_DATE = date(2026, 6, 15)


async def main() -> None:
    try:
        await _main()
    finally:
        await Tortoise.close_connections()


async def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes sharing a date")
    parser.add_argument("--chunk", type=int, default=20_000, help="customers per chunk")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--build", choices=("sql", "python"), default=None,
                        help="how to build the portfolio (default: sql on PostgreSQL)")  # fmt: skip
    parser.add_argument(
        "--template", default=None, help="PostgreSQL: keep the portfolio there, run on copies"
    )
    args = parser.parse_args()
    url = args.database_url or f"sqlite://{tempfile.mkdtemp()}/bench.db"
    build = args.build or ("sql" if is_postgres(url) else "python")
    if build == "sql" and not is_postgres(url):
        parser.error("--build sql needs a PostgreSQL --database-url")
    if args.template and not is_postgres(url):
        parser.error("--template needs a PostgreSQL --database-url")
    if args.template:
        seeded, build = await _from_template(url, args.template, args.customers, build)
    else:
        seeded = await _build(url, args.customers, build)
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    await migrate.apply(url)
    import portfolio

    from bpmn.deployments import deploy_bundled
    from domain.clock import service as clock

    counts = await portfolio.row_counts()
    print(f"portfolio built by {build} in {seeded:.1f} s: "
          + ", ".join(f"{table} {n:,}" for table, n in counts.items()), flush=True)  # fmt: skip
    await deploy_bundled()
    day = await clock.get() + timedelta(days=1)
    first = await _run(url, day, args.workers, args.chunk)
    steady = await _run(url, day + timedelta(days=1), args.workers, args.chunk)
    again = await _run(url, day + timedelta(days=1), 1, args.chunk)
    await Tortoise.close_connections()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    backend = "PostgreSQL" if is_postgres(url) else "SQLite"
    print(f"daily run, {backend}, {args.customers:,} customers "
          f"(built by {build} in {seeded:.0f} s, peak {peak:.0f} MB), {args.workers} worker(s), "
          f"chunks of {args.chunk:,} customers")  # fmt: skip
    for title, figures in (("first run after loading", first), ("steady state", steady)):
        _print(title, figures)
    print(f"re-run of the same date: {again.seconds:.2f} s, nothing repeated")


async def _build(url: str, customers: int, build: str) -> float:
    """Build the portfolio into the (empty) database at ``url``; the seconds it took."""
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    await migrate.apply(url)
    import portfolio

    from bpmn.deployments import deploy_bundled
    from domain.profile import segments
    from domain.seed.generator import seed

    started = time.perf_counter()
    if build == "sql":
        await portfolio.build(
            customers=customers,
            demo_password=PASSWORD,
            business_date=BUSINESS_DATE,
            progress=lambda phase, seconds: print(f"  built {phase}: {seconds:.1f} s", flush=True),
        )
    else:
        await seed(customers=customers, demo_password=PASSWORD, business_date=BUSINESS_DATE)
        await connections.get("default").execute_script("ANALYZE")
    await deploy_bundled()
    await segments.define("valuable_low_risk", "", {"rfm_segment": ["CHAMPIONS", "LOYAL"],
                          "risk_rating": ["LOW", "MEDIUM"]}, by="bench")  # fmt: skip
    seconds = time.perf_counter() - started
    await Tortoise.close_connections()
    return seconds


async def _from_template(url: str, template: str, customers: int, build: str) -> tuple[float, str]:
    """A fresh copy of ``template`` at ``url``, building the template first when missing."""
    import asyncpg

    target = urlsplit(url).path.lstrip("/")
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres", scheme="postgresql"))
    conn = await asyncpg.connect(admin)
    try:
        made = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", template)
        seconds = 0.0
        if not made:
            await conn.execute(f'CREATE DATABASE "{template}"')
            built_url = urlunsplit(urlsplit(url)._replace(path=f"/{template}"))
            seconds = await _build(built_url, customers, build)
            print(f"template {template} built in {seconds:.1f} s", flush=True)
        for name in (template, target):  # a copy needs its template without sessions
            await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = $1 AND pid <> pg_backend_pid()", name)  # fmt: skip
        started = time.perf_counter()
        await conn.execute(f'DROP DATABASE IF EXISTS "{target}"')
        await conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{template}"')
        print(f"copied {template} to {target} in {time.perf_counter() - started:.1f} s", flush=True)
    finally:
        await conn.close()
    return seconds, f"{build} (template {template})"


@dataclass
class Figures:
    """A date's run: wall time, each worker's line, each step's row."""

    day: date
    seconds: float
    workers: list[dict[str, Any]]
    steps: list[tuple[Any, ...]]


STEP_FIGURES = """
SELECT r.step, extract(epoch FROM max(c.finished_at) - min(r.started_at)), count(c.id),
       sum(c.seconds), sum(c.statements), count(DISTINCT c.worker), min(r.detail::text)
FROM daily_run r LEFT JOIN daily_chunk c ON c.business_date = r.business_date AND c.step = r.step
WHERE r.business_date = $1 GROUP BY r.step"""


async def _run(url: str, day: date, workers: int, chunk: int) -> Figures:
    """The date's daily run by `workers` processes at once; its figures from the tables."""
    from bpmn import daily
    from domain.clock import service as clock

    await clock.set_(day)
    env = {**os.environ, "LENDGRAPH_DAILY_CHUNK_CUSTOMERS": str(chunk)}
    started = time.perf_counter()
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(HERE / "daily_worker.py"),
            url,
            day.isoformat(),
            env=env,
            cwd=HERE.parent,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(workers)
    ]
    outputs = [await child.communicate() for child in children]
    seconds = time.perf_counter() - started
    lines = [json.loads(out.decode().strip().splitlines()[-1]) for out, _ in outputs]
    for child, line in zip(children, lines, strict=True):
        assert child.returncode == 0 and line["done"], line
    if is_postgres(url):
        conn = connections.get("default")
        found = {r[0]: r for r in (await conn.execute_query(STEP_FIGURES, [day]))[1]}
    else:  # the same figures, SQLite's way
        found = {}
    names = [name for name, _ in daily.STEPS]
    return Figures(day, seconds, lines, [tuple(found[n]) if n in found else (n,) for n in names])


def _print(title: str, figures: Figures) -> None:
    print(f"\n{title}: business date {figures.day}, {figures.seconds:.1f} s wall")
    print("| step | wall s | chunks | chunk s (sum) | statements | workers | result |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in figures.steps:
        if len(row) == 1:
            print(f"| {row[0]} | | | | | | |")
            continue
        name, wall, count, spent, statements, who, detail = row
        print(f"| {name} | {float(wall or 0):.1f} | {count} | {float(spent or 0):.1f} | "
              f"{statements or ''} | {who} | {detail} |")  # fmt: skip
    for n, line in enumerate(figures.workers, 1):
        print(f"worker {n}: {line['seconds']} s, {line['chunks']} chunks, "
              f"peak {line['peak_mb']} MB")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
