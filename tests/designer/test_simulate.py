"""Simulate in the designer: an analyst who may read applications raises the FAST limit,
sees what it would have done to past applications, and deploys citing the simulation."""

from __future__ import annotations

from playwright.async_api import Page, expect

from domain.process.models import ProcessDefinition
from domain.simulation.models import SimulationCitation
from tests.bpmn.simulation import arrears, history
from tests.designer.conftest import analyst, edit_cell, screenshot
from tests.designer.test_designer import _open_table
from tests.serving import api_process


async def test_an_analyst_simulates_a_higher_fast_limit_and_deploys_citing_it(
    db: str, page: Page
) -> None:
    # given past applications (history.seed: eight in 1-10 June 2026) and an analyst who is
    # also a risk officer, so may see the cases and not only the figures
    await analyst("risk_officer")
    seeded = await history.seed()
    with api_process(db) as base:
        # when the FAST lane's limit goes from 50,000 to 80,000 and the draft is simulated
        await _open_table(page, base, "credit_approval", "risk_lane")
        await edit_cell(page, "<= 50000", "<= 80000")
        await page.click("#simulate")
        await page.select_option("#simulate-decision", "risk_lane")
        await page.fill("#simulate-from", "2026-06-01")
        await page.fill("#simulate-to", "2026-06-10")
        await page.click("#simulate-go")
        # then one of eight applications changes lane: a2's 60,000, STANDARD to FAST
        summary = page.locator("#simulation-summary")
        await expect(summary).to_contain_text("8 case(s), 1 change outcome")
        await expect(page.locator("#simulation-heatmap canvas")).to_have_count(1)
        await expect(page.locator("#simulation-bars canvas")).to_have_count(1)
        changed = page.locator(".changed-case")
        await expect(changed).to_have_count(1)
        await expect(changed).to_have_attribute("data-case-id", str(seeded.applications["a2"]))
        await expect(changed).to_contain_text("STANDARD → FAST")
        await expect(changed).to_contain_text("small amount, strong and clean profile")
        await screenshot(page, "designer-simulation.png")
        # and the deploy cites the simulation
        await page.click("#deploy")
        await expect(page.locator("#deployed")).to_have_text("Deployed credit_approval version 2")
        await expect(page.locator("#deployed-simulation")).to_contain_text("Based on simulation")
    deployed = await ProcessDefinition.get(process_id="credit_approval", version=2)
    citation = await SimulationCitation.get(definition_id=deployed.id)
    assert citation.cited_by == "ana"
    assert "&lt;= 80000" in deployed.dmn_xmls[0] or "<= 80000" in deployed.dmn_xmls[0]


async def test_a_strategy_draft_shows_its_replayed_contacts_and_workload(
    db: str, page: Page
) -> None:
    # given four loans past due in June (tests.bpmn.simulation.arrears) and two collectors
    await analyst()
    await arrears.seed()
    with api_process(db) as base:
        # when STANDARD calls every 3 days instead of 5 (the second "P5D" cell: the first is
        # GENTLE's in M1) and the table is simulated on the 90 days to 10 June
        await _open_table(page, base, "collections", "collection_strategy")
        await page.locator("#dmn-canvas td", has_text="P5D").nth(1).click()
        await page.keyboard.press("Control+A")
        await page.keyboard.type('"P3D"')
        await page.click("#simulate")
        await page.select_option("#simulate-decision", "collection_strategy")
        await page.select_option("#simulate-kind", "LOANS")
        await page.fill("#simulate-from", "2026-06-01")
        await page.fill("#simulate-to", "2026-06-10")
        await page.click("#simulate-go")
        # then the replay's contacts per day and tasks per collector are drawn
        summary = page.locator("#simulation-replay-summary")
        await expect(summary).to_contain_text("Replayed 4 past-due loan(s) day by day")
        # A, called from 1 June, gets two more cycles (four contacts) in the draft
        await expect(summary).to_contain_text("in force 26 contact(s)")
        await expect(summary).to_contain_text("draft 30 contact(s)")
        await expect(page.locator("#simulation-contacts canvas")).to_have_count(1)
        await expect(page.locator("#simulation-workload canvas")).to_have_count(1)
        await expect(page.locator('.suppression[data-rule="NO_CONTACT_POINT"]')).to_have_count(2)
        await page.locator("#simulation-collections").scroll_into_view_if_needed()
        await screenshot(page, "designer-collections-simulation.png")
