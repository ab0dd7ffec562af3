"""Daily-run benchmark: the business date's work over a seeded portfolio, step by step.

Seeds N customers (default 100,000) with their loans, schedules, payments and interactions
into a fresh database, deploys the bundled processes, then runs the daily run of the next
business date (delinquency, profiles with RFM, risk ratings by the decision table, lifecycle,
tags and segments, collections for loans past due, pre-due reminders, limit-increase offers)
and prints each step's time, what it did, and the process's peak memory.

    python bench/daily.py [--customers 100000] [--database-url postgres://…/db] [--build sql|python]

On PostgreSQL the portfolio is built inside the database by set-based statements
(`bench/portfolio`, `--build sql`, the default there); `--build python` (and SQLite) seeds
it through `domain.seed.generator`, row by row in batches. The build's time and the rows of
each table are printed apart from the daily run's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
from datetime import date, timedelta

from tortoise import Tortoise, connections

from domain import migrate
from domain.db import is_postgres, tortoise_config

os.environ.setdefault("LENDGRAPH_MODE", "demo")  # the bench moves the business date
PASSWORD = "bench-password"
BUSINESS_DATE = date(2026, 6, 15)


async def main() -> None:
    try:
        await _main()
    finally:
        await Tortoise.close_connections()


async def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--build", choices=("sql", "python"), default=None,
                        help="how to build the portfolio (default: sql on PostgreSQL)")  # fmt: skip
    args = parser.parse_args()
    url = args.database_url or f"sqlite://{tempfile.mkdtemp()}/bench.db"
    build = args.build or ("sql" if is_postgres(url) else "python")
    if build == "sql" and not is_postgres(url):
        parser.error("--build sql needs a PostgreSQL --database-url")
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    await migrate.apply(url)

    import portfolio

    from bpmn import daily
    from bpmn.deployments import deploy_bundled
    from domain.clock import service as clock
    from domain.profile import segments
    from domain.seed.generator import seed

    started = time.perf_counter()
    if build == "sql":
        await portfolio.build(
            customers=args.customers,
            demo_password=PASSWORD,
            business_date=BUSINESS_DATE,
            progress=lambda phase, seconds: print(f"  built {phase}: {seconds:.1f} s", flush=True),
        )
    else:
        await seed(customers=args.customers, demo_password=PASSWORD, business_date=BUSINESS_DATE)
        await connections.get("default").execute_script("ANALYZE")
    seeded = time.perf_counter() - started
    counts = await portfolio.row_counts()
    print(f"portfolio built by {build} in {seeded:.1f} s: "
          + ", ".join(f"{table} {n:,}" for table, n in counts.items()), flush=True)  # fmt: skip
    await deploy_bundled()
    await segments.define("valuable_low_risk", "", {"rfm_segment": ["CHAMPIONS", "LOYAL"],
                          "risk_rating": ["LOW", "MEDIUM"]}, by="bench")  # fmt: skip
    day = await clock.get() + timedelta(days=1)
    await clock.set_(day)

    timings: dict[str, float] = {}
    original = list(daily.STEPS)

    def timed(name: str, step: daily.Step) -> daily.Step:
        async def run(d: object) -> dict[str, object]:
            t0 = time.perf_counter()
            out = await step(d)  # type: ignore[arg-type]
            timings[name] = time.perf_counter() - t0
            return out

        return run  # type: ignore[return-value]

    daily.STEPS = tuple((name, timed(name, step)) for name, step in original)
    t0 = time.perf_counter()
    report = await daily.run(day)
    total = time.perf_counter() - t0
    t1 = time.perf_counter()
    again = await daily.run(day)
    rerun = time.perf_counter() - t1
    await Tortoise.close_connections()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    backend = "PostgreSQL" if is_postgres(url) else "SQLite"
    print(f"daily run, {backend}, {args.customers:,} customers "
          f"(built by {build} in {seeded:.0f} s), "
          f"business date {day}")  # fmt: skip
    assert report.done, report.failed
    print("| step | seconds | result |")
    print("| --- | --- | --- |")
    for name, _ in original:
        print(f"| {name} | {timings.get(name, 0):.1f} | {report.steps.get(name)} |")
    print(f"| total | {total:.1f} | |")
    print(f"re-run of the same date: {rerun:.2f} s, done={again.done} (nothing repeated)")
    print(f"peak memory (max RSS of this process, seeding included): {peak:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
