"""`lendgraph worker`'s round runs the queued simulations; one killed mid-job is taken over by
the next worker once its lease has run out, and finishes once."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bpmn.simulation import run
from domain import faults
from domain.simulation.jobs import CHUNK_ENV
from domain.simulation.models import Simulation, SimulationStatus
from tests.bpmn.simulation import history
from tests.bpmn.simulation.jobs import queue, without_seconds
from tests.bpmn.simulation.test_jobs import WINDOW

ROOT = Path(__file__).resolve().parents[3]


def _worker(url: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "LENDGRAPH_MODE": "test", "COLUMNS": "200", CHUNK_ENV: "2"}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "worker", "--once", "--database-url", url],
        cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


async def _synchronous() -> dict[str, object]:
    draft = run.Draft(history.APPROVAL.encode(), [history.DRAFT_LANE.encode()])
    return without_seconds((await run.simulate(draft, WINDOW)).report)


async def test_a_worker_round_runs_a_queued_simulation(shipped_processes: str) -> None:
    # given
    await history.seed()
    queued = await queue(history.APPROVAL, history.DRAFT_LANE, WINDOW)
    # when
    done = _worker(shipped_processes)
    # then
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"simulation {queued.id}: DONE" in done.stdout
    row = await Simulation.get(id=queued.id)
    assert (row.status, row.cases_done, row.attempts) == (SimulationStatus.DONE, 8, 1)
    assert without_seconds(row.report) == await _synchronous()


async def test_a_worker_killed_mid_simulation_is_taken_over_after_its_lease(
    shipped_processes: str,
) -> None:
    # given: a worker killed -9 at its third progress point (four cases done and written)
    await history.seed()
    queued = await queue(history.APPROVAL, history.DRAFT_LANE, WINDOW)
    died = _worker(shipped_processes, **{faults.FAULT_ENV: "simulation.progress",
                                         faults.FAULT_AFTER_ENV: "3"})  # fmt: skip
    assert died.returncode == -9, died.stdout + died.stderr
    left = await Simulation.get(id=queued.id)
    assert (left.status, left.cases_done, left.attempts) == (SimulationStatus.RUNNING, 4, 1)
    # when: the next worker comes within the lease, it leaves the job alone
    within = _worker(shipped_processes)
    assert within.returncode == 0 and "simulation" not in within.stdout
    # when: the lease has run out
    await Simulation.filter(id=queued.id).update(
        lease_until=datetime.now(UTC) - timedelta(seconds=1)
    )
    taken = _worker(shipped_processes)
    # then: taken over and run to the end once
    assert taken.returncode == 0, taken.stdout + taken.stderr
    assert taken.stdout.count(f"simulation {queued.id}: DONE") == 1
    row = await Simulation.get(id=queued.id)
    assert (row.status, row.cases_done, row.attempts) == (SimulationStatus.DONE, 8, 2)
    assert without_seconds(row.report) == await _synchronous()
