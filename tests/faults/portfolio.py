"""A small seeded portfolio in a database of its own, copied for each run, and real workers on it.

The portfolio is built once per session by the real commands (`lendgraph migrate`, `lendgraph
seed`) on 2026-06-19, the Dragon Boat Festival, so one daily run has everything: loans past due
(collections), installments due in 7, 3 and 1 days (reminders), customers who qualify for a
limit increase (offers) and a holiday greeting for everyone (care). The business time is pinned
at 10:00, inside every contact window. Each run gets an identical copy (a file copy on SQLite,
``CREATE DATABASE … TEMPLATE`` on PostgreSQL), so a run and its reference start from the same
rows and ids.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg

from domain import faults
from domain.db import is_postgres
from tests.pgdatabase import admin, fresh_database

ROOT = Path(__file__).resolve().parents[2]
FIRST_DAY = date(2026, 6, 19)
CUSTOMERS = 40


def on_postgres() -> bool:
    """Whether this session runs on PostgreSQL (DATABASE_URL names one)."""
    return is_postgres(os.environ.get("DATABASE_URL") or "sqlite://x")


def environment(tmp: Path, **extra: str) -> dict[str, str]:
    """A worker's environment: test mode, the demo log channel in `tmp`, nothing inherited."""
    env = {"PATH": "/usr/bin:/bin", "LENDGRAPH_MODE": "test", "COLUMNS": "200",
           "PYTHONUNBUFFERED": "1", "LENDGRAPH_OUTBOX_LOG": str(tmp / "outbox.log")}  # fmt: skip
    env.update(extra)
    return env


def lendgraph(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the `lendgraph` command to its end."""
    return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


def start(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start the `lendgraph` command in the background (its output merged, line by line)."""
    return subprocess.Popen([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip


def worker_once(url: str, tmp: Path, *, fault: str | None = None, after: int = 0,
                **extra: str) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """One worker round (`lendgraph worker --once`), killed -9 at `fault` when it is given."""
    env = environment(tmp, **extra)
    if fault:
        env[faults.FAULT_ENV] = fault
        env[faults.FAULT_AFTER_ENV] = str(after)
    return lendgraph("worker", "--once", "--database-url", url, env=env)


def killed(done: subprocess.CompletedProcess[str]) -> bool:
    """Whether the process died by SIGKILL (at its fault point)."""
    return done.returncode == -signal.SIGKILL


def logged(tmp: Path) -> Counter[str]:
    """How often the demo channel wrote each dedupe key (what a customer would receive)."""
    path = tmp / "outbox.log"
    if not path.exists():
        return Counter()
    lines = path.read_text(encoding="utf-8").splitlines()
    return Counter(json.loads(line)["dedupe_key"] for line in lines)


def _pg(url: str) -> str:
    return url.replace("postgres://", "postgresql://").split("?")[0]


async def execute(url: str, sql: str) -> None:
    """Run one statement on the database at url (outside the test's ORM connection)."""
    if not is_postgres(url):
        conn = sqlite3.connect(url.removeprefix("sqlite://"))
        try:
            conn.executescript(sql)
            conn.commit()
        finally:
            conn.close()
        return
    pg = await asyncpg.connect(_pg(url))
    try:
        await pg.execute(sql)
    finally:
        await pg.close()


async def value(url: str, sql: str) -> object:
    """The first column of the first row of a query."""
    if not is_postgres(url):
        conn = sqlite3.connect(url.removeprefix("sqlite://"))
        try:
            row = conn.execute(sql).fetchone()
        finally:
            conn.close()
        return row[0] if row else None
    pg = await asyncpg.connect(_pg(url))
    try:
        return await pg.fetchval(sql)
    finally:
        await pg.close()


async def rows_of(url: str, sql: str) -> list[tuple[Any, ...]]:
    """The rows of a query, as tuples."""
    if not is_postgres(url):
        conn = sqlite3.connect(url.removeprefix("sqlite://"))
        try:
            return [tuple(row) for row in conn.execute(sql).fetchall()]
        finally:
            conn.close()
    pg = await asyncpg.connect(_pg(url))
    try:
        return [tuple(row) for row in await pg.fetch(sql)]
    finally:
        await pg.close()


def sent(url: str) -> set[str]:
    """The dedupe keys of the messages the database records as SENT."""
    found = asyncio.run(rows_of(url, "SELECT dedupe_key FROM outbox_message WHERE status = 'SENT'"))
    return {str(k) for (k,) in found}


async def set_date(url: str, day: date) -> None:
    """Move the business date of the database at url (tests own it: never the wall clock)."""
    await execute(url, f"UPDATE business_day SET \"current\" = '{day.isoformat()}'")


@dataclass
class Portfolio:
    """The seeded template and how to copy it."""

    template: str
    scratch: Path

    @contextmanager
    def copy(self) -> Iterator[str]:
        """A database with the template's rows, dropped after the block."""
        name = f"run_{uuid.uuid4().hex[:10]}"
        if not is_postgres(self.template):
            source = Path(self.template.removeprefix("sqlite://"))
            target = self.scratch / f"{name}.db"
            shutil.copyfile(source, target)
            yield f"sqlite://{target}"
            return
        server, _, template = self.template.rpartition("/")
        asyncio.run(admin(_pg(server), f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        try:
            yield f"{server}/{name}"
        finally:
            asyncio.run(admin(_pg(server), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def portfolio(scratch: Path) -> Iterator[Portfolio]:
    """Build the template by the real commands: migrate, seed, business time pinned at 10:00."""
    configured = os.environ.get("DATABASE_URL", "")
    with _template(configured, scratch) as url:
        env = environment(scratch)
        for args in (("migrate",), ("seed", "--customers", str(CUSTOMERS),
                                    "--business-date", FIRST_DAY.isoformat())):  # fmt: skip
            done = lendgraph(*args, "--database-url", url, env=env)
            assert done.returncode == 0, done.stdout + done.stderr
        asyncio.run(execute(url, "UPDATE business_day SET pinned_time = '10:00:00'"))
        yield Portfolio(url, scratch)


@contextmanager
def _template(configured: str, scratch: Path) -> Iterator[str]:
    if not is_postgres(configured or "sqlite://x"):
        yield f"sqlite://{scratch / 'template.db'}"
        return
    with fresh_database(configured, prefix="lendgraph_portfolio") as url:
        yield url
