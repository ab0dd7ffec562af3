"""The whole credit approval simulated on the hand-built history of history.py: approval rate,
no-human share, tasks per role and the outcome cells counted by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bpmn.simulation import run
from bpmn.simulation.population import Population, Scope
from domain.application.models import Application, ApplicationStatus
from domain.errors import ValidationError
from domain.simulation.models import PopulationKind
from tests.bpmn.simulation import history, snapshot
from tests.bpmn.simulation.reading import cells, roles

WINDOW = Population(PopulationKind.APPLICATIONS, history.START, history.END, scope=Scope.PROCESS)
DRAFT = run.Draft(history.APPROVAL.encode(), [history.DRAFT_LANE.encode()])

# The lanes of history.py, run through credit_approval; a reviewer's decision is the one the
# application got (a2 and a3 were granted, every other declined):
#   app  amount  old lane  old path                      new lane  new path
#   a1   20,000  FAST      approve, sign                 FAST      approve, sign
#   a2   60,000  STANDARD  review APPROVED, sign         FAST      approve, sign
#   a3   30,000  ENHANCED  senior APPROVED, sign         DECLINE   declined, no human
#   a4   30,000  DECLINE   declined, no human            DECLINE   declined, no human
#   a5   45,000  ENHANCED  senior DECLINED               ENHANCED  senior DECLINED
#   a6   40,000  ENHANCED  senior DECLINED (RECORDED)    DECLINE   declined, no human
#   a8   25,000  DECLINE   declined, no human            DECLINE   declined, no human
#   a9   15,000  FAST      approve, sign                 FAST      approve, sign


async def test_the_process_figures_match_the_hand_count(shipped_processes: str) -> None:
    # given
    await history.seed()
    # when
    report = (await run.simulate(DRAFT, WINDOW, process_id="credit_approval")).report
    # then
    assert cells(report) == {
        ("APPROVED", "APPROVED"): (3, Decimal("95000")),  # a1, a2, a9
        ("APPROVED", "DECLINED"): (1, Decimal("30000")),  # a3
        ("DECLINED", "DECLINED"): (4, Decimal("140000")),  # a4, a5, a6, a8
    }
    old, new = report["process"]["old"], report["process"]["new"]
    assert (old["cases"], old["approved"], old["approvalRate"]) == (8, 4, "0.5000")
    assert Decimal(old["approvedAmount"]) == Decimal("125000")
    assert (new["approved"], new["approvalRate"]) == (3, "0.3750")
    assert Decimal(new["approvedAmount"]) == Decimal("95000")
    # no human task at all: the automatic declines; no human decision: FAST ones too
    assert (old["noHuman"], old["noHumanShare"]) == (2, "0.2500")
    assert (new["noHuman"], new["noHumanShare"]) == (4, "0.5000")
    assert (old["noHumanDecision"], new["noHumanDecision"]) == (4, 7)
    assert roles(old) == {"account_manager": 4, "risk_officer": 1, "senior_risk_officer": 3}
    assert roles(new) == {"account_manager": 3, "senior_risk_officer": 1}
    assert "actually got" in report["process"]["assumption"]
    # a2 (lane), a3 (lane and decision), a6 (lane) changed
    totals = report["totals"]
    assert (totals["changed"], Decimal(totals["changedAmount"])) == (3, Decimal("130000"))


async def test_changed_cases_carry_both_paths_and_their_observed_loans(
    shipped_processes: str,
) -> None:
    seeded = await history.seed()
    report = (await run.simulate(DRAFT, WINDOW, process_id="credit_approval")).report
    sample = {case["caseId"]: case for case in report["sample"]}
    assert set(sample) == {seeded.applications[k] for k in ("a2", "a3", "a6")}
    a2 = sample[seeded.applications["a2"]]
    assert a2["old"]["outputs"]["lane"] == "STANDARD" and a2["new"]["outputs"]["lane"] == "FAST"
    assert "review_application" in a2["old"]["path"]
    assert "review_application" not in a2["new"]["path"] and "disburse" in a2["new"]["path"]
    assert [t["role"] for t in a2["old"]["tasks"]] == ["risk_officer", "account_manager"]
    a3 = sample[seeded.applications["a3"]]
    assert (a3["old"]["outcome"], a3["new"]["outcome"]) == ("APPROVED", "DECLINED")
    assert a3["new"]["tasks"] == [] and a3["assumedDecision"] == "APPROVED"
    observed = report["observed"]
    assert "not a prediction" in observed["label"]
    # a2 (paid on time) and a3 (95 days late, charged off) were granted; a6 was not
    performed = {(c["old"], c["new"]): (c["loans"], c["worstDpd"], c["defaulted"])
                 for c in observed["cells"]}  # fmt: skip
    assert performed == {("APPROVED", "APPROVED"): (1, 0, 0), ("APPROVED", "DECLINED"): (1, 95, 1)}


async def test_diagrams_run_once_per_key_and_nothing_is_written(shipped_processes: str) -> None:
    await history.seed()
    before = await snapshot.tables()
    report = (await run.simulate(DRAFT, WINDOW, process_id="credit_approval")).report
    assert await snapshot.tables() == before
    runs = report["totals"]["evaluations"]
    assert 1 <= runs["old"] <= 8 and 1 <= runs["new"] <= 8
    assert report["population"]["scope"] == "PROCESS"


async def test_a_whole_process_is_simulated_on_applications_only(shipped_processes: str) -> None:
    loans = Population(PopulationKind.LOANS, history.START, history.END, scope=Scope.PROCESS)
    with pytest.raises(ValidationError):
        await run.simulate(DRAFT, loans, process_id="credit_approval")


async def test_an_application_not_decided_yet_waits_at_its_review(shipped_processes: str) -> None:
    # given: a5 (ENHANCED under both) still in review
    seeded = await history.seed()
    await Application.filter(id=seeded.applications["a5"]).update(
        status=ApplicationStatus.IN_REVIEW
    )
    # when
    report = (await run.simulate(DRAFT, WINDOW, process_id="credit_approval")).report
    # then: its senior review is made on both sides, and it is decided on neither
    found = cells(report)
    assert found[("PENDING", "PENDING")] == (1, Decimal("45000"))
    assert found[("DECLINED", "DECLINED")] == (3, Decimal("95000"))  # a4, a6, a8
    old, new = report["process"]["old"], report["process"]["new"]
    assert roles(old)["senior_risk_officer"] == 3 and roles(new)["senior_risk_officer"] == 1
    assert (old["approved"], old["noHumanDecision"], new["noHumanDecision"]) == (4, 4, 7)
