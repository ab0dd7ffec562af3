"""The collections replay of a strategy draft, figure for figure on a hand-built history."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bpmn.simulation import run
from bpmn.simulation.population import Population
from domain.simulation.models import PopulationKind
from tests.bpmn.simulation import arrears, portfolio

DRAFT = run.Draft(portfolio.COLLECTIONS.encode(), [arrears.STANDARD_EVERY_3.encode()])
TEN_DAYS = Population(PopulationKind.LOANS, arrears.FIRST, arrears.LAST, replay_days=10)


def _channels(side: dict[str, Any]) -> dict[str, list[int]]:
    return {c["channel"]: c["perDay"] for c in side["channels"]}


def _suppressions(side: dict[str, Any]) -> dict[tuple[str, str, str], int]:
    return {(s["rule"], s["effect"], s["channel"]): s["count"] for s in side["suppressions"]}


def _workload(side: dict[str, Any]) -> dict[str | None, tuple[int, int, int, list[int]]]:
    return {w["collector"]: (w["loans"], w["calls"], w["visits"], w["perDay"])
            for w in side["workload"]}  # fmt: skip


async def test_contacts_suppressions_and_workload_match_the_hand_count(
    shipped_processes: str,
) -> None:
    # given (arrears.seed's comments)
    seeded = await arrears.seed()
    # when
    replayed = (await run.simulate(DRAFT, TEN_DAYS)).report["collections"]
    # then
    assert replayed["from"] == "2026-06-01" and replayed["to"] == "2026-06-10"
    assert replayed["days"] == 10 and replayed["loans"] == 4
    old, new = replayed["old"], replayed["new"]
    #                     1 June  2  3  4  5  6  7  8  9  10
    assert _channels(old) == {
        "EMAIL": [0, 0, 0, 1, 0, 0, 0, 0, 0, 0],  # B on 4 June
        "PHONE": [1, 0, 1, 0, 0, 2, 0, 0, 0, 0],  # A 1 and 6, D 3 and 6
        "SMS": [1, 0, 2, 0, 0, 2, 0, 1, 0, 0],  # A 1 and 6, C 3 and 8, D 3 and 6
    }
    assert _channels(new) == {
        "EMAIL": [0, 1, 0, 0, 0, 0, 0, 0, 0, 0],  # B on 2 June
        "PHONE": [1, 0, 1, 1, 0, 1, 1, 0, 0, 1],  # A 1, 4, 7, 10; D 3 and 6
        "SMS": [1, 0, 2, 1, 0, 1, 1, 1, 0, 1],  # A 1, 4, 7, 10; C 3 and 8; D 3 and 6
    }
    assert (old["contacts"], new["contacts"]) == (11, 15)
    # B's calls have no phone to go to; C's wait for New York's morning (the SMS is sent then,
    # the call is not made)
    for side in (old, new):
        assert _suppressions(side) == {
            ("NO_CONTACT_POINT", "SKIPPED", "PHONE"): 1,
            ("OUTSIDE_WINDOW", "POSTPONED", "SMS"): 2,
            ("OUTSIDE_WINDOW", "SKIPPED", "PHONE"): 2,
        }
        assert (side["suppressed"], side["postponed"]) == (3, 2)
    reasons = {s["rule"]: s["reason"] for s in old["suppressions"]}
    assert reasons["NO_CONTACT_POINT"] == "no PHONE contact point on file"
    assert reasons["OUTSIDE_WINDOW"] == "outside 08:00-21:00 customer local time"
    # the Beijing collector calls A, the Shanghai one D (in force); the draft's GENTLE D goes
    # to the account manager
    assert _workload(old) == {
        "collector_bj": (1, 2, 0, [1, 0, 0, 0, 0, 1, 0, 0, 0, 0]),
        "collector_sh": (1, 2, 0, [0, 0, 1, 0, 0, 1, 0, 0, 0, 0]),
    }
    assert _workload(new) == {"collector_bj": (1, 4, 0, [1, 0, 0, 1, 0, 0, 1, 0, 0, 1])}
    assert {w["collector"]: w["collectorId"] for w in old["workload"]} == {
        "collector_bj": seeded.collectors["BJ"], "collector_sh": seeded.collectors["SH"],
    }  # fmt: skip
    assert old["tasksByRole"] == [{"role": "collector", "tasks": 4}]
    assert new["tasksByRole"] == [
        {"role": "account_manager", "tasks": 2}, {"role": "collector", "tasks": 4},
    ]  # fmt: skip
    assert old["cycles"] == [{"strategy": "GENTLE", "count": 2},
                             {"strategy": "INTENSIVE", "count": 2},
                             {"strategy": "STANDARD", "count": 3}]  # fmt: skip
    assert new["cycles"] == [{"strategy": "GENTLE", "count": 4},
                             {"strategy": "STANDARD", "count": 5}]  # fmt: skip


async def test_the_changed_loans_observed_history(shipped_processes: str) -> None:
    # given
    await arrears.seed()
    # when
    changed = (await run.simulate(DRAFT, TEN_DAYS)).report["collections"]["changed"]
    # then: only D changes strategy (INTENSIVE to GENTLE in M2), and it was cured on 8 June
    assert (
        changed["label"].startswith("observed history") and "not a prediction" in changed["label"]
    )
    assert changed["asOf"] == "2026-06-10"
    assert (changed["loans"], changed["principal"]) == (1, "10000.00")
    assert (changed["cured"], changed["rolled"], changed["chargedOff"], changed["stayed"]) == (
        1, 0, 0, 0,
    )  # fmt: skip
    assert [(c["old"], c["new"], c["loans"], c["cured"]) for c in changed["cells"]] == [
        ("INTENSIVE", "GENTLE", 1, 1)
    ]


async def test_a_faster_cadence_runs_into_the_debt_cap(
    shipped_processes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: at most 3 contacts about a debt in 7 days, and A alone
    monkeypatch.setenv("LENDGRAPH_CONTACT_DEBT_CAP", "3")
    await arrears.collectors()
    await arrears.loan("A", branch="BJ", risk="MEDIUM", segment=None, due=date(2026, 5, 31),
                       paid=None)  # fmt: skip
    # when
    replayed = (await run.simulate(DRAFT, TEN_DAYS)).report["collections"]
    # then in force (1 and 6 June) two contacts each time stay under the cap
    old, new = replayed["old"], replayed["new"]
    assert _channels(old) == {"PHONE": [1, 0, 0, 0, 0, 1, 0, 0, 0, 0],
                              "SMS": [1, 0, 0, 0, 0, 1, 0, 0, 0, 0]}  # fmt: skip
    assert old["suppressions"] == []
    # the draft: 1 and 4 June make four contacts; on 7 June the SMS waits until the first two
    # are 7 days old (8 June) and the call is not made; on 10 June the SMS would wait for
    # 11 June, past the window, and again no call
    assert _channels(new) == {"PHONE": [1, 0, 0, 1, 0, 0, 0, 0, 0, 0],
                              "SMS": [1, 0, 0, 1, 0, 0, 0, 1, 0, 0]}  # fmt: skip
    assert _suppressions(new) == {
        ("DEBT_CAP", "POSTPONED", "SMS"): 2, ("DEBT_CAP", "SKIPPED", "PHONE"): 2,
    }  # fmt: skip
    assert _workload(new) == {"collector_bj": (1, 2, 0, [1, 0, 0, 1, 0, 0, 0, 0, 0, 0])}


async def test_risk_tables_and_other_kinds_have_no_replay(shipped_processes: str) -> None:
    await arrears.seed()
    draft = run.Draft(portfolio.RATING_BPMN.encode(), [portfolio.DRAFT_RATING.encode()])
    today = Population(PopulationKind.CUSTOMERS, arrears.LAST, arrears.LAST)
    assert (await run.simulate(draft, today)).report["collections"] is None
