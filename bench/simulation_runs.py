"""What the simulation benchmarks share: a fresh database of each kind, sequences set after
set-based inserts, one simulation timed then traced, one process per database."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import tracemalloc
from argparse import ArgumentParser, Namespace
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]
from tortoise import connections

from bpmn.simulation import run
from bpmn.simulation.population import Population

PROCESSES = Path(__file__).resolve().parents[1] / "bpmn" / "processes"


async def fresh_postgres(url: str) -> None:
    """Drop and create again the PostgreSQL database `url` names."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    conn = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def after_inserts(tables: Iterable[str]) -> None:
    """PostgreSQL after rows inserted with their ids: the tables' sequences past them, and
    fresh statistics."""
    db = connections.get("default")
    for name in tables:
        await db.execute_script(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"
        )
    await db.execute_script("ANALYZE")


async def timed_and_traced(
    draft: run.Draft, population: Population
) -> tuple[run.Simulated, float, int]:
    """The simulation's result and seconds, then the peak memory of a second run (tracing
    slows it, so it is timed apart)."""
    started = time.perf_counter()
    done = await run.simulate(draft, population)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    await run.simulate(draft, population)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return done, seconds, peak


def each_database(
    script: str, args: Namespace, one: Callable[[Namespace], Awaitable[None]]
) -> None:
    """Run `one` for the database `--only` names (an empty SQLite file, or PostgreSQL), or run
    `script` once per database, each in a process of its own: the ORM keeps one dialect's
    statements per model."""
    if args.only is not None:
        if args.only == "sqlite":
            Path(args.sqlite_path).unlink(missing_ok=True)
        asyncio.run(one(args))
        return
    for only in ("sqlite", "postgres"):
        subprocess.run([sys.executable, script, *sys.argv[1:], "--only", only], check=True)


def loans_main(
    script: str, doc: str | None, bench: Callable[[str, str, int], Awaitable[None]], *,
    loans: int, url: str, sqlite: str,
) -> None:  # fmt: skip
    """The command line of a benchmark over loans (``--loans``, ``--sqlite-path``,
    ``--database-url``, ``--only``): ``bench(name, url, loans)`` on each database in turn,
    PostgreSQL's dropped and made again first."""
    parser = ArgumentParser(description=(doc or "").split("\n")[0])
    parser.add_argument("--loans", type=int, default=loans)
    parser.add_argument("--sqlite-path", default=sqlite, help="removed and made again")
    parser.add_argument("--database-url", default=url, help="dropped and made again")
    parser.add_argument("--only", choices=("sqlite", "postgres"))

    async def one(args: Namespace) -> None:
        if args.only == "sqlite":
            await bench("SQLite", f"sqlite://{args.sqlite_path}", args.loans)
        else:
            await fresh_postgres(args.database_url)
            await bench("PostgreSQL", args.database_url, args.loans)

    each_database(script, parser.parse_args(), one)
