"""Announcements by channel: a background simulation's progress wakes its followers, and no
task subscriber; a task event wakes the task subscribers (PostgreSQL NOTIFY, or in-process)."""

from __future__ import annotations

import asyncio

import asyncpg  # type: ignore[import-untyped]
import pytest

from domain.process import events
from domain.process.models import TaskEventKind
from domain.simulation import jobs, service
from domain.simulation.models import PopulationKind


def _listening_to(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """This process LISTENs on the test's database (an API process is given its URL), and the
    safety-net poll is too slow to wake anyone during a test."""
    monkeypatch.setenv("DATABASE_URL", db)
    monkeypatch.setenv("LENDGRAPH_EVENTS_POLL_SECONDS", "60")


async def _queued_job() -> None:
    await service.create(
        process_id="credit_approval", decision_id="risk_lane", draft_digest="d" * 64,
        against_version=1, population_kind=PopulationKind.APPLICATIONS,
        population={"kind": "APPLICATIONS"}, report={}, ran_by="ana",
        draft={"bpmnXml": "<bpmn/>", "dmnXmls": []},
    )  # fmt: skip


async def test_simulation_progress_wakes_its_followers_and_no_task_subscriber(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a task subscriber and a simulation follower waiting
    _listening_to(db, monkeypatch)
    await _queued_job()
    tasks = events.wakeups()
    simulations = events.wakeups(events.SIMULATION_CHANNEL)
    task_woken = asyncio.ensure_future(anext(tasks))
    simulation_woken = asyncio.ensure_future(anext(simulations))
    await asyncio.sleep(0.3)  # both wait (on PostgreSQL, LISTENing)
    try:
        # when: a worker claims the job, then reports three progress points
        claim = await jobs.claim_next()
        assert claim is not None
        await asyncio.wait_for(simulation_woken, 5)
        for done in (3, 6, 8):
            assert await jobs.progress(claim, done=done, total=8, phase="CASES", report={})
            # then: the follower hears each point
            await asyncio.wait_for(anext(simulations), 5)
        assert await jobs.finish(claim, report={}, done=8)
        await asyncio.wait_for(anext(simulations), 5)
        # and the task subscriber slept through all of them
        finished, _ = await asyncio.wait({task_woken}, timeout=1)
        assert not finished
        # when: a task event is recorded, the task subscriber wakes at once
        await events.record(1, 1, TaskEventKind.CREATED)
        await asyncio.wait_for(task_woken, 5)
        assert [e.task_id for e in await events.since(0)] == [1]
    finally:
        task_woken.cancel()
        await asyncio.gather(task_woken, return_exceptions=True)
        await tasks.aclose()
        await simulations.aclose()


async def test_a_task_event_does_not_wake_a_simulations_follower(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _listening_to(db, monkeypatch)
    simulations = events.wakeups(events.SIMULATION_CHANNEL)
    woken = asyncio.ensure_future(anext(simulations))
    await asyncio.sleep(0.3)
    try:
        await events.record(1, 1, TaskEventKind.CREATED)
        await events.record_many([(2, 1, TaskEventKind.CLAIMED)])
        finished, _ = await asyncio.wait({woken}, timeout=1)
        assert not finished
    finally:
        woken.cancel()
        await asyncio.gather(woken, return_exceptions=True)
        await simulations.aclose()


async def test_a_process_given_its_database_by_option_notifies_and_listens_on_it(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`lendgraph serve --database-url postgres://…` with no DATABASE_URL: the process's own
    connection decides, so its task events reach every process, and it hears theirs."""
    if not db.startswith("postgres"):
        pytest.skip("NOTIFY and LISTEN are PostgreSQL's")
    # given: no DATABASE_URL (the database came as an option), a subscriber in this process,
    # and another process's listener on the same database
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("LENDGRAPH_EVENTS_POLL_SECONDS", "60")
    heard: asyncio.Queue[str] = asyncio.Queue()
    dsn = db.replace("postgres://", "postgresql://", 1).split("?", 1)[0]
    other = await asyncpg.connect(dsn)
    await other.add_listener(events.CHANNEL, lambda *args: heard.put_nowait(args[-1]))
    tasks = events.wakeups()
    woken = asyncio.ensure_future(anext(tasks))
    await asyncio.sleep(0.3)
    try:
        # when: a task event is recorded here
        await events.record(1, 1, TaskEventKind.CREATED)
        # then: the other process hears it (NOTIFY), and so does this one (LISTEN)
        [event] = await events.since(0)
        assert await asyncio.wait_for(heard.get(), 5) == str(event.id)
        await asyncio.wait_for(woken, 5)
    finally:
        woken.cancel()
        await asyncio.gather(woken, return_exceptions=True)
        await tasks.aclose()
        await other.close()
