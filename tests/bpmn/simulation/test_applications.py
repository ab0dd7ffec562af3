"""A risk_lane draft simulated on a hand-built history: the confusion table cell for cell."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bpmn.simulation import run
from bpmn.simulation.population import Population
from domain.errors import ValidationError
from domain.simulation.models import PopulationKind
from tests.bpmn.simulation import history
from tests.bpmn.simulation.reading import cells

WINDOW = Population(PopulationKind.APPLICATIONS, history.START, history.END)


def _draft(dmn: str = history.DRAFT_LANE) -> run.Draft:
    return run.Draft(history.APPROVAL.encode(), [dmn.encode()])


async def test_the_confusion_table_matches_the_hand_count(shipped_processes: str) -> None:
    # given
    await history.seed()
    # when
    done = await run.simulate(_draft(), WINDOW, process_id="credit_approval")
    # then: a1..a6, a8, a9 (a7 was submitted in May), each in the lane history.py gives it
    report = done.report
    assert cells(report) == {
        ("FAST", "FAST"): (2, Decimal("35000")),  # a1 20,000 + a9 15,000
        ("STANDARD", "FAST"): (1, Decimal("60000")),  # a2
        ("ENHANCED", "DECLINE"): (2, Decimal("70000")),  # a3 30,000 + a6 40,000
        ("DECLINE", "DECLINE"): (2, Decimal("55000")),  # a4 30,000 + a8 25,000
        ("ENHANCED", "ENHANCED"): (1, Decimal("45000")),  # a5
    }
    totals = report["totals"]
    assert totals["cases"] == 8 and Decimal(totals["amount"]) == Decimal("265000")
    assert totals["changed"] == 3 and Decimal(totals["changedAmount"]) == Decimal("130000")
    assert totals["inputSources"] == {"RECORDED": 1, "REBUILT": 7}
    assert done.against_version == 1 and done.decision_id == "risk_lane"
    assert report["against"]["version"] == 1


async def test_changed_cases_carry_both_explanations(shipped_processes: str) -> None:
    seeded = await history.seed()
    report = (await run.simulate(_draft(), WINDOW, process_id="credit_approval")).report
    sample = {case["caseId"]: case for case in report["sample"]}
    assert set(sample) == {seeded.applications[k] for k in ("a2", "a3", "a6")}
    a3 = sample[seeded.applications["a3"]]
    assert a3["customerId"] == seeded.customers["a3"] and a3["inputSource"] == "REBUILT"
    assert a3["old"]["outcome"] == "ENHANCED"
    assert a3["old"]["rules"] == [
        {"id": "rule_6", "annotation": "ENHANCED: bureau score below 620"}
    ]
    assert a3["new"]["rules"] == [{"id": "rule_1", "annotation": "DECLINE: bureau score below 600"}]
    assert a3["new"]["outputs"]["reason"] == "bureau score below 600"
    a6 = sample[seeded.applications["a6"]]
    # the kept inputs, not the report of 720 pulled after the decision
    assert a6["inputSource"] == "RECORDED" and a6["inputs"]["bureau_score"] == 590


async def test_observed_performance_of_granted_loans_among_changed_cases(
    shipped_processes: str,
) -> None:
    await history.seed()
    observed = (await run.simulate(_draft(), WINDOW, process_id="credit_approval")).report[
        "observed"
    ]
    assert "observed history" in observed["label"] and "not a prediction" in observed["label"]
    # a2 (paid on time) and a3 (95 days late, charged off) were granted; a6 was not
    assert (observed["loans"], observed["worstDpd"], observed["defaulted"]) == (2, 95, 1)
    performed = {(c["old"], c["new"]): (c["loans"], c["worstDpd"], c["defaulted"])
                 for c in observed["cells"]}  # fmt: skip
    assert performed == {("ENHANCED", "DECLINE"): (1, 95, 1), ("STANDARD", "FAST"): (1, 0, 0)}


async def test_the_same_table_changes_nothing_and_runs_once_per_class(
    shipped_processes: str,
) -> None:
    await history.seed()
    report = (await run.simulate(_draft(history.RISK_LANE), WINDOW)).report
    assert report["totals"]["changed"] == 0 and report["sample"] == []
    assert {c["old"] for c in report["cells"]} == {"FAST", "STANDARD", "ENHANCED", "DECLINE"}
    assert report["totals"]["classesRead"] == {"old": True, "new": True}
    assert report["totals"]["evaluations"]["old"] <= report["totals"]["cases"]


async def test_a_draft_of_another_population_is_refused(shipped_processes: str) -> None:
    customers = Population(PopulationKind.CUSTOMERS, history.START, history.END)
    with pytest.raises(ValidationError) as refused:
        await run.simulate(_draft(), customers)
    assert refused.value.problems[0].field == "population.kind"


async def test_the_filter_narrows_the_cases_by_product_and_status(shipped_processes: str) -> None:
    # given the history: a2 and a3 were granted (DISBURSED), the others DECLINED, all of PL
    await history.seed()

    async def narrowed_cells(
        products: tuple[str, ...], statuses: tuple[str, ...]
    ) -> dict[Any, Any]:
        narrowed = Population(
            PopulationKind.APPLICATIONS, history.START, history.END, products, statuses
        )
        return cells((await run.simulate(_draft(), narrowed)).report)

    # when / then
    assert await narrowed_cells((), ("DISBURSED",)) == {
        ("STANDARD", "FAST"): (1, Decimal("60000")),  # a2
        ("ENHANCED", "DECLINE"): (1, Decimal("30000")),  # a3
    }
    assert await narrowed_cells(("OTHER",), ()) == {}
    everything = await narrowed_cells(("PL", "OTHER"), ("DECLINED", "DISBURSED"))
    assert sum(count for count, _ in everything.values()) == 8
