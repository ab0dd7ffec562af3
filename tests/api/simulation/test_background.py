"""simulate(background: true) over GraphQL: queued at once, progress and figures while it runs,
cancelled by its author or an administrator, figures without cases for an analyst."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from api.simulation import in_process
from bpmn.simulation import jobs
from domain.simulation import jobs as claims
from domain.simulation.models import Simulation
from tests.api.conftest import GraphQLClient
from tests.api.simulation.requests import (
    approval_input,
    simulate,
    simulate_mutation,
    simulation_query,
)
from tests.bpmn.simulation import history

FIELDS = """id status progress { casesDone casesTotal phase } error cancelledBy
  cells { old new count amount } totals { cases changed changedAmount }
  changedCases { caseId }"""
SIMULATE = simulate_mutation(FIELDS)
AGAIN = simulation_query(FIELDS)
CANCEL = f"""mutation ($id: Int!) {{ cancelSimulation(id: $id) {{ __typename
  ... on CancelSimulationSuccess {{ simulation {{ {FIELDS} }} }}
  ... on UserError {{ code message }} }} }}"""
DEPLOY = """mutation ($input: DeployProcessInput!) { deployProcess(input: $input) { __typename
  ... on UserError { code message } } }"""


async def _simulate(gql: GraphQLClient, **more: Any) -> dict[str, Any]:
    return await simulate(gql, SIMULATE, approval_input(**more))


async def test_a_background_simulation_is_queued_then_run_to_the_same_figures(
    gql: GraphQLClient, shipped_processes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: an analyst (figures, no case) asks in the background
    monkeypatch.setenv(claims.CHUNK_ENV, "3")
    await history.seed()
    await gql.as_user("ana", ["analyst"])
    queued = await _simulate(gql, background=True)
    # then: it answers at once, QUEUED, nothing counted yet
    assert queued["__typename"] == "SimulateSuccess", queued
    simulation = queued["simulation"]
    assert simulation["status"] == "QUEUED" and simulation["totals"]["cases"] == 0
    assert simulation["progress"] == {"casesDone": 0, "casesTotal": None, "phase": None}
    # when: a worker is at six cases of eight, then ends
    seen: list[dict[str, Any]] = []

    async def look(claim: claims.Claim, point: Any) -> None:
        if point.done == 6:  # the point of six is not written yet: three show
            seen.append((await gql.data(AGAIN, id=simulation["id"]))["simulation"])

    await jobs.run_queued(hook=look)
    # then: while running, its progress and the figures so far; at the end the request's own
    assert seen[0]["status"] == "RUNNING"
    assert seen[0]["progress"] == {"casesDone": 3, "casesTotal": 8, "phase": "CASES"}
    assert seen[0]["totals"]["cases"] == 3 and seen[0]["changedCases"] is None
    done = (await gql.data(AGAIN, id=simulation["id"]))["simulation"]
    synchronous = (await _simulate(gql))["simulation"]
    assert done["status"] == "DONE" and done["progress"]["casesDone"] == 8
    assert (done["cells"], done["totals"]) == (synchronous["cells"], synchronous["totals"])
    assert done["changedCases"] is None


async def test_only_its_author_or_an_administrator_cancels(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    # given: ana's queued simulation
    await history.seed()
    await gql.as_user("ana", ["analyst"])
    simulation = (await _simulate(gql, background=True))["simulation"]
    # when: another analyst cancels it: refused
    await gql.as_user("bob", ["analyst"])
    refused = (await gql.data(CANCEL, id=simulation["id"]))["cancelSimulation"]
    assert refused["__typename"] == "ForbiddenError"
    assert (await Simulation.get(id=simulation["id"])).status.value == "QUEUED"
    # when: an administrator cancels it
    await gql.login("root")
    cancelled = (await gql.data(CANCEL, id=simulation["id"]))["cancelSimulation"]
    # then: CANCELLED at once, and a second cancel is a conflict
    assert cancelled["__typename"] == "CancelSimulationSuccess", cancelled
    assert cancelled["simulation"]["status"] == "CANCELLED"
    assert cancelled["simulation"]["cancelledBy"] == "root"
    again = (await gql.data(CANCEL, id=simulation["id"]))["cancelSimulation"]
    assert again["__typename"] == "ConflictError"
    # and its author may cancel their own
    await gql.login("ana")
    mine = (await _simulate(gql, background=True))["simulation"]
    own = (await gql.data(CANCEL, id=mine["id"]))["cancelSimulation"]
    assert own["simulation"]["status"] == "CANCELLED"


async def test_a_deploy_cannot_cite_a_simulation_not_done(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    await history.seed()
    simulation = (await _simulate(gql, background=True))["simulation"]
    draft = {"bpmnXml": history.APPROVAL, "dmnXmls": [history.DRAFT_LANE]}
    refused = await gql.data(DEPLOY, input={**draft, "simulationId": simulation["id"]})
    assert refused["deployProcess"]["__typename"] == "ConflictError"
    assert "is QUEUED" in refused["deployProcess"]["message"]


async def test_the_api_process_runs_queued_simulations_where_no_worker_does(
    gql: GraphQLClient, shipped_processes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a server told to run simulations itself (as the demo does)
    monkeypatch.setenv(in_process.ENV, "1")
    await history.seed()
    # when: a background simulation is asked, and the server's task has run
    simulation = (await _simulate(gql, background=True))["simulation"]
    assert simulation["status"] == "QUEUED"
    await asyncio.gather(*in_process._running)
    # then: done there, without a worker
    done = (await gql.data(AGAIN, id=simulation["id"]))["simulation"]
    assert done["status"] == "DONE" and done["totals"]["cases"] == 8


TIMES = "query ($id: Int!) { simulation(id: $id) { status ranAt startedAt finishedAt } }"


async def test_a_job_has_no_start_while_queued_then_starts_between_asked_and_finished(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    # given: a queued simulation
    await history.seed()
    queued = (await _simulate(gql, background=True))["simulation"]
    before = (await gql.data(TIMES, id=queued["id"]))["simulation"]
    assert (before["status"], before["startedAt"], before["finishedAt"]) == ("QUEUED", None, None)
    # when: a worker runs it, looking at it as it runs
    running: list[dict[str, Any]] = []

    async def look(claim: claims.Claim, point: Any) -> None:
        running.append((await gql.data(TIMES, id=queued["id"]))["simulation"])

    await jobs.run_queued(hook=look)
    done = (await gql.data(TIMES, id=queued["id"]))["simulation"]
    # then: started while running, and asked <= started <= finished once DONE
    assert running[0]["status"] == "RUNNING" and running[0]["startedAt"] == done["startedAt"]
    asked, started, finished = (
        datetime.fromisoformat(done[name]) for name in ("ranAt", "startedAt", "finishedAt")
    )
    assert done["status"] == "DONE" and asked <= started <= finished
    # and one run in its request started when it was asked
    synchronous = await gql.data(TIMES, id=(await _simulate(gql))["simulation"]["id"])
    assert synchronous["simulation"]["startedAt"] == synchronous["simulation"]["ranAt"]
