"""Who enters and who leaves a limit increase, by today's segment and rating, counted by hand."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bpmn.simulation import movements, run
from bpmn.simulation.population import Population
from domain.simulation.models import PopulationKind
from tests.bpmn.simulation import movers, portfolio

# (segment, rating): entered, left, moved, entered amount, left amount
EXPECTED = {
    ("AT_RISK", "LOW"): (1, 0, 0, Decimal("4000.40"), Decimal("0")),  # a1
    ("AT_RISK", "MEDIUM"): (0, 1, 0, Decimal("0"), Decimal("6000.60")),  # a3
    ("CHAMPIONS", "LOW"): (2, 0, 0, Decimal("1800.18"), Decimal("0")),  # c1 + c4
    ("CHAMPIONS", "MEDIUM"): (0, 1, 0, Decimal("0"), Decimal("3000.30")),  # c3
}


def _groups(report: dict[str, Any]) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {
        (m["segment"], m["rating"]): (m["entered"], m["left"], m["moved"],
                                      Decimal(m["enteredAmount"]), Decimal(m["leftAmount"]))
        for m in report["movements"]
    }  # fmt: skip


@pytest.mark.parametrize("chunk", [3, 5_000])
async def test_a_limit_draft_moves_known_borrowers_in_and_out(
    shipped_processes: str, chunk: int
) -> None:
    # given
    borrowers = await movers.seed()
    draft = run.Draft(movers.LIMIT_BPMN.encode(), [movers.DRAFT_LIMIT.encode()])
    today = Population(PopulationKind.CUSTOMERS, movers.DAY, movers.DAY, chunk=chunk)
    # when
    report = (await run.simulate(draft, today)).report
    # then: the cells say the same in total, the groups say who
    cells = {(c["old"], c["new"]): c["count"] for c in report["cells"]}
    assert cells == {("False", "False"): 2, ("False", "True"): 3, ("True", "False"): 2,
                     ("True", "True"): 1}  # fmt: skip
    assert _groups(report) == EXPECTED
    assert {c["caseId"] for c in report["sample"]} == {
        borrowers[k] for k in ("c1", "c3", "c4", "a1", "a3")
    }


async def test_all_changed_cases_are_grouped_not_only_the_sample(
    shipped_processes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bpmn.simulation import report as report_module

    monkeypatch.setattr(report_module, "SAMPLE", 1)
    await movers.seed()
    draft = run.Draft(movers.LIMIT_BPMN.encode(), [movers.DRAFT_LIMIT.encode()])
    today = Population(PopulationKind.CUSTOMERS, movers.DAY, movers.DAY, chunk=2)
    report = (await run.simulate(draft, today)).report
    assert len(report["sample"]) == 1
    assert _groups(report) == EXPECTED


async def test_labels_are_today_s_a_changed_segment_moves_the_group(
    shipped_processes: str,
) -> None:
    from domain.customer.models import Customer

    borrowers = await movers.seed()
    await Customer.filter(id=borrowers["a1"]).update(rfm_segment="LOST")
    draft = run.Draft(movers.LIMIT_BPMN.encode(), [movers.DRAFT_LIMIT.encode()])
    today = Population(PopulationKind.CUSTOMERS, movers.DAY, movers.DAY)
    report = (await run.simulate(draft, today)).report
    expected = {k: v for k, v in EXPECTED.items() if k != ("AT_RISK", "LOW")}
    assert _groups(report) == {**expected, ("LOST", "LOW"): EXPECTED[("AT_RISK", "LOW")]}


async def test_a_worse_rating_leaves_unlabelled_borrowers_grouped_as_such(
    shipped_processes: str,
) -> None:
    borrowers = await portfolio.seed_borrowers()  # no segment, no rating stored
    draft = run.Draft(portfolio.RATING_BPMN.encode(), [portfolio.DRAFT_RATING.encode()])
    today = Population(PopulationKind.CUSTOMERS, movers.DAY, movers.DAY)
    report = (await run.simulate(draft, today)).report
    # b1 goes MEDIUM -> HIGH: it leaves; b2 and b3 keep their rating
    assert report["sample"][0]["caseId"] == borrowers["b1"]
    assert _groups(report) == {("", ""): (0, 1, 0, Decimal("0"), Decimal("12000.00"))}


def test_directions_per_table() -> None:
    assert movements.direction("limit_increase", "False", "True") == movements.ENTER
    assert movements.direction("limit_increase", "True", "ERROR") == movements.LEAVE
    assert movements.direction("customer_risk_rating", "HIGH", "MEDIUM") == movements.ENTER
    assert movements.direction("customer_risk_rating", "LOW", "VERY_HIGH") == movements.LEAVE
    assert movements.direction("customer_risk_rating", "LOW", "ERROR") == movements.MOVE
    assert movements.direction("credit_approval", "DECLINE", "FAST") == movements.ENTER
    assert movements.direction("credit_approval", "STANDARD", "ENHANCED") == movements.MOVE
    assert movements.direction("credit_approval", "APPROVED", "DECLINED") == movements.LEAVE
    assert movements.direction("collections", "GENTLE", "INTENSIVE") == movements.MOVE


def test_a_group_adds_to_the_cent() -> None:
    group = movements.Movement()
    for way, amount in ((movements.ENTER, "0.10"), (movements.ENTER, "0.20"),
                        (movements.LEAVE, "1.05"), (movements.MOVE, "3")):  # fmt: skip
        group.add(way, Decimal(amount))
    assert (group.entered, group.entered_amount) == (2, Decimal("0.30"))
    assert (group.left, group.left_amount, group.moved) == (1, Decimal("1.05"), 1)


async def test_applications_leave_on_a_decline_and_move_between_lanes(
    shipped_processes: str,
) -> None:
    from domain.customer.models import Customer
    from tests.bpmn.simulation import history

    # given: a2 goes STANDARD -> FAST (both favourable: moved), a3 and a6 ENHANCED -> DECLINE
    seeded = await history.seed()
    labels = {"a2": ("LOYAL", "LOW"), "a3": ("AT_RISK", "HIGH"), "a6": ("AT_RISK", "HIGH")}
    for key, (segment, rating) in labels.items():
        await Customer.filter(id=seeded.customers[key]).update(
            rfm_segment=segment, risk_rating=rating
        )
    draft = run.Draft(history.APPROVAL.encode(), [history.DRAFT_LANE.encode()])
    june = Population(PopulationKind.APPLICATIONS, history.START, history.END)
    # when
    report = (await run.simulate(draft, june)).report
    # then: amounts are the applications' (70,000 for the two declined, 60,000 for a2)
    assert _groups(report) == {
        ("AT_RISK", "HIGH"): (0, 2, 0, Decimal("0"), Decimal("70000.00")),
        ("LOYAL", "LOW"): (0, 0, 1, Decimal("0"), Decimal("0")),
    }
    [loyal] = [m for m in report["movements"] if m["segment"] == "LOYAL"]
    assert Decimal(loyal["movedAmount"]) == Decimal("60000.00")


async def test_a_collection_strategy_change_is_a_move_under_today_s_labels(
    shipped_processes: str,
) -> None:
    # l2's case kept MEDIUM risk; its customer is HIGH and LOST today: grouped as today's
    await portfolio.seed_cases()
    draft = run.Draft(portfolio.COLLECTIONS.encode(), [portfolio.DRAFT_STRATEGY.encode()])
    june = Population(PopulationKind.LOANS, movers.DAY.replace(day=1), movers.DAY.replace(day=30))
    report = (await run.simulate(draft, june)).report
    assert report["movements"] == [
        {"segment": "LOST", "rating": "HIGH", "entered": 0, "left": 0, "moved": 1,
         "enteredAmount": "0.00", "leftAmount": "0.00", "movedAmount": "20000.00"}
    ]  # fmt: skip
