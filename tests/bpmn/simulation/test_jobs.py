"""Background simulations: queued, run by a worker's round to the synchronous report, with
progress; cancelled queued or running; one worker per job, a dead worker's job taken over."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bpmn.simulation import jobs, replay, run
from bpmn.simulation.population import Population
from domain.errors import ConflictError
from domain.simulation import jobs as claims
from domain.simulation.models import PopulationKind, Simulation, SimulationStatus
from tests.bpmn.simulation import arrears, history, portfolio, snapshot
from tests.bpmn.simulation.jobs import Watch, queue, without_seconds

WINDOW = Population(PopulationKind.APPLICATIONS, history.START, history.END)
TEN_DAYS = Population(PopulationKind.LOANS, arrears.FIRST, arrears.LAST, replay_days=10)


@pytest.fixture(autouse=True)
def two_cases_a_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight applications read two at a time: a progress point after every two."""
    monkeypatch.setenv(claims.CHUNK_ENV, "2")


async def _synchronous() -> dict[str, object]:
    draft = run.Draft(history.APPROVAL.encode(), [history.DRAFT_LANE.encode()])
    return (await run.simulate(draft, WINDOW)).report


async def test_a_worker_runs_a_queued_simulation_to_the_synchronous_report(
    shipped_processes: str,
) -> None:
    # given: a queued simulation of eight applications
    await history.seed()
    queued = await queue(history.APPROVAL, history.DRAFT_LANE, WINDOW)
    assert queued.status is SimulationStatus.QUEUED and queued.report["totals"]["cases"] == 0
    # when: a worker's round runs it
    watch = Watch()
    outcomes = await jobs.run_queued(hook=watch)
    # then: DONE with exactly the report the request's own run gives
    assert [(o.simulation_id, o.status) for o in outcomes] == [(queued.id, "DONE")]
    done = await Simulation.get(id=queued.id)
    assert done.status is SimulationStatus.DONE and done.attempts == 1
    assert without_seconds(done.report) == without_seconds(await _synchronous())
    assert (done.cases_done, done.cases_total, done.draft) == (8, 8, None)
    # progress went up two cases at a time, each point written before the next
    assert watch.points == [(n, 8, "CASES") for n in (0, 2, 4, 6, 8)]
    assert watch.shown == [0, 0, 2, 4, 6]
    # and a second round finds nothing to do
    assert await jobs.run_queued() == []


async def test_a_queued_simulation_is_cancelled_at_once(shipped_processes: str) -> None:
    await history.seed()
    queued = await queue(history.APPROVAL, history.DRAFT_LANE, WINDOW)
    cancelled = await claims.cancel(queued.id, by="ana")
    assert cancelled.status is SimulationStatus.CANCELLED
    assert cancelled.cancel_requested_by == "ana" and cancelled.finished_at is not None
    assert await jobs.run_queued() == []
    with pytest.raises(ConflictError, match="is CANCELLED"):
        await claims.cancel(queued.id, by="ana")


async def test_a_running_simulation_stops_at_its_next_progress_point_with_its_figures(
    shipped_processes: str,
) -> None:
    # given: a running simulation; the cancel comes while its worker is at four cases
    await history.seed()
    queued = await queue(history.APPROVAL, history.DRAFT_LANE, WINDOW)
    watch = Watch(hold=4)
    running = asyncio.create_task(jobs.run_queued(hook=watch))
    await watch.reached.wait()
    asked = await claims.cancel(queued.id, by="root")
    assert asked.status is SimulationStatus.RUNNING and asked.cancel_requested_by == "root"
    # when
    watch.go_on.set()
    outcomes = await running
    # then: CANCELLED there, the figures of the four cases kept
    assert [o.status for o in outcomes] == ["CANCELLED"]
    row = await Simulation.get(id=queued.id)
    assert row.status is SimulationStatus.CANCELLED
    assert (row.cases_done, row.cases_total, row.report["totals"]["cases"]) == (4, 8, 4)
    assert [p[0] for p in watch.points] == [0, 2, 4]


async def test_two_workers_never_run_one_simulation(shipped_processes: str) -> None:
    # given: two queued simulations
    await history.seed()
    first = await queue(history.APPROVAL, history.DRAFT_LANE, WINDOW)
    second = await queue(history.APPROVAL, history.DRAFT_LANE, WINDOW)
    # when: two workers claim at the same moment
    got = await asyncio.gather(claims.claim_next(worker="a"), claims.claim_next(worker="b"))
    # then: each got one, not the same
    assert sorted(c.simulation.id for c in got if c is not None) == [first.id, second.id]
    assert await claims.claim_next(worker="c") is None
    # when: a third queued one, with a worker at it and another worker's round meanwhile
    third = await queue(history.APPROVAL, history.DRAFT_LANE, WINDOW)
    held = Watch(hold=2)
    running = asyncio.create_task(jobs.run_queued(worker="a", hook=held))
    await held.reached.wait()
    other = await jobs.run_queued(worker="b")
    held.go_on.set()
    # then: the other worker took nothing (the two first are claimed, the third held)
    assert other == []
    assert [(o.simulation_id, o.status) for o in await running] == [(third.id, "DONE")]
    assert (await Simulation.get(id=third.id)).attempts == 1


async def test_a_dead_workers_simulation_is_taken_over_when_its_lease_ends(
    shipped_processes: str,
) -> None:
    # given: worker a stopped answering at four cases (its lease still running)
    await history.seed()
    queued = await queue(history.APPROVAL, history.DRAFT_LANE, WINDOW)
    dead = Watch(hold=4)
    stuck = asyncio.create_task(jobs.run_queued(worker="a", hook=dead))
    await dead.reached.wait()
    assert await jobs.run_queued(worker="b") == []  # within the lease: left to a
    # when: the lease has run out for worker b
    later = datetime.now(UTC) + timedelta(seconds=claims.lease_seconds() + 1)
    taken = await jobs.run_queued(worker="b", wall=later)
    # then: b ran it from the start to the synchronous report, once
    assert [o.status for o in taken] == ["DONE"]
    row = await Simulation.get(id=queued.id)
    assert (row.status, row.claimed_by, row.attempts) == (SimulationStatus.DONE, "b", 2)
    assert without_seconds(row.report) == without_seconds(await _synchronous())
    # when a comes back, it finds its claim gone and writes nothing
    dead.go_on.set()
    assert [o.status for o in await stuck] == ["LOST"]
    again = await Simulation.get(id=queued.id)
    assert (again.status, again.report, again.cases_done) == (row.status, row.report, 8)


async def test_a_background_simulation_writes_its_own_row_only(
    shipped_processes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: applications and a strategy's loans in arrears; a progress point every few
    # replay events
    monkeypatch.setattr(run, "PROGRESS_SECONDS", 0.0)
    monkeypatch.setattr(replay, "PAUSE_EVERY", 5)
    await history.seed()
    await arrears.seed()
    lanes = await queue(history.APPROVAL, history.DRAFT_LANE, WINDOW)
    strategy = await queue(portfolio.COLLECTIONS, arrears.STANDARD_EVERY_3, TEN_DAYS)
    before = await snapshot.tables()
    # when
    watch = Watch()
    outcomes = await jobs.run_queued(hook=watch)
    # then: both DONE, the strategy's replay reported as it went and equal to the request's
    assert [o.status for o in outcomes] == ["DONE", "DONE"]
    assert "REPLAY" in {phase for _, _, phase in watch.points}
    draft = run.Draft(portfolio.COLLECTIONS.encode(), [arrears.STANDARD_EVERY_3.encode()])
    replayed = (await Simulation.get(id=strategy.id)).report
    assert without_seconds(replayed) == without_seconds(
        (await run.simulate(draft, TEN_DAYS)).report
    )
    assert replayed["collections"]["old"]["contacts"] > 0
    # and no table but the simulations' changed
    after = await snapshot.tables()
    assert {t for t in after if after[t] != before[t]} == {"simulation"}
    assert after["simulation"][0] == 2 and lanes.id != strategy.id


async def test_a_simulation_that_cannot_run_is_failed_with_what_and_where(
    shipped_processes: str,
) -> None:
    # given: a queued simulation whose baseline version no longer exists
    await history.seed()
    queued = await queue(history.APPROVAL, history.DRAFT_LANE, WINDOW)
    await Simulation.filter(id=queued.id).update(against_version=99)
    # when
    outcomes = await jobs.run_queued()
    # then
    assert [o.status for o in outcomes] == ["FAILED"]
    row = await Simulation.get(id=queued.id)
    assert row.status is SimulationStatus.FAILED and row.error is not None
    assert row.error.startswith("NotFoundError")
    assert f"simulation {queued.id} of credit_approval's risk_lane, while preparing" in row.error


async def test_a_stopping_worker_gives_its_simulation_back_to_the_queue(
    shipped_processes: str,
) -> None:
    # given: a worker asked to stop (SIGTERM) while at four cases
    await history.seed()
    queued = await queue(history.APPROVAL, history.DRAFT_LANE, WINDOW)
    stopping = [False]

    async def sigterm(claim: claims.Claim, point: run.Point) -> None:
        stopping[0] = stopping[0] or point.done >= 4

    # when
    outcomes = await jobs.run_queued(stop=lambda: stopping[0], hook=sigterm)
    # then: queued again, for the next worker to run from the start
    assert [o.status for o in outcomes] == ["RELEASED"]
    row = await Simulation.get(id=queued.id)
    assert (row.status, row.claimed_by, row.lease_until) == (SimulationStatus.QUEUED, None, None)
    assert [o.status for o in await jobs.run_queued()] == ["DONE"]
    done = await Simulation.get(id=queued.id)
    assert without_seconds(done.report) == without_seconds(await _synchronous())
