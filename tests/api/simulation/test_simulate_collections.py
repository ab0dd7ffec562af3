"""simulate over GraphQL for a collection strategy: the day-by-day replay's figures, kept."""

from __future__ import annotations

from typing import Any

from domain.outreach.models import OutboxMessage
from tests.api.conftest import GraphQLClient
from tests.api.simulation.requests import simulate_input, simulate_mutation, simulation_query
from tests.bpmn.simulation import arrears, portfolio

REPLAY = """collections { from to dates contactTime loans
  old { contacts suppressed postponed channels { channel total perDay }
        suppressions { rule effect channel count reason }
        workload { collectorId collector loans calls visits tasks busiestDay perDay }
        tasksByRole { role tasks } cycles { strategy count } evaluations }
  new { contacts workload { collector calls perDay } tasksByRole { role tasks } }
  changed { label asOf loans principal cured rolled chargedOff stayed
            cells { old new loans principal cured } } }"""
SIMULATE = simulate_mutation(f"id {REPLAY}")
AGAIN = simulation_query(REPLAY)


def _input(**population: Any) -> dict[str, Any]:
    return simulate_input("collections", portfolio.COLLECTIONS, arrears.STANDARD_EVERY_3, "LOANS",
                          arrears.FIRST, arrears.LAST, population=population)  # fmt: skip


async def test_an_analyst_sees_the_replay_and_reads_it_again(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    # given (tests.bpmn.simulation.arrears: four loans over 1-10 June)
    seeded = await arrears.seed()
    await gql.as_user("ana", ["analyst"])
    # when
    result = (await gql.data(SIMULATE, input=_input(replayDays=10)))["simulate"]
    # then
    assert result["__typename"] == "SimulateSuccess", result
    replay = result["simulation"]["collections"]
    assert (replay["from"], replay["to"], replay["contactTime"]) == (
        "2026-06-01", "2026-06-10", "10:00",
    )  # fmt: skip
    assert replay["dates"][0] == "2026-06-01" and len(replay["dates"]) == 10
    old = replay["old"]
    assert (old["contacts"], old["suppressed"], old["postponed"]) == (11, 3, 2)
    assert {c["channel"]: c["perDay"] for c in old["channels"]}["SMS"] == [
        1, 0, 2, 0, 0, 2, 0, 1, 0, 0,
    ]  # fmt: skip
    assert {(s["rule"], s["effect"], s["channel"]): s["count"] for s in old["suppressions"]} == {
        ("NO_CONTACT_POINT", "SKIPPED", "PHONE"): 1,
        ("OUTSIDE_WINDOW", "POSTPONED", "SMS"): 2,
        ("OUTSIDE_WINDOW", "SKIPPED", "PHONE"): 2,
    }
    assert old["workload"][0] == {
        "collectorId": seeded.collectors["BJ"], "collector": "collector_bj", "loans": 1,
        "calls": 2, "visits": 0, "tasks": 2, "busiestDay": 1,
        "perDay": [1, 0, 0, 0, 0, 1, 0, 0, 0, 0],
    }  # fmt: skip
    assert replay["new"]["contacts"] == 15
    assert replay["new"]["tasksByRole"] == [
        {"role": "account_manager", "tasks": 2}, {"role": "collector", "tasks": 4},
    ]  # fmt: skip
    changed = replay["changed"]
    assert (changed["loans"], changed["principal"], changed["cured"]) == (1, "10000.00", 1)
    assert changed["cells"] == [
        {"old": "INTENSIVE", "new": "GENTLE", "loans": 1, "principal": "10000.00", "cured": 1}
    ]
    # and the kept simulation answers the same; nothing went to the outbox
    again = await gql.data(AGAIN, id=result["simulation"]["id"])
    assert again["simulation"]["collections"] == replay
    assert await OutboxMessage.all().count() == 0


async def test_a_replay_longer_than_a_year_is_refused(
    gql: GraphQLClient, shipped_processes: str
) -> None:
    await gql.as_user("ana", ["analyst"])
    result = (await gql.data(SIMULATE, input=_input(replayDays=400)))["simulate"]
    assert result["__typename"] == "ValidationError"
    assert "replays 1 to 366 days" in result["message"]
