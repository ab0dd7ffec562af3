"""Collections strategies and risk ratings simulated on hand-built cases, cell for cell."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bpmn.simulation import run
from bpmn.simulation.population import Population
from domain.simulation.models import PopulationKind
from tests.bpmn.simulation import portfolio
from tests.bpmn.simulation.reading import cells


async def test_a_strategy_draft_on_collections_cases(shipped_processes: str) -> None:
    # given
    loans = await portfolio.seed_cases()
    draft = run.Draft(portfolio.COLLECTIONS.encode(), [portfolio.DRAFT_STRATEGY.encode()])
    june = Population(PopulationKind.LOANS, date(2026, 6, 1), date(2026, 6, 30))
    # when
    report = (await run.simulate(draft, june)).report
    # then: amounts are the loans' principals
    assert report["decisionId"] == "collection_strategy" and report["outcomeOutput"] == "strategy"
    assert cells(report) == {
        ("GENTLE", "GENTLE"): (1, Decimal("10000")),  # l1
        ("INTENSIVE", "GENTLE"): (1, Decimal("20000")),  # l2
        ("LEGAL", "LEGAL"): (1, Decimal("30000")),  # l3
        ("INTENSIVE", "INTENSIVE"): (1, Decimal("40000")),  # l4
    }
    assert report["totals"]["inputSources"] == {"RECORDED": 1, "REBUILT": 3}
    [changed] = report["sample"]
    assert changed["caseId"] == loans["l2"] and changed["inputSource"] == "RECORDED"
    assert [r["id"] for r in changed["new"]["rules"]] == ["rule_gentle_m2"]
    assert report["observed"] is None  # loan performance is for applications


async def test_a_window_without_cases_gives_an_empty_table(shipped_processes: str) -> None:
    await portfolio.seed_cases()
    draft = run.Draft(portfolio.COLLECTIONS.encode(), [portfolio.DRAFT_STRATEGY.encode()])
    may = Population(PopulationKind.LOANS, date(2026, 5, 1), date(2026, 5, 31))
    report = (await run.simulate(draft, may)).report
    assert report["cells"] == [] and report["totals"]["cases"] == 0


async def test_a_rating_draft_on_borrowers(shipped_processes: str) -> None:
    # given
    borrowers = await portfolio.seed_borrowers()
    draft = run.Draft(portfolio.RATING_BPMN.encode(), [portfolio.DRAFT_RATING.encode()])
    today = Population(PopulationKind.CUSTOMERS, date(2026, 6, 15), date(2026, 6, 15))
    # when
    report = (await run.simulate(draft, today)).report
    # then: amounts are each borrower's exposure (12,000 outstanding)
    assert cells(report) == {
        ("MEDIUM", "HIGH"): (1, Decimal("12000")),  # b1
        ("LOW", "LOW"): (1, Decimal("12000")),  # b2
        ("HIGH", "HIGH"): (1, Decimal("12000")),  # b3
    }
    [changed] = report["sample"]
    assert changed["caseId"] == borrowers["b1"]
    assert changed["old"]["rules"][0]["id"] == "rule_medium_score"
    assert changed["new"]["rules"][0]["id"] == "rule_high_score"
