"""simulation.movements over GraphQL: who enters and who leaves a limit increase, by today's
segment and rating, for an analyst; run in its request or in the background."""

from __future__ import annotations

from typing import Any

import pytest

from bpmn.simulation import jobs
from domain.simulation import jobs as claims
from tests.api.conftest import GraphQLClient
from tests.api.simulation.requests import (
    simulate_input,
    simulate_mutation,
    simulated,
    simulation_query,
)
from tests.bpmn.simulation import movers

MOVEMENTS = "movements { segment rating entered left moved enteredAmount leftAmount movedAmount }"
FIELDS = f"id status totals {{ cases changed }} {MOVEMENTS} changedCases {{ caseId }}"
SIMULATE = simulate_mutation(FIELDS)
AGAIN = simulation_query(FIELDS)
EXPECTED = [
    {"segment": "AT_RISK", "rating": "LOW", "entered": 1, "left": 0, "moved": 0,
     "enteredAmount": "4000.40", "leftAmount": "0.00", "movedAmount": "0.00"},
    {"segment": "AT_RISK", "rating": "MEDIUM", "entered": 0, "left": 1, "moved": 0,
     "enteredAmount": "0.00", "leftAmount": "6000.60", "movedAmount": "0.00"},
    {"segment": "CHAMPIONS", "rating": "LOW", "entered": 2, "left": 0, "moved": 0,
     "enteredAmount": "1800.18", "leftAmount": "0.00", "movedAmount": "0.00"},
    {"segment": "CHAMPIONS", "rating": "MEDIUM", "entered": 0, "left": 1, "moved": 0,
     "enteredAmount": "0.00", "leftAmount": "3000.30", "movedAmount": "0.00"},
]  # fmt: skip


async def _simulate(gql: GraphQLClient, **more: Any) -> dict[str, Any]:
    asked = simulate_input("limit_increase", movers.LIMIT_BPMN, movers.DRAFT_LIMIT, "CUSTOMERS",
                           movers.DAY, movers.DAY, **more)  # fmt: skip
    return await simulated(gql, SIMULATE, asked)


async def test_an_analyst_sees_who_enters_and_who_leaves(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    # given
    await movers.seed()
    await gql.as_user("ana", ["analyst"])
    # when
    simulation = await _simulate(gql)
    # then: every group with a change, amounts to the cent; no case for an analyst
    assert simulation["totals"] == {"cases": 8, "changed": 5}
    assert simulation["movements"] == EXPECTED
    assert simulation["changedCases"] is None
    again = (await gql.data(AGAIN, id=simulation["id"]))["simulation"]
    assert again["movements"] == EXPECTED


async def test_a_background_simulation_shows_the_movements_so_far_then_all(
    gql: GraphQLClient, shipped_processes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: chunks of three borrowers (ids in the order seeded: c1 c2 c3, c4 a1 a2, a3 a4)
    monkeypatch.setenv(claims.CHUNK_ENV, "3")
    await movers.seed()
    await gql.as_user("ana", ["analyst"])
    queued = await _simulate(gql, background=True)
    assert queued["status"] == "QUEUED" and queued["movements"] == []
    seen: list[dict[str, Any]] = []

    async def look(claim: claims.Claim, point: Any) -> None:
        if point.done == 6:  # the point of six is not written yet: the first chunk shows
            seen.append((await gql.data(AGAIN, id=queued["id"]))["simulation"])

    # when
    await jobs.run_queued(hook=look)
    # then: c1 entered and c3 left so far; at the end every group
    assert seen[0]["status"] == "RUNNING" and seen[0]["movements"] == [
        {**EXPECTED[2], "entered": 1, "enteredAmount": "1000.10"},
        EXPECTED[3],
    ]
    done = (await gql.data(AGAIN, id=queued["id"]))["simulation"]
    assert done["status"] == "DONE" and done["movements"] == EXPECTED


async def test_a_role_without_report_read_gets_no_movements(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    await movers.seed()
    await gql.as_user("ana", ["analyst"])
    simulation = await _simulate(gql)
    await gql.as_user("amy", ["account_manager"])
    refused = await gql(AGAIN, id=simulation["id"])
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
