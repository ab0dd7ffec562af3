"""simulate with scope PROCESS over GraphQL: both diagrams' figures for an analyst (no case),
both paths for who may read the cases, nothing written but the simulation, and in the
background the same figures."""

from __future__ import annotations

from typing import Any

import pytest

from bpmn.simulation import jobs
from domain.simulation import jobs as claims
from domain.simulation.models import Simulation
from tests.api.conftest import GraphQLClient
from tests.api.simulation.requests import (
    approval_input,
    simulate_mutation,
    simulated,
    simulation_query,
)
from tests.bpmn.simulation import history, snapshot
from tests.bpmn.simulation.reading import roles

SIDE = """cases approved approvalRate approvedAmount noHuman noHumanShare noHumanDecision
  tasksPerRole { role tasks } lanes { lane count } runs"""
FIELDS = f"""id status progress {{ casesDone casesTotal phase }} outcomeOutput
  cells {{ old new count amount }} totals {{ cases changed changedAmount }}
  process {{ assumption old {{ {SIDE} }} new {{ {SIDE} }} }}
  observed {{ loans worstDpd defaulted cells {{ old new loans defaulted }} }}
  changedCases {{ caseId assumedDecision
    old {{ outcome outputs path tasks {{ element role }} }}
    new {{ outcome outputs path tasks {{ element role }} }} }}"""
SIMULATE = simulate_mutation(FIELDS)
AGAIN = simulation_query(FIELDS)


async def _simulate(gql: GraphQLClient, **more: Any) -> dict[str, Any]:
    return await simulated(gql, SIMULATE, approval_input(scope="PROCESS", **more))


async def test_an_analyst_sees_both_processes_figures_but_no_case(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    # given: history.py's applications (a2 and a3 granted, the others declined)
    await history.seed()
    await gql.as_user("ana", ["analyst"])
    # when
    simulation = await _simulate(gql)
    # then: the figures test_process.py counts by hand, through the schema
    cells = {(c["old"], c["new"]): (c["count"], c["amount"]) for c in simulation["cells"]}
    assert cells == {
        ("APPROVED", "APPROVED"): (3, "95000.00"),
        ("APPROVED", "DECLINED"): (1, "30000.00"),
        ("DECLINED", "DECLINED"): (4, "140000.00"),
    }
    assert simulation["outcomeOutput"] == "decision"
    old, new = simulation["process"]["old"], simulation["process"]["new"]
    assert (old["approved"], old["approvalRate"], old["approvedAmount"]) == (
        4,
        "0.5000",
        "125000.00",
    )
    assert (new["approved"], new["approvalRate"], new["approvedAmount"]) == (
        3,
        "0.3750",
        "95000.00",
    )
    assert (old["noHuman"], old["noHumanShare"], new["noHuman"], new["noHumanShare"]) == (
        2, "0.2500", 4, "0.5000",
    )  # fmt: skip
    assert roles(old) == {"account_manager": 4, "risk_officer": 1, "senior_risk_officer": 3}
    assert roles(new) == {"account_manager": 3, "senior_risk_officer": 1}
    assert {r["lane"]: r["count"] for r in new["lanes"]} == {"DECLINE": 4, "ENHANCED": 1, "FAST": 3}
    assert simulation["observed"]["loans"] == 2 and simulation["observed"]["defaulted"] == 1
    assert simulation["changedCases"] is None


async def test_a_risk_officer_sees_both_paths_and_only_the_simulation_is_written(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    seeded = await history.seed()
    await gql.as_user("rita", ["risk_officer"])
    before = await snapshot.tables()
    simulation = await _simulate(gql)
    after = await snapshot.tables()
    written = {t for t in after if after[t] != before.get(t)}
    assert written <= {"simulation", "audit_entry"}, written
    by_id = {c["caseId"]: c for c in simulation["changedCases"]}
    assert set(by_id) == {seeded.applications[k] for k in ("a2", "a3", "a6")}
    a2 = by_id[seeded.applications["a2"]]
    assert a2["assumedDecision"] == "APPROVED"
    assert a2["old"]["tasks"] == [
        {"element": "review_application", "role": "risk_officer"},
        {"element": "sign_contract", "role": "account_manager"},
    ]
    assert a2["new"]["tasks"] == [{"element": "sign_contract", "role": "account_manager"}]
    assert a2["old"]["outputs"]["lane"] == "STANDARD" and "auto_approve" in a2["new"]["path"]


async def test_in_the_background_it_gives_the_requests_figures(
    gql: GraphQLClient, shipped_processes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(claims.CHUNK_ENV, "3")
    await history.seed()
    await gql.as_user("ana", ["analyst"])
    queued = await _simulate(gql, background=True)
    assert queued["status"] == "QUEUED" and queued["process"]["old"]["cases"] == 0
    points: list[int] = []

    async def look(claim: claims.Claim, point: Any) -> None:
        points.append(point.done)

    await jobs.run_queued(hook=look)
    done = (await gql.data(AGAIN, id=queued["id"]))["simulation"]
    synchronous = await _simulate(gql)
    assert done["status"] == "DONE" and points == [0, 3, 6, 8]
    assert (done["cells"], done["process"]) == (synchronous["cells"], synchronous["process"])
    kept = await Simulation.get(id=queued["id"])
    assert kept.population["scope"] == "PROCESS"
