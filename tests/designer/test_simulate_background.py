"""Simulate in the designer over more than a month: asked in the background, its progress
shown until it ends, or cancelled with the Cancel button."""

from __future__ import annotations

from datetime import date

from playwright.async_api import Page, expect

from bpmn.simulation import run
from bpmn.simulation.population import Population
from domain.simulation.models import PopulationKind, Simulation, SimulationStatus
from tests.bpmn.simulation import history
from tests.designer.conftest import analyst, edit_cell
from tests.designer.test_designer import _open_table
from tests.serving import api_process

FROM, TO = "2026-05-01", "2026-06-10"  # 41 days: more than a month, run in the background


async def _ask(page: Page, base: str) -> None:
    """Signed in as the analyst, raise the FAST lane's limit and simulate it over the long
    window."""
    await _open_table(page, base, "credit_approval", "risk_lane")
    await edit_cell(page, "<= 50000", "<= 80000")
    await page.click("#simulate")
    await page.select_option("#simulate-decision", "risk_lane")
    await page.fill("#simulate-from", FROM)
    await page.fill("#simulate-to", TO)
    await page.click("#simulate-go")


async def test_a_long_window_runs_in_the_background_to_the_same_figures(
    db: str, page: Page
) -> None:
    # given past applications, and a server that runs queued simulations itself (as the demo)
    await analyst()
    await history.seed()
    lane = history.RISK_LANE.replace("&lt;= 50000", "&lt;= 80000")
    draft = run.Draft(history.APPROVAL.encode(), [lane.encode()])
    window = Population(PopulationKind.APPLICATIONS, date.fromisoformat(FROM),
                        date.fromisoformat(TO))  # fmt: skip
    expected = (await run.simulate(draft, window)).report["totals"]
    with api_process(db, env={"LENDGRAPH_SIMULATIONS_IN_API": "1"}) as base:
        # when
        await _ask(page, base)
        # then: the figures the request's own run gives, once the background job ended
        summary = page.locator("#simulation-summary")
        await expect(summary).to_contain_text(
            f"{expected['cases']} case(s), {expected['changed']} change outcome"
        )
        await expect(page.locator("#status")).to_contain_text("Deploy cites simulation")
    kept = await Simulation.get(ran_by="ana")
    assert kept.status is SimulationStatus.DONE and kept.cases_done == expected["cases"] == 9


async def test_a_queued_simulation_waits_for_a_worker_and_is_cancelled_from_the_page(
    db: str, page: Page
) -> None:
    # given a server that runs no simulation itself, and no worker
    await analyst()
    await history.seed()
    with api_process(db) as base:
        await _ask(page, base)
        # then it says it waits for a worker
        await expect(page.locator("#simulation-progress")).to_contain_text("waits for a worker")
        # when Cancel is pressed
        await page.click("#simulation-cancel")
        # then it is cancelled, nothing counted
        await expect(page.locator("#status")).to_contain_text("cancelled")
        await expect(page.locator("#simulation-summary")).to_contain_text("0 case(s)")
    kept = await Simulation.get(ran_by="ana")
    assert kept.status is SimulationStatus.CANCELLED and kept.cancel_requested_by == "ana"
