"""Simulations as background jobs: queued, claimed by one worker under a lease, cancelled.

The simulation row is the job. A worker claims a QUEUED one, or a RUNNING one whose lease ran
out (its worker died), with ``FOR UPDATE SKIP LOCKED`` and a conditional update (RUNNING,
``claimed_by``, ``lease_until`` on the wall clock, ``attempts`` + 1) that commits before the
work starts. Every later write of the job (progress, the end) is made only while the row is
still that claim: a worker that lost its claim writes nothing more and stops.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from domain.db import positive_setting
from domain.errors import ConflictError, NotFoundError
from domain.process import events
from domain.simulation.models import Simulation, SimulationStatus

WORKER = f"{socket.gethostname()[:48]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
LEASE_ENV = "LENDGRAPH_SIMULATION_LEASE_SECONDS"
DEFAULT_LEASE = 60  # progress renews it about every second; a dead worker's job waits this long
CHUNK_ENV = "LENDGRAPH_SIMULATION_CHUNK_CASES"
DEFAULT_CHUNK = 5_000  # as a simulation in its request reads them
FINISHED = (SimulationStatus.DONE, SimulationStatus.FAILED, SimulationStatus.CANCELLED)


def lease_seconds() -> int:
    """How long a claim holds without progress (``LENDGRAPH_SIMULATION_LEASE_SECONDS``)."""
    return positive_setting(LEASE_ENV, DEFAULT_LEASE)


def chunk_size() -> int:
    """Cases a job reads per statement, hence between two of its progress points
    (``LENDGRAPH_SIMULATION_CHUNK_CASES``, default 5,000)."""
    return positive_setting(CHUNK_ENV, DEFAULT_CHUNK)


@dataclass(frozen=True, slots=True)
class Claim:
    """One worker's hold on a job: valid while the row still names it (worker and attempt)."""

    simulation: Simulation
    worker: str
    attempt: int

    def still(self) -> Q:
        """The row while it is this claim."""
        return Q(id=self.simulation.id, status=SimulationStatus.RUNNING, claimed_by=self.worker,
                 attempts=self.attempt)  # fmt: skip


async def _announced(claim: Claim, changed: int) -> bool:
    """Whether a write changed the job's row; if it did, its followers hear of it at once
    (on the simulations' own channel: task subscribers are not woken)."""
    if changed:
        await events.announce_simulation(claim.simulation.id)
    return bool(changed)


def _claimable(wall: datetime) -> Q:
    expired = Q(status=SimulationStatus.RUNNING) & Q(lease_until__lt=wall)
    return Q(status=SimulationStatus.QUEUED) | expired


async def claim_next(*, worker: str = WORKER, wall: datetime | None = None) -> Claim | None:
    """Take the oldest job that is queued, or whose worker's lease ran out; None when none is."""
    now = wall or datetime.now(UTC)
    async with in_transaction():
        row = await (
            Simulation.filter(_claimable(now)).order_by("id")
            .select_for_update(skip_locked=True).first()
        )  # fmt: skip
        if row is None:
            return None
        attempt = row.attempts + 1
        # conditional: on SQLite (no row locks) a second worker that read the same row finds
        # it changed and claims nothing
        taken = await Simulation.filter(_claimable(now), id=row.id, attempts=row.attempts).update(
            status=SimulationStatus.RUNNING, claimed_by=worker, attempts=attempt,
            lease_until=now + timedelta(seconds=lease_seconds()),
            started_at=row.started_at or now,
        )  # fmt: skip
        if not taken:
            return None
    row.status, row.claimed_by, row.attempts = SimulationStatus.RUNNING, worker, attempt
    row.started_at = row.started_at or now
    await events.announce_simulation(row.id)
    return Claim(row, worker, attempt)


async def progress(
    claim: Claim,
    *,
    done: int,
    total: int | None,
    phase: str,
    report: dict[str, Any],
    wall: datetime | None = None,
) -> bool:
    """Write the figures so far and renew the lease; False when the claim is lost (another
    worker took the job over) or a cancel was asked: the worker stops either way."""
    now = wall or datetime.now(UTC)
    written = await Simulation.filter(claim.still(), cancel_requested_by__isnull=True).update(
        cases_done=done, cases_total=total, phase=phase, report=report,
        lease_until=now + timedelta(seconds=lease_seconds()),
    )  # fmt: skip
    return await _announced(claim, written)


async def cancelled(claim: Claim, *, done: int, total: int | None, report: dict[str, Any]) -> bool:
    """End a job whose cancel was asked, keeping the figures so far; False when the claim is
    lost or no cancel was asked."""
    ended = await Simulation.filter(claim.still(), cancel_requested_by__isnull=False).update(
        status=SimulationStatus.CANCELLED, cases_done=done, cases_total=total, report=report,
        lease_until=None, finished_at=datetime.now(UTC),
    )  # fmt: skip
    return await _announced(claim, ended)


async def release(claim: Claim, *, done: int, total: int | None, report: dict[str, Any]) -> bool:
    """Give a job back to the queue (the worker is stopping); it starts over with the next
    worker (not started until then). False when the claim is lost or a cancel was asked."""
    given = await Simulation.filter(claim.still(), cancel_requested_by__isnull=True).update(
        status=SimulationStatus.QUEUED, claimed_by=None, lease_until=None, started_at=None,
        cases_done=done, cases_total=total, report=report,
    )  # fmt: skip
    return await _announced(claim, given)


async def finish(claim: Claim, *, report: dict[str, Any], done: int) -> bool:
    """The job is DONE with its report (its draft no longer kept); False when the claim is lost."""
    ended = await Simulation.filter(claim.still()).update(
        status=SimulationStatus.DONE, report=report, cases_done=done, cases_total=done,
        lease_until=None, finished_at=datetime.now(UTC), draft=None,
    )  # fmt: skip
    return await _announced(claim, ended)


async def fail(claim: Claim, *, error: str) -> bool:
    """The job is FAILED with its error (what and where); False when the claim is lost."""
    ended = await Simulation.filter(claim.still()).update(
        status=SimulationStatus.FAILED, error=error[:4000], lease_until=None,
        finished_at=datetime.now(UTC),
    )  # fmt: skip
    return await _announced(claim, ended)


async def cancel(simulation_id: int, *, by: str) -> Simulation:
    """Cancel a job: a QUEUED one at once, a RUNNING one at its next progress point (the row
    says who asked); ConflictError when it has already ended."""
    async with in_transaction():
        row = await Simulation.filter(id=simulation_id).select_for_update().first()
        if row is None:
            raise NotFoundError("Simulation", simulation_id)
        if row.status in FINISHED:
            raise ConflictError(
                f"simulation {simulation_id} is {row.status.value}: only a queued or running "
                "simulation can be cancelled"
            )
        changes: dict[str, Any] = {"cancel_requested_by": by[:64]}
        if row.status is SimulationStatus.QUEUED:
            changes |= {"status": SimulationStatus.CANCELLED, "finished_at": datetime.now(UTC)}
        await Simulation.filter(id=row.id, status=row.status).update(**changes)
    await events.announce_simulation(row.id)
    return await Simulation.get(id=simulation_id)
