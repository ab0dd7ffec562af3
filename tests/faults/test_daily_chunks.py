"""The daily run cut into chunks of customers ends exactly where the run in one piece ends.

The portfolio's 40 customers are cut into chunks of 7 (six chunks a step). Done by one worker,
by two at once (PostgreSQL), by a worker killed -9 in the middle of a chunk and another that
takes over, or with chunks that fail and are taken again by the next run, the date leaves the
same rows as a run in one chunk, and every message reached the channel exactly once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.daily.chunks import CHUNK_ENV
from tests.faults.dump import Rows, differences, dump
from tests.faults.portfolio import (
    FIRST_DAY,
    Portfolio,
    environment,
    killed,
    logged,
    on_postgres,
    rows_of,
    sent,
    start,
    worker_once,
)

SMALL = {CHUNK_ENV: "7"}


class Whole:
    """The date run in one chunk a step: its rows (chunks aside) and what was received."""

    def __init__(self, rows: Rows, received: Counter[str]) -> None:
        self.rows, self.received = rows, received


def _without_chunks(rows: Rows) -> Rows:
    return {table: found for table, found in rows.items() if table != "daily_chunk"}


@pytest.fixture(scope="module")
def whole(seeded: Portfolio, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Whole]:
    tmp = tmp_path_factory.mktemp("whole")
    with seeded.copy() as url:
        done = worker_once(url, tmp)
        assert done.returncode == 0, done.stdout + done.stderr
        yield Whole(_without_chunks(asyncio.run(dump(url))), logged(tmp))


def _chunks(url: str) -> dict[str, Counter[str]]:
    """Per step, how many chunks are in which state."""
    found = asyncio.run(rows_of(url, "SELECT step, status FROM daily_chunk WHERE business_date "
                                     f"= '{FIRST_DAY}'"))  # fmt: skip
    out: dict[str, Counter[str]] = {}
    for step, status in found:
        out.setdefault(str(step), Counter())[str(status)] += 1
    return out


def _same_as_whole(url: str, tmp: Path, whole: Whole) -> None:
    rows, recorded = _without_chunks(asyncio.run(dump(url))), sent(url)
    assert not (diff := differences(rows, whole.rows)), "\n".join(diff)
    received = logged(tmp)
    assert set(received) == recorded and set(received.values()) == {1}
    assert len(received) == len(whole.received)  # process messages' keys hold random task ids


def test_one_worker_over_chunks_does_what_one_chunk_does(
    seeded: Portfolio, whole: Whole, tmp_path: Path
) -> None:
    with seeded.copy() as url:
        done = worker_once(url, tmp_path, **SMALL)
        assert done.returncode == 0, done.stdout + done.stderr
        chunks = _chunks(url)
        _same_as_whole(url, tmp_path, whole)
    assert chunks["delinquency"] == {"DONE": 6} and chunks["care"] == {"DONE": 6}
    assert chunks["month_ends"] == {"DONE": 6}  # positions range by range
    assert chunks["month_summaries"] == {"DONE": 1}  # a step over the whole portfolio: one chunk


@pytest.mark.skipif(not on_postgres(), reason="several workers need row claims (PostgreSQL)")
def test_two_workers_share_the_chunks_and_end_where_one_ends(
    seeded: Portfolio, whole: Whole, tmp_path: Path
) -> None:
    with seeded.copy() as url:
        env = environment(tmp_path, **SMALL)
        workers = [start("worker", "--once", "--database-url", url, env=env) for _ in range(2)]
        for worker in workers:
            out, _ = worker.communicate(timeout=180)
            assert worker.returncode == 0, out
        who = asyncio.run(rows_of(url, "SELECT DISTINCT worker FROM daily_chunk"))
        _same_as_whole(url, tmp_path, whole)
    assert len(who) == 2  # both took chunks


def test_a_worker_killed_in_a_chunk_leaves_it_and_the_rest_to_the_next(
    seeded: Portfolio, whole: Whole, tmp_path: Path
) -> None:
    with seeded.copy() as url:
        # killed in care's fourth chunk: a message queued there, not committed
        died = worker_once(url, tmp_path, fault="daily.care.queued", after=20, **SMALL)
        assert killed(died), died.stdout + died.stderr
        care = _chunks(url)["care"]
        assert 0 < care["DONE"] < 6 and care["PENDING"] == 6 - care["DONE"]
        finished = worker_once(url, tmp_path, **SMALL)
        assert finished.returncode == 0, finished.stdout + finished.stderr
        _same_as_whole(url, tmp_path, whole)


def test_failed_chunks_do_not_hold_the_others_and_are_taken_again(
    seeded: Portfolio, whole: Whole, tmp_path: Path
) -> None:
    with seeded.copy() as url:
        env = {"LENDGRAPH_FAULT_ACTION": "raise", **SMALL}
        failed = worker_once(url, tmp_path, fault="daily.care.queued", after=20, **env)
        care = _chunks(url)["care"]
        step = asyncio.run(rows_of(url, "SELECT status, detail FROM daily_run WHERE step = "
                                        f"'care' AND business_date = '{FIRST_DAY}'"))  # fmt: skip
        finished = worker_once(url, tmp_path, **SMALL)
        assert finished.returncode == 0, finished.stdout + finished.stderr
        _same_as_whole(url, tmp_path, whole)
    assert failed.returncode == 0, failed.stdout + failed.stderr
    # the fault raises from its 21st message on: the chunks before it are done all the same
    assert care["FAILED"] >= 1 and care["DONE"] >= 1 and care["DONE"] + care["FAILED"] == 6
    [(status, detail)] = step
    assert status == "FAILED"
    assert f"{care['FAILED']} of 6 chunks failed" in str(detail)
    assert "care failed" in failed.stdout
