"""`lendgraph worker`: the daily run, timers, retries, the outbox and background simulations,
round after round.

Registered on the main command by `register`. The worker outlives its database: when the
database cannot be reached, times out, or is not migrated yet, a round logs one line and the
worker tries again after a pause that doubles each time (1 s, 2 s, 4 s ... capped at 60 s by
default), then goes on where it left off. SIGTERM (or SIGINT) lets the message being sent
finish, gives back the claims whose channel call has not started, and exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
import time
from dataclasses import dataclass
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from tortoise import Tortoise, connections
from tortoise.exceptions import OperationalError

from api.cli_options import UrlOption
from domain import migrate as migrations
from domain.daily.chunks import chunk_size
from domain.db import planner_settings
from domain.pgclient import unavailable
from domain.simulation.jobs import chunk_size as simulation_chunk_size
from domain.simulation.jobs import lease_seconds as simulation_lease_seconds

console = Console(highlight=False, soft_wrap=True)  # one line per event, whatever the width
# SQLite's ways of saying the file cannot be used right now
SQLITE_UNAVAILABLE = ("unable to open database file", "database is locked", "disk I/O error")


@dataclass
class Backoff:
    """Pauses after failed rounds: ``first``, doubled each time, never above ``cap``."""

    first: float = 1.0
    cap: float = 60.0
    failures: int = 0

    def next(self) -> float:
        """The pause before the next try; each call doubles the one after."""
        pause = min(self.cap, self.first * 2.0**self.failures)
        self.failures += 1
        return pause

    def reset(self) -> None:
        """A round went through: the next failure starts from ``first`` again."""
        self.failures = 0


class Stop:
    """Set by SIGTERM or SIGINT: the worker finishes what is in flight, then exits.

    The flag is set by a plain signal handler, so the very next check sees it (between a
    claim and its channel call, say); the event wakes a worker that is pausing.
    """

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.requested = False

    def __call__(self) -> bool:
        return self.requested

    def install(self) -> None:
        """Catch SIGTERM and SIGINT for the running loop."""
        loop = asyncio.get_running_loop()

        def handler(signum: int, frame: object) -> None:
            self.requested = True
            loop.call_soon_threadsafe(self.event.set)

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, handler)

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds`, or less when a stop comes first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.event.wait(), seconds)


def why_unavailable(exc: BaseException) -> str | None:
    """Why the database cannot be used now (one line), or None for any other failure."""
    if isinstance(exc, migrations.NotMigratedError):
        return str(exc)
    error = unavailable(exc)
    if error is not None:
        root = exc
        while root.__cause__ is not None:
            root = root.__cause__
        detail = f": {type(root).__name__}: {root}" if root is not exc else ""
        return f"{error.reason}{detail}"
    if isinstance(exc, OperationalError | sqlite3.OperationalError) and any(
        said in str(exc) for said in SQLITE_UNAVAILABLE
    ):
        return f"the database file cannot be used: {exc}"
    return None


async def _connect(url: str | None) -> None:
    """Open the database and make sure it is there and migrated (raises otherwise)."""
    await Tortoise.close_connections()
    await migrations.init(url)
    # a real round trip first: the migration check reads an unreachable database as empty
    await connections.get("default").execute_query("SELECT 1")
    await migrations.check(url)


PROGRESS_EVERY = 5.0  # seconds between two progress lines of the daily run


class Progress:
    """Prints the daily run's progress (step, chunks done of all, estimate), at most once
    every `PROGRESS_EVERY` seconds, so a run of thousands of chunks stays readable."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, line: str) -> None:
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY:
            self.last = now
            console.print(escape(line))


async def _round(stop: Stop, done: date | None, progress: Progress) -> date | None:
    """One round; returns the business date whose daily run is reported done."""
    from bpmn.work import worker_round

    result = await worker_round(stop=stop, notify=progress)
    report = result.daily
    if report.done and report.business_date != done:
        console.print(f"{report.business_date}: daily run {report.steps}")
        done = report.business_date
    elif report.failures:
        for step, error in report.failures.items():  # an error's text is not markup
            console.print(f"[red]{report.business_date}: {step} failed: {escape(error)}")
        for step, why in report.waiting.items():
            console.print(f"{report.business_date}: {step} {why}")
    if result.waits or result.messages_sent:
        console.print(
            f"{result.waits} timer(s) and retries, {result.messages_sent} message(s) sent"
        )
    await _simulations(stop)
    return done


async def _simulations(stop: Stop) -> None:
    """The round's simulation jobs: queued ones (and those of a worker that died), one line each."""
    from bpmn.simulation import jobs  # bpmn is imported when a round runs, as worker_round

    for outcome in await jobs.run_queued(stop=stop):
        said = f"simulation {outcome.simulation_id}: {outcome.status}"
        if outcome.error is not None:  # an error's text is not markup
            console.print(f"[red]{escape(said)}: {escape(outcome.error)}")
        else:
            console.print(escape(said))


async def work(url: str | None, *, interval: float, once: bool, backoff: Backoff) -> int:
    """Rounds until stopped (or one with `once`); returns the exit status."""
    stop = Stop()
    stop.install()
    connected, done = False, None
    progress = Progress()
    try:
        while not stop():
            try:
                if not connected:
                    await _connect(url)
                    connected = True
                done = await _round(stop, done, progress)
                backoff.reset()
            except Exception as exc:
                reason = why_unavailable(exc)
                if reason is None:
                    raise
                if once:
                    console.print(f"[red]error:[/red] {escape(reason)}")
                    return 2 if isinstance(exc, migrations.NotMigratedError) else 1
                pause = backoff.next()
                console.print(f"database unavailable: {escape(reason)}; next try in {pause:g} s")
                # not there, or not migrated yet: open it afresh next time
                connected = connected and not isinstance(exc, migrations.NotMigratedError)
                await stop.sleep(pause)
                continue
            if once:
                break
            await stop.sleep(interval)
        if stop():
            console.print("stopped: nothing left in flight")
        return 0
    finally:
        await Tortoise.close_connections()


def register(app: typer.Typer) -> None:
    """Add `worker` to the command."""

    @app.command()
    def worker(
        database_url_: UrlOption = None,
        interval: Annotated[float, typer.Option(help="Seconds between rounds.")] = 10.0,
        once: Annotated[bool, typer.Option("--once", help="Run one round and exit.")] = False,
        backoff: Annotated[
            float, typer.Option(help="First pause (s) after a round the database failed.")
        ] = 1.0,
        backoff_max: Annotated[
            float, typer.Option(help="Longest pause (s) while the database stays away.")
        ] = 60.0,
    ) -> None:
        """Daily work for each new business date, then rounds of timers, collections, outbox
        and background simulations.

        Several workers may run against one PostgreSQL database: each timer fires once, each
        message is sent once, each simulation runs in one worker at a time. While the database
        is unreachable or not migrated the worker waits (one line per try, pauses doubling up
        to --backoff-max); with --once it exits 1 (2 if not migrated) instead. SIGTERM finishes
        the message being sent, gives a running simulation back to the queue, and exits 0.
        """
        try:  # a bad setting stops the worker now, not in the middle of a date
            chunk_size()
            planner_settings()
            simulation_chunk_size()
            simulation_lease_seconds()
        except ValueError as exc:
            console.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from None
        status = asyncio.run(
            work(database_url_, interval=interval, once=once,
                 backoff=Backoff(first=backoff, cap=backoff_max))
        )  # fmt: skip
        if status:
            raise typer.Exit(status)
