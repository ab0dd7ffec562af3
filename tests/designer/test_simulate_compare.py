"""Two drafts side by side in the designer: an analyst simulates a higher FAST limit, then the
same with a stricter decline score, and compares the two kept simulations; simulations of
different windows are not lined up."""

from __future__ import annotations

import asyncio

from playwright.async_api import Page, expect

from domain.simulation.models import Simulation
from tests.bpmn.simulation import arrears, history
from tests.designer.conftest import analyst, edit_cell, screenshot
from tests.designer.test_designer import _open_table
from tests.serving import api_process


async def _simulate(page: Page, start: str, number: int) -> Simulation:
    """Simulate the open draft from `start` to 10 June: the n-th simulation kept, once the
    page says so."""
    await page.fill("#simulate-from", start)
    await page.fill("#simulate-to", "2026-06-10")
    await page.click("#simulate-go")
    for _ in range(300):
        kept = await Simulation.all().order_by("id")
        if len(kept) == number:
            break
        await asyncio.sleep(0.1)
    assert len(kept) == number, kept
    await expect(page.locator("#status")).to_contain_text(f"Deploy cites simulation {kept[-1].id}")
    return kept[-1]


async def test_two_drafts_side_by_side_with_their_difference(db: str, page: Page) -> None:
    # given eight past applications in 1-10 June 2026 and an analyst
    await analyst()
    await history.seed()
    with api_process(db) as base:
        await _open_table(page, base, "credit_approval", "risk_lane")
        await page.click("#simulate")
        await page.select_option("#simulate-decision", "risk_lane")
        # when: the first draft raises the FAST limit (a2's 60,000 goes FAST), simulated
        await edit_cell(page, "<= 50000", "<= 80000")
        first = (await _simulate(page, "2026-06-01", 1)).id
        summary = page.locator("#simulation-summary")
        await expect(summary).to_contain_text("8 case(s), 1 change outcome")
        # and the second also declines below 600 (two more change), simulated on the same window
        await edit_cell(page, "< 550", "< 600")
        second = (await _simulate(page, "2026-06-01", 2)).id
        await expect(summary).to_contain_text("8 case(s), 3 change outcome")
        # then the comparison offers the newest beside the one before it
        await expect(page.locator("#compare-first")).to_have_value(str(first))
        await expect(page.locator("#compare-second")).to_have_value(str(second))
        await page.click("#compare-go")
        # and shows both, side by side, with the difference of their totals
        sides = page.locator(".compare-side")
        await expect(sides).to_have_count(2)
        await expect(sides.nth(0)).to_have_attribute("data-simulation-id", str(first))
        await expect(sides.nth(1)).to_have_attribute("data-simulation-id", str(second))
        for key in ("first", "second"):
            for chart in ("heatmap", "bars"):
                canvas = page.locator(f"#compare-{key}-{chart} canvas")
                await expect(canvas).to_have_count(1)
                box = await canvas.bounding_box()
                assert box is not None and box["width"] > 200 and box["height"] > 200, box
        await expect(page.locator("#compare-first-summary")).to_contain_text(
            "8 case(s), 1 change outcome (amount 60000.00"
        )
        await expect(page.locator("#compare-second-summary")).to_contain_text(
            "8 case(s), 3 change outcome (amount 130000.00"
        )
        difference = page.locator("#compare-difference")
        await expect(difference).to_contain_text("cases changed +2 (1 → 3)")
        await expect(difference).to_contain_text("changed amount +70000.00 (60000.00 → 130000.00)")
        # the stricter draft declines two more applications (a3, a6), 70,000 between them
        declined = page.locator('.compare-outcome[data-outcome="DECLINE"] td')
        await expect(declined.nth(3)).to_have_text("+2")
        await expect(declined.nth(4)).to_have_text("+70000.00")
        await expect(page.locator(".compare-note")).to_have_count(0)
        await page.locator("#compare-sides").scroll_into_view_if_needed()
        await screenshot(page, "designer-simulation-compare.png")

        # when: the same draft on a shorter window, lined up with the second
        await expect(page.locator("#status")).to_contain_text("side by side")
        third = await _simulate(page, "2026-06-03", 3)
        await expect(page.locator("#compare-first")).to_have_value(str(second))
        await expect(page.locator("#compare-second")).to_have_value(str(third.id))
        await page.click("#compare-go")
        # then they are not lined up, and the page says why
        refused = page.locator("#compare-refused")
        await expect(refused).to_contain_text(
            f"simulations {second} and {third.id} ran on different populations"
        )
        await expect(refused).to_contain_text("applications 2026-06-01 to 2026-06-10")
        await expect(refused).to_contain_text("applications 2026-06-03 to 2026-06-10")
        await expect(refused).to_contain_text("from differ")
        await expect(page.locator(".compare-side")).to_have_count(0)


async def test_two_strategy_drafts_side_by_side_with_both_contact_charts(
    db: str, page: Page
) -> None:
    # given four loans past due in June (tests.bpmn.simulation.arrears) and an analyst
    await analyst()
    await arrears.seed()
    with api_process(db) as base:
        await _open_table(page, base, "collections", "collection_strategy")
        await page.click("#simulate")
        await page.select_option("#simulate-decision", "collection_strategy")
        await page.select_option("#simulate-kind", "LOANS")
        # when: STANDARD calls every 3 days instead of 5, simulated
        await page.locator("#dmn-canvas td", has_text="P5D").nth(1).click()
        await page.keyboard.press("Control+A")
        await page.keyboard.type('"P3D"')
        await _simulate(page, "2026-06-01", 1)
        await expect(page.locator("#simulation-replay-summary")).to_contain_text(
            "draft 30 contact(s)"
        )
        # and also GENTLE's reminders every 2 days instead of 5, simulated on the same window
        await page.locator("#dmn-canvas td", has_text="P5D").first.click()
        await page.keyboard.press("Control+A")
        await page.keyboard.type('"P2D"')
        await _simulate(page, "2026-06-01", 2)
        first, second = [s async for s in Simulation.all().order_by("id")]
        await page.click("#compare-go")
        # then both replays are drawn side by side, with the difference of their contacts
        for key in ("first", "second"):
            await expect(page.locator(f"#compare-{key}-contacts canvas")).to_have_count(1)
            await expect(page.locator(f"#compare-{key}-heatmap canvas")).to_have_count(1)
        a = first.report["collections"]["new"]["contacts"]
        b = second.report["collections"]["new"]["contacts"]
        assert a == 30 and b != a
        delta = f"+{b - a}" if b > a else str(b - a)
        await expect(page.locator("#compare-difference")).to_contain_text(
            f"contacts with the draft {delta} ({a} → {b})"
        )
