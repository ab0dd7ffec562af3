"""Simulate in the designer: an analyst gives punctual payers T-5 and T-2 as well, and the
Simulate view weighs the draft on the reminders of past days without being told the kind."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.bpmn.simulation import cadence
from tests.designer.conftest import analyst, edit_cell
from tests.designer.test_designer import _open_table
from tests.serving import api_process


async def test_an_analyst_reminds_punctual_payers_five_and_two_days_before(
    db: str, page: Page
) -> None:
    # given the installments of tests.bpmn.simulation.cadence (51 reminders weighed 1-10 June)
    await analyst()
    await cadence.seed()
    with api_process(db) as base:
        # when the punctual payers' rule (the table's first "False") reminds them too
        await _open_table(page, base, "pre_due_reminders", "reminder_cadence")
        await edit_cell(page, "False", "True")
        await page.click("#simulate")
        # then the view has chosen past loans by itself
        await expect(page.locator("#simulate-kind")).to_have_value("LOANS")
        await page.select_option("#simulate-decision", "reminder_cadence")
        await page.fill("#simulate-from", cadence.START.isoformat())
        await page.fill("#simulate-to", cadence.END.isoformat())
        await page.click("#simulate-go")
        # a1's T-5 and T-2 (1,000.11 each) and b1's T-5 (2,000.22) enter; c1 is a late payer
        # reminded then already, d1 was paid before its T-5
        await expect(page.locator("#simulation-summary")).to_contain_text(
            "51 case(s), 3 change outcome (amount 4000.44 of 107111.42)"
        )
        rows = page.locator("#simulation-movements tr.movement")
        await expect(rows).to_have_count(2)
        low = page.locator('tr.movement[data-segment="CHAMPIONS"][data-rating="LOW"]')
        await expect(low.locator(".entered")).to_have_text("2")
        await expect(low).to_contain_text("2000.22")
        high = page.locator('tr.movement[data-segment="CHAMPIONS"][data-rating="HIGH"]')
        await expect(high.locator(".entered")).to_have_text("1")
        await expect(high.locator(".left")).to_have_text("0")
