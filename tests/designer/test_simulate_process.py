"""Whole-process simulation in the designer: an analyst who may read applications runs a
stricter, faster risk_lane draft through the whole credit approval, and sees both sides'
approval rate, amount approved and share with no human, the workload per role, the assumption
the figures rest on, and each changed case's two paths."""

from __future__ import annotations

from playwright.async_api import Page, expect

from domain.simulation.models import Simulation
from tests.bpmn.simulation import history
from tests.designer.conftest import analyst, edit_cell, screenshot
from tests.designer.test_designer import _open, _open_table, _sign_in
from tests.serving import api_process


async def test_an_analyst_runs_a_lane_draft_through_the_whole_process(db: str, page: Page) -> None:
    # given history.py's eight applications of 1-10 June 2026 (a2 and a3 granted, the others
    # declined) and an analyst who is also a risk officer, so sees the cases
    await analyst("risk_officer")
    seeded = await history.seed()
    with api_process(db) as base:
        # when the draft declines below 600 (was 550) and sends up to 80,000 FAST (was 50,000)
        await _open_table(page, base, "credit_approval", "risk_lane")
        await edit_cell(page, "<= 50000", "<= 80000")
        await edit_cell(page, "< 550", "< 600")
        await page.click("#simulate")
        await page.select_option("#simulate-decision", "risk_lane")
        # the choice is there for past applications only
        scope = page.locator("#simulate-scope")
        await expect(scope).to_be_visible()
        await page.select_option("#simulate-kind", "LOANS")
        await expect(scope).to_be_hidden()
        await page.select_option("#simulate-kind", "APPLICATIONS")
        await expect(scope).to_have_value("TABLE")
        # and the analyst switches to the whole process and runs it on 1-10 June
        await page.select_option("#simulate-scope", "PROCESS")
        await page.fill("#simulate-from", "2026-06-01")
        await page.fill("#simulate-to", "2026-06-10")
        await page.click("#simulate-go")
        # then a2 (STANDARD to FAST), a3 (ENHANCED to DECLINE) and a6 (to DECLINE) change
        await expect(page.locator("#simulation-summary")).to_contain_text(
            "8 case(s), 3 change outcome"
        )
        figures = page.locator("#simulation-process-figures")
        rate = figures.locator('tr[data-figure="approval-rate"]')
        await expect(rate.locator(".old")).to_have_text("50.00 %")
        await expect(rate.locator(".new")).to_have_text("37.50 %")
        await expect(rate.locator(".difference")).to_have_text("-12.50 pts")
        amount = figures.locator('tr[data-figure="approved-amount"]')
        await expect(amount.locator(".old")).to_have_text("125,000.00")
        await expect(amount.locator(".new")).to_have_text("95,000.00")
        await expect(amount.locator(".difference")).to_have_text("-30,000.00")
        no_human = figures.locator('tr[data-figure="no-human"]')
        await expect(no_human.locator(".old")).to_have_text("25.00 % (2 of 8)")
        await expect(no_human.locator(".new")).to_have_text("50.00 % (4 of 8)")
        await expect(no_human.locator(".difference")).to_have_text("+25.00 pts")
        await expect(page.locator("#simulation-assumption")).to_contain_text("actually got")
        # the workload per role is drawn
        canvas = page.locator("#simulation-roles canvas")
        await expect(canvas).to_have_count(1)
        box = await canvas.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 200, box
        # and each changed case shows both paths with their tasks
        cases = page.locator(".changed-case")
        await expect(cases).to_have_count(3)
        a2 = page.locator(f'.changed-case[data-case-id="{seeded.applications["a2"]}"]')
        await expect(a2.locator('.case-path[data-side="old"]')).to_contain_text(
            "review_application (risk_officer)"
        )
        draft = a2.locator('.case-path[data-side="new"]')
        await expect(draft).to_contain_text("disburse")
        await expect(draft).not_to_contain_text("review_application")
        a3 = page.locator(f'.changed-case[data-case-id="{seeded.applications["a3"]}"]')
        await expect(a3.locator('.case-path[data-side="new"]')).to_contain_text("no human task")
        await expect(a3.locator(".assumed-decision")).to_contain_text("decide APPROVED")
        await page.locator("#simulation-process").evaluate("e => e.scrollIntoView()")
        await screenshot(page, "designer-process-simulation.png")
    kept = await Simulation.all()
    assert [s.population["scope"] for s in kept] == ["PROCESS"]


async def test_a_process_without_a_human_task_offers_the_table_only(db: str, page: Page) -> None:
    # given customer_risk_rating, a diagram with no user task
    await analyst()
    with api_process(db) as base:
        await _sign_in(page, base, "ana")
        await _open(page, "customer_risk_rating")
        # when the analyst opens Simulate (on borrowers, its kind) and asks past applications
        await page.click("#simulate")
        await expect(page.locator("#simulate-kind")).to_have_value("CUSTOMERS")
        await page.select_option("#simulate-kind", "APPLICATIONS")
        # then there is no whole process to run: the choice is not offered
        await expect(page.locator("#simulate-scope")).to_have_count(1)
        await expect(page.locator("#simulate-scope")).to_be_hidden()
        # while credit_approval, with its reviews, offers it
        await _open(page, "credit_approval")
        await page.click("#simulate")
        await page.click("#simulate")
        await expect(page.locator("#simulate-kind")).to_have_value("APPLICATIONS")
        await expect(page.locator("#simulate-scope")).to_be_visible()
