"""Four workers at once over ten business dates end exactly where one worker alone ends.

Two identical copies of the portfolio; each business date (moved by the test, one day at a
time) four worker processes run their round at once on the first copy, sharing the daily run,
the timers and the outbox through PostgreSQL's SKIP LOCKED claims, while one worker runs it on
the second. Afterwards both databases hold the same rows, and each gateway received every
message of its copy exactly once.
"""

from __future__ import annotations

import asyncio
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from bpmn.daily import STEPS
from tests.domain.outreach.gateway import Gateway, gateway
from tests.faults.dump import differences, dump
from tests.faults.portfolio import (
    FIRST_DAY,
    Portfolio,
    environment,
    logged,
    on_postgres,
    rows_of,
    sent,
    set_date,
    start,
)

pytestmark = pytest.mark.skipif(
    not on_postgres(),
    reason="workers share work through row claims (FOR UPDATE SKIP LOCKED), which SQLite lacks: "
    "it has one writer at a time, so several workers against one SQLite file are not supported",
)
DATES = [FIRST_DAY + timedelta(days=n) for n in range(10)]


def _env(tmp: Path, gw: Gateway) -> dict[str, str]:
    return environment(
        tmp, LENDGRAPH_SMS_WEBHOOK_URL=f"{gw.url}/send", LENDGRAPH_PUSH_WEBHOOK_URL=f"{gw.url}/send",
        # one message per contact point a day: customers with several messages are deferred
        # day after day, and four dispatchers judging one customer's messages at once must
        # leave the same ones sent as one dispatcher does
        LENDGRAPH_CONTACT_POINT_CAP="1",
    )  # fmt: skip


def _round(url: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return start("worker", "--once", "--database-url", url, env=env)


def test_four_workers_over_ten_dates_equal_one_worker(seeded: Portfolio, tmp_path: Path) -> None:
    (tmp_path / "four").mkdir()
    (tmp_path / "one").mkdir()
    with seeded.copy() as four, seeded.copy() as one, gateway() as gw4, gateway() as gw1:
        env4, env1 = _env(tmp_path / "four", gw4), _env(tmp_path / "one", gw1)
        for day in DATES:
            asyncio.run(set_date(four, day))
            asyncio.run(set_date(one, day))
            workers = [_round(four, env4) for _ in range(4)] + [_round(one, env1)]
            for worker in workers:
                out, _ = worker.communicate(timeout=120)
                assert worker.returncode == 0, f"{day}:\n{out}"
        got, want = asyncio.run(dump(four)), asyncio.run(dump(one))
        sent4, sent1 = sent(four), sent(one)
        senders = asyncio.run(rows_of(four, "SELECT DISTINCT claimed_by FROM outbox_message "
                                            "WHERE status = 'SENT'"))  # fmt: skip
    assert not (diff := differences(got, want)), "\n".join(diff)
    runs = [dict(r) for r in got["daily_run"]]
    assert len(runs) == len(STEPS) * len(DATES) and {r["status"] for r in runs} == {"DONE"}
    received4 = gw4.posts + logged(tmp_path / "four")
    received1 = gw1.posts + logged(tmp_path / "one")
    assert set(received4) == sent4 and set(received4.values()) == {1}  # each exactly once
    assert set(received1) == sent1 and set(received1.values()) == {1}
    assert len(sent4) == len(sent1) > 100
    assert len(senders) > 1  # the four shared the sending
