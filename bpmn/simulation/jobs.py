"""Simulations asked in the background, run by workers (``lendgraph worker``'s rounds).

A worker claims a queued simulation (:mod:`domain.simulation.jobs`), runs it as the
``simulate`` mutation does, and at each progress point (after every chunk of cases, about every
second of a strategy's replay) writes the cases done of those counted and the figures so far,
renewing its lease. A cancel asked meanwhile stops it there, CANCELLED with those figures; a
claim lost (the lease ran out and another worker took the job over) stops it without a write.
At the end the report is written DONE, or the error FAILED. Nothing else is written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bpmn.simulation import run
from bpmn.simulation.population import described_again
from domain import faults
from domain.simulation import jobs
from domain.simulation.jobs import WORKER, Claim, chunk_size
from domain.simulation.models import SimulationStatus

Hook = Callable[[Claim, run.Point], Awaitable[None]]


class Stopped(Exception):
    """The job stopped at a progress point: cancelled, given back, or its claim lost."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one job this worker took."""

    simulation_id: int
    status: str  # DONE FAILED CANCELLED, LOST (another worker has it) or RELEASED (stopping)
    error: str | None = None


def _never() -> bool:
    return False


async def run_queued(
    *,
    stop: Callable[[], bool] | None = None,
    worker: str = WORKER,
    wall: datetime | None = None,
    hook: Hook | None = None,
) -> list[Outcome]:
    """Run queued simulations (and those whose worker died) until none is left or ``stop``."""
    stopping = stop or _never
    outcomes: list[Outcome] = []
    while not stopping():
        outcome = await run_next(stop=stopping, worker=worker, wall=wall, hook=hook)
        if outcome is None:
            break
        outcomes.append(outcome)
    return outcomes


async def run_next(
    *,
    stop: Callable[[], bool] | None = None,
    worker: str = WORKER,
    wall: datetime | None = None,
    hook: Hook | None = None,
) -> Outcome | None:
    """Claim one job and run it to its end; None when there is none to claim.

    ``hook`` is awaited at each progress point before it is written (a test pauses there).
    """
    claim = await jobs.claim_next(worker=worker, wall=wall)
    if claim is None:
        return None
    row = claim.simulation
    where: list[str] = ["while preparing"]
    try:
        prepared = await _prepare(claim)

        async def progress(point: run.Point) -> None:
            where[0] = f"in {point.phase.lower()} after {point.done} cases"
            if hook is not None:
                await hook(claim, point)
            await _progress(claim, point, stop or _never)

        simulated = await run.execute(prepared, progress)
    except Stopped as stopped:
        return Outcome(row.id, stopped.status)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc} (simulation {row.id} of {row.process_id}'s " \
            f"{row.decision_id}, {where[0]})"  # fmt: skip
        ended = await jobs.fail(claim, error=error)
        return Outcome(row.id, SimulationStatus.FAILED.value if ended else "LOST", error)
    cases = int(simulated.report["totals"]["cases"])
    ended = await jobs.finish(claim, report=simulated.report, done=cases)
    return Outcome(row.id, SimulationStatus.DONE.value if ended else "LOST")


async def _prepare(claim: Claim) -> run.Prepared:
    row = claim.simulation
    kept: dict[str, Any] = row.draft or {}
    draft = run.Draft(
        str(kept.get("bpmnXml", "")).encode("utf-8"),
        [str(d).encode("utf-8") for d in kept.get("dmnXmls", [])],
    )
    return await run.prepare(
        draft, described_again(row.population, chunk=chunk_size()), process_id=row.process_id,
        decision_id=row.decision_id, against_version=row.against_version,
    )  # fmt: skip


async def _progress(claim: Claim, point: run.Point, stop: Callable[[], bool]) -> None:
    """Write the point; raise :class:`Stopped` when the job must stop here."""
    faults.reach("simulation.progress")  # a worker killed mid-job, its lease still running
    report = point.report()
    if stop():
        if await jobs.release(claim, done=point.done, total=point.total, report=report):
            raise Stopped("RELEASED")
    elif await jobs.progress(
        claim, done=point.done, total=point.total, phase=point.phase, report=report
    ):
        return
    if await jobs.cancelled(claim, done=point.done, total=point.total, report=report):
        raise Stopped(SimulationStatus.CANCELLED.value)
    raise Stopped("LOST")
