"""simulationUpdated over graphql-transport-ws against a real API process: a background
simulation's progress as a worker round runs it, then its report, and the stream ends."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from typing import Any

import pytest
import websockets
from websockets.typing import Subprotocol

from bpmn.simulation import jobs
from domain.db import is_postgres
from domain.simulation import jobs as claims
from domain.user.models import User
from tests.api.conftest import password_hash
from tests.api.simulation.requests import approval_input, simulate_mutation
from tests.bpmn.simulation import history
from tests.serving import api_process, ask, sign_in_token

SIMULATE = simulate_mutation("id cells { old new count }")
STREAM = """subscription ($id: Int!) { simulationUpdated(id: $id) { id status
  progress { casesDone casesTotal phase } totals { cases changed changedAmount }
  cells { old new count } } }"""
TASK_EVENTS = "subscription { taskEvents { kind task { name } } }"
# the server looks at the simulation ten times a second; the worker pauses longer at each point
POLL = {"LENDGRAPH_EVENTS_POLL_SECONDS": "0.1"}
PAUSE = 0.8


def _input(background: bool) -> dict[str, Any]:
    return approval_input(background=background)


async def _subscribe(base: str, token: str, query: str = STREAM, **variables: Any) -> Any:
    socket = await websockets.connect(
        base.replace("http://", "ws://") + "/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
    )
    await socket.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": f"Bearer {token}"}}))  # fmt: skip
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
        "query": query, "variables": variables}}))  # fmt: skip
    return socket


async def _messages(socket: Any, within: float = 10) -> list[dict[str, Any]]:
    """Every message until the stream completes (or errs)."""
    seen: list[dict[str, Any]] = []
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), within))
        seen.append(message)
        if message["type"] in ("complete", "error"):
            return seen


async def _staff() -> None:
    staff = [("ana", ["analyst"]), ("amy", ["account_manager"]), ("root", ["admin"])]
    for name, roles in staff:
        await User.create(username=name, roles=roles, password_hash=password_hash())


async def _followed(
    shipped_processes: str,
    server: dict[str, str],
    pause_seconds: float,
    tasks: list[dict[str, Any]] | None = None,
) -> tuple[int, list[dict[str, Any]], dict[str, Any]]:
    """An analyst's background simulation of eight past applications, followed by its stream
    while a worker's round runs it, pausing at each progress point: its id, every message, and
    the same simulation asked in the request. Given ``tasks``, an administrator subscribed to
    task events meanwhile, and what reached them up to a second after the stream ended."""
    await _staff()
    await history.seed()
    with api_process(shipped_processes, server) as base:
        token = await sign_in_token(base, "ana")
        queued = (await ask(base, token, SIMULATE, input=_input(True)))["simulate"]
        assert queued["__typename"] == "SimulateSuccess", queued
        simulation_id = queued["simulation"]["id"]
        socket = await _subscribe(base, token, id=simulation_id)
        inbox = None
        if tasks is not None:
            inbox = await _subscribe(base, await sign_in_token(base, "root"), TASK_EVENTS)
        await asyncio.sleep(0.5)  # it has sent the simulation as it is: QUEUED

        # when: a worker's round runs it, pausing at each progress point
        async def pause(claim: claims.Claim, point: Any) -> None:
            await asyncio.sleep(pause_seconds)

        [outcome] = await jobs.run_queued(hook=pause)
        assert outcome.status == "DONE"
        messages = await _messages(socket)
        if inbox is not None and tasks is not None:
            with contextlib.suppress(TimeoutError):
                while True:
                    tasks.append(json.loads(await asyncio.wait_for(inbox.recv(), 1)))
            await inbox.close()
        synchronous = (await ask(base, token, SIMULATE, input=_input(False)))["simulate"]
        await socket.close()
    return simulation_id, messages, synchronous


async def test_the_stream_shows_growing_progress_then_the_report_and_ends(
    shipped_processes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(claims.CHUNK_ENV, "3")
    simulation_id, messages, synchronous = await _followed(shipped_processes, POLL, PAUSE)
    # then: QUEUED, RUNNING with more cases done each time, DONE with the report, then the end
    assert messages[-1] == {"id": "1", "type": "complete"}
    updates = [m["payload"]["data"]["simulationUpdated"] for m in messages[:-1]]
    assert all(u["id"] == simulation_id for u in updates)
    statuses = [u["status"] for u in updates]
    assert statuses[0] == "QUEUED" and statuses[-1] == "DONE"
    assert set(statuses[1:-1]) == {"RUNNING"}
    done = [u["progress"]["casesDone"] for u in updates]
    assert done == sorted(done) and {3, 6} <= set(done)
    running = [u for u in updates if u["status"] == "RUNNING" and u["progress"]["casesDone"] == 6]
    assert running[0]["progress"] == {"casesDone": 6, "casesTotal": 8, "phase": "CASES"}
    assert running[0]["totals"]["cases"] == 6  # the figures so far
    final = updates[-1]
    assert final["progress"]["casesDone"] == 8
    assert (final["totals"], final["cells"]) == (
        {"cases": 8, "changed": 3, "changedAmount": "130000.00"},
        synchronous["simulation"]["cells"],
    )


@pytest.mark.skipif(
    not is_postgres(os.environ.get("DATABASE_URL") or "sqlite://x"),
    reason="the worker's announcements reach other processes on PostgreSQL (LISTEN/NOTIFY)",
)
async def test_each_progress_point_is_heard_at_once_not_at_the_next_poll(
    shipped_processes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a server that would look at the simulation only every 30 s on its own
    monkeypatch.setenv(claims.CHUNK_ENV, "3")
    _, messages, _ = await _followed(
        shipped_processes, {"LENDGRAPH_EVENTS_POLL_SECONDS": "30"}, 0.3
    )
    # then: every progress point arrived (each message within 10 s), through to the end
    assert messages[-1] == {"id": "1", "type": "complete"}
    updates = [m["payload"]["data"]["simulationUpdated"] for m in messages[:-1]]
    assert {3, 6, 8} <= {u["progress"]["casesDone"] for u in updates}
    assert updates[-1]["status"] == "DONE"


async def test_a_task_subscriber_hears_nothing_of_a_simulations_progress(
    shipped_processes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: an administrator subscribed to task events (all tasks) while the analyst follows
    # her simulation; on PostgreSQL the poll is too slow to deliver the progress (NOTIFY must)
    monkeypatch.setenv(claims.CHUNK_ENV, "3")
    slow = {"LENDGRAPH_EVENTS_POLL_SECONDS": "30"}
    server = slow if is_postgres(shipped_processes) else POLL
    tasks: list[dict[str, Any]] = []
    # when: a worker runs the simulation
    _, messages, _ = await _followed(shipped_processes, server, 0.3, tasks)
    # then: every progress point streamed to its follower, nothing to the task subscriber
    assert messages[-1] == {"id": "1", "type": "complete"}
    updates = [m["payload"]["data"]["simulationUpdated"] for m in messages[:-1]]
    assert {3, 6, 8} <= {u["progress"]["casesDone"] for u in updates}
    assert updates[-1]["status"] == "DONE"
    assert tasks == []


async def test_a_finished_simulation_is_sent_once_and_a_role_without_figures_is_refused(
    shipped_processes: str,
) -> None:
    await _staff()
    await history.seed()
    with api_process(shipped_processes) as base:
        token = await sign_in_token(base, "ana")
        made = (await ask(base, token, SIMULATE, input=_input(False)))["simulate"]
        simulation_id = made["simulation"]["id"]
        # a DONE simulation: itself once, then the end
        socket = await _subscribe(base, token, id=simulation_id)
        messages = await _messages(socket)
        await socket.close()
        assert [m["type"] for m in messages] == ["next", "complete"]
        sent = messages[0]["payload"]["data"]["simulationUpdated"]
        assert sent["status"] == "DONE" and sent["totals"]["changed"] == 3
        # an account manager may not read a simulation's figures: refused, nothing sent
        refused = await _subscribe(base, await sign_in_token(base, "amy"), id=simulation_id)
        [first, *_] = await _messages(refused)
        await refused.close()
        errors = first["payload"]["errors"] if first["type"] == "next" else first["payload"]
        assert errors[0]["extensions"]["code"] == "FORBIDDEN", first


CANCEL = """mutation ($id: Int!) { cancelSimulation(id: $id) { __typename
  ... on UserError { code message } } }"""


async def test_a_cancelled_simulation_ends_the_stream(shipped_processes: str) -> None:
    # given: a queued simulation nobody runs, followed by its author
    await _staff()
    await history.seed()
    with api_process(shipped_processes, POLL) as base:
        token = await sign_in_token(base, "ana")
        queued = (await ask(base, token, SIMULATE, input=_input(True)))["simulate"]
        socket = await _subscribe(base, token, id=queued["simulation"]["id"])
        first = json.loads(await asyncio.wait_for(socket.recv(), 10))
        # when: it is cancelled
        cancelled = await ask(base, token, CANCEL, id=queued["simulation"]["id"])
        assert cancelled["cancelSimulation"]["__typename"] == "CancelSimulationSuccess"
        rest = await _messages(socket)
        await socket.close()
    # then: QUEUED, then CANCELLED with nothing counted, then the end
    assert first["payload"]["data"]["simulationUpdated"]["status"] == "QUEUED"
    assert [m["type"] for m in rest] == ["next", "complete"]
    last = rest[0]["payload"]["data"]["simulationUpdated"]
    assert last["status"] == "CANCELLED" and last["progress"]["casesDone"] == 0
