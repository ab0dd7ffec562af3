"""A worker outlives its database and stops politely.

Started before its database exists, it logs one line per try, pausing longer each time (up to
its cap), keeps running, and does the date's work once the database is created and migrated.
On SIGTERM it finishes the message it is sending, gives back a claim whose call has not
started, and exits 0, leaving no message SENDING.
"""

from __future__ import annotations

import asyncio
import os
import re
import selectors
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bpmn.daily import STEPS
from domain import faults
from tests.domain.outreach.gateway import Gateway
from tests.faults.portfolio import (
    Portfolio,
    environment,
    lendgraph,
    logged,
    on_postgres,
    rows_of,
    sent,
    start,
    worker_once,
)
from tests.httpfake import Recorded, serve
from tests.pgdatabase import fresh_database

PAUSES = re.compile(r"next try in ([\d.]+) s")


def _lines(worker: subprocess.Popen[str], until: str, seconds: float = 60) -> list[str]:
    """The worker's output lines up to the first that contains `until` (fails after `seconds`)."""
    assert worker.stdout is not None
    chooser = selectors.DefaultSelector()
    chooser.register(worker.stdout, selectors.EVENT_READ)
    lines: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if chooser.select(timeout=0.2):
            line = worker.stdout.readline()
            if not line:
                break  # the worker ended
            lines.append(line.rstrip("\n"))
            if until in line:
                return lines
    raise AssertionError(f"no line with {until!r} in {seconds} s:\n" + "\n".join(lines))


def _stop(worker: subprocess.Popen[str]) -> tuple[int, str]:
    worker.send_signal(signal.SIGTERM)
    out, _ = worker.communicate(timeout=30)
    return worker.returncode, out


def _backing_off(worker: subprocess.Popen[str], tries: int) -> list[str]:
    lines: list[str] = []
    while sum(1 for line in lines if "database unavailable" in line) < tries:
        lines += _lines(worker, "next try in")
    return lines


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _pauses(lines: list[str]) -> list[float]:
    return [float(found[1]) for line in lines if (found := PAUSES.search(line))]


def test_a_worker_on_a_refused_port_backs_off_and_stops_on_sigterm(tmp_path: Path) -> None:
    url = f"postgres://postgres@127.0.0.1:{_free_port()}/lendgraph"
    worker = start("worker", "--database-url", url, "--backoff", "0.1", "--backoff-max", "0.4",
                   env=environment(tmp_path))  # fmt: skip
    try:
        lines = _backing_off(worker, tries=5)
        assert worker.poll() is None  # still running, not crashed
    finally:
        status, out = _stop(worker)
    tries = [line for line in lines if "database unavailable" in line]
    assert all("ConnectionRefusedError" in line for line in tries), lines
    assert _pauses(lines)[:5] == [0.1, 0.2, 0.4, 0.4, 0.4]  # doubling, capped
    assert status == 0 and "Traceback" not in out, out


@contextmanager
def _not_yet(tmp_path: Path) -> Iterator[tuple[str, object]]:
    """A database URL whose database does not exist yet, and how to create it."""
    if not on_postgres():
        folder = tmp_path / "not-yet"
        yield f"sqlite://{folder / 'lendgraph.db'}", lambda: folder.mkdir()
        return
    with fresh_database(os.environ["DATABASE_URL"], prefix="lendgraph_later") as url:
        server, _, name = url.rpartition("/")

        async def drop_then(sql: str) -> None:
            import asyncpg

            conn = await asyncpg.connect(
                f"{server.replace('postgres://', 'postgresql://')}/postgres"
            )
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        asyncio.run(drop_then(f'DROP DATABASE "{name}" WITH (FORCE)'))  # gone until created
        yield url, lambda: asyncio.run(drop_then(f'CREATE DATABASE "{name}"'))


def test_a_worker_waits_for_its_database_then_works(tmp_path: Path) -> None:
    with _not_yet(tmp_path) as (url, create):
        worker = start("worker", "--database-url", url, "--interval", "0.5", "--backoff", "0.2",
                       "--backoff-max", "0.8", env=environment(tmp_path))  # fmt: skip
        try:
            lines = _backing_off(worker, tries=4)
            assert worker.poll() is None
            assert _pauses(lines)[:4] == [0.2, 0.4, 0.8, 0.8]
            create()  # type: ignore[operator]
            migrated = lendgraph("migrate", "--database-url", url, env=environment(tmp_path))
            assert migrated.returncode == 0, migrated.stdout + migrated.stderr
            lines += _lines(worker, "daily run")  # the worker found it and did the date's work
        finally:
            status, out = _stop(worker)
        assert status == 0, out
        assert "Traceback" not in "\n".join(lines) + out
        done = asyncio.run(rows_of(url, "SELECT count(*) FROM daily_run WHERE status = 'DONE'"))
        assert done == [(len(STEPS),)]  # every step of the date


def _sms_gateway(tmp: Path, url: str) -> dict[str, str]:
    return environment(tmp, LENDGRAPH_SMS_WEBHOOK_URL=f"{url}/send",
                       LENDGRAPH_PUSH_WEBHOOK_URL=f"{url}/send")  # fmt: skip


def _sending(url: str) -> list[tuple[object, ...]]:
    return asyncio.run(
        rows_of(url, "SELECT dedupe_key FROM outbox_message WHERE status = 'SENDING'")
    )


def test_sigterm_during_a_send_lets_it_finish_and_exits_0(
    seeded: Portfolio, tmp_path: Path
) -> None:
    """The gateway itself sends SIGTERM while it holds the 4th message."""
    with seeded.copy() as url, serve() as server:
        gw = Gateway(url=server.url)
        worker: list[subprocess.Popen[str]] = []

        def answer(request: Recorded) -> object:
            if sum(gw.posts.values()) == 3:
                worker[0].send_signal(signal.SIGTERM)
                time.sleep(0.3)  # the worker is waiting for this answer
            return gw.answer(request)

        server.responder = answer  # type: ignore[assignment]
        env = _sms_gateway(tmp_path, server.url)
        worker.append(start("worker", "--database-url", url, "--interval", "60", env=env))
        out, _ = worker[0].communicate(timeout=90)
        assert worker[0].returncode == 0, out
        assert "stopped: nothing left in flight" in out
        assert _sending(url) == []
        assert set(gw.posts) == sent(url) and len(gw.posts) == 4  # the 4th finished and recorded
        finished = worker_once(url, tmp_path, **env)
        assert finished.returncode == 0, finished.stdout
        received = gw.posts + logged(tmp_path)
        assert set(received) == sent(url) and set(received.values()) == {1}
        assert len(received) == 55


def test_sigterm_between_a_claim_and_its_call_gives_the_claim_back(
    seeded: Portfolio, tmp_path: Path
) -> None:
    with seeded.copy() as url, serve() as server:
        gw = Gateway(url=server.url)
        server.responder = gw.answer
        env = _sms_gateway(tmp_path, server.url)
        env.update({faults.FAULT_ENV: "outbox.after_claim", faults.FAULT_ACTION_ENV: "term",
                    faults.FAULT_AFTER_ENV: "3"})  # fmt: skip
        worker = start("worker", "--database-url", url, "--interval", "60", env=env)
        out, _ = worker.communicate(timeout=90)
        assert worker.returncode == 0, out
        assert _sending(url) == [] and len(gw.posts) == 3
        back = asyncio.run(rows_of(url, "SELECT status, attempts, claimed_by FROM outbox_message "
                                        "ORDER BY scheduled_at, id LIMIT 4"))  # fmt: skip
        assert back[3] == ("QUEUED", 0, None)  # claimed, never called: as it was
        del env[faults.FAULT_ENV]
        finished = worker_once(url, tmp_path, LENDGRAPH_SMS_WEBHOOK_URL=f"{server.url}/send",
                               LENDGRAPH_PUSH_WEBHOOK_URL=f"{server.url}/send")  # fmt: skip
        assert finished.returncode == 0, finished.stdout
        received = gw.posts + logged(tmp_path)
        assert set(received) == sent(url) and set(received.values()) == {1}
        assert len(received) == 55
