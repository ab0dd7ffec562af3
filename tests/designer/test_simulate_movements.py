"""Simulate in the designer: an analyst narrows limit-increase eligibility to 3+ on-time
installments and LOW risk, and sees who enters and who leaves per segment and rating."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.bpmn.simulation import movers
from tests.designer.conftest import analyst, edit_cell, screenshot
from tests.designer.test_designer import _open_table
from tests.serving import api_process


async def test_an_analyst_sees_who_enters_and_who_leaves_a_limit_increase(
    db: str, page: Page
) -> None:
    # given eight borrowers in two segments and two ratings (tests.bpmn.simulation.movers)
    await analyst()
    await movers.seed()
    with api_process(db) as base:
        # when the draft asks 3 on-time installments (not 6) and LOW risk only
        await _open_table(page, base, "limit_increase", "limit_increase")
        await edit_cell(page, ">= 6", ">= 3")
        await edit_cell(page, "< 6", "< 3")
        await edit_cell(page, '? in ("LOW", "MEDIUM")', '"LOW"')
        await page.click("#simulate")
        await page.select_option("#simulate-decision", "limit_increase")
        await page.select_option("#simulate-kind", "CUSTOMERS")
        day = movers.DAY.isoformat()
        await page.fill("#simulate-from", day)
        await page.fill("#simulate-to", day)
        await page.click("#simulate-go")
        # then one row per segment and rating with a change, by hand
        await expect(page.locator("#simulation-summary")).to_contain_text(
            "8 case(s), 5 change outcome"
        )
        rows = page.locator("#simulation-movements tr.movement")
        await expect(rows).to_have_count(4)
        champions = page.locator('tr.movement[data-segment="CHAMPIONS"][data-rating="LOW"]')
        await expect(champions.locator(".entered")).to_have_text("2")
        await expect(champions).to_contain_text("1800.18")
        at_risk = page.locator('tr.movement[data-segment="AT_RISK"][data-rating="MEDIUM"]')
        await expect(at_risk.locator(".left")).to_have_text("1")
        await expect(at_risk).to_contain_text("6000.60")
        await expect(page.locator("#simulation-movements-chart canvas")).to_have_count(1)
        await page.locator("#simulation-movements").scroll_into_view_if_needed()
        await screenshot(page, "designer-simulation-movements.png")
