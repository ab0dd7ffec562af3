"""Two whole-process drafts side by side in the designer: an analyst runs a faster risk_lane
draft, then a stricter one, through the whole credit approval and compares the two kept
simulations figure by figure (each beside its version in force, then the second against the
first); a table simulation is not lined up with a whole-process one."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from playwright.async_api import Locator, Page, expect

from tests.bpmn.simulation import history
from tests.designer.conftest import analyst, edit_cell, screenshot
from tests.designer.test_designer import _open_table
from tests.designer.test_simulate_compare import _simulate
from tests.serving import api_process, ask, sign_in_token

REPORT = """query ($id: Int!) { simulation(id: $id) { id population
  process { old { ...side } new { ...side } } } }
fragment side on ProcessSideFigures { cases approvalRate approvedAmount noHuman noHumanShare
  noHumanDecision noHumanDecisionShare tasksPerRole { role tasks } }"""


async def _reports(base: str, *ids: int) -> list[dict[str, Any]]:
    """The simulations as the API answers them to the analyst."""
    token = await sign_in_token(base, "ana")
    return [(await ask(base, token, REPORT, id=pk))["simulation"] for pk in ids]


def _signed(value: Decimal) -> str:
    return f"+{value:,.2f}" if value > 0 else f"{value:,.2f}"


def _percent(share: str) -> str:
    return f"{Decimal(share) * 100:,.2f} %"


def _points(old: str, new: str) -> str:
    return f"{_signed((Decimal(new) - Decimal(old)) * 100)} pts"


def _figures(old: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    """Each figure's row as the page should show it: one side, the other, their difference
    (rates in percentage points, amounts to the cent)."""

    def shared(side: dict[str, Any], count: str) -> str:
        return f"{_percent(side[count + 'Share'])} ({side[count]} of {side['cases']})"

    return {
        "approval-rate": (
            _percent(old["approvalRate"]), _percent(new["approvalRate"]),
            _points(old["approvalRate"], new["approvalRate"]),
        ),
        "approved-amount": (
            f"{Decimal(old['approvedAmount']):,.2f}", f"{Decimal(new['approvedAmount']):,.2f}",
            _signed(Decimal(new["approvedAmount"]) - Decimal(old["approvedAmount"])),
        ),
        "no-human": (
            shared(old, "noHuman"), shared(new, "noHuman"),
            _points(old["noHumanShare"], new["noHumanShare"]),
        ),
        "no-human-decision": (
            shared(old, "noHumanDecision"), shared(new, "noHumanDecision"),
            _points(old["noHumanDecisionShare"], new["noHumanDecisionShare"]),
        ),
    }  # fmt: skip


async def _rows_show(table: Locator, rows: dict[str, tuple[str, str, str]], cells: str) -> None:
    first, second, difference = cells.split()
    for key, (x, y, d) in rows.items():
        row = table.locator(f'tr[data-figure="{key}"]')
        await expect(row.locator(f".{first}")).to_have_text(x)
        await expect(row.locator(f".{second}")).to_have_text(y)
        await expect(row.locator(f".{difference}")).to_have_text(d)


async def _drawn(page: Page, chart: str) -> None:
    canvas = page.locator(f"#{chart} canvas")
    await expect(canvas).to_have_count(1)
    box = await canvas.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 200, (chart, box)


async def test_two_whole_process_drafts_side_by_side(db: str, page: Page) -> None:
    # given history.py's eight applications of 1-10 June 2026 and an analyst
    await analyst()
    await history.seed()
    with api_process(db) as base:
        await _open_table(page, base, "credit_approval", "risk_lane")
        await page.click("#simulate")
        await page.select_option("#simulate-decision", "risk_lane")
        await page.select_option("#simulate-scope", "PROCESS")
        # when the first draft sends up to 80,000 FAST (was 50,000), run through the whole process
        await edit_cell(page, "<= 50000", "<= 80000")
        first = (await _simulate(page, "2026-06-01", 1)).id
        # and the second also declines below 600 (was 550), on the same window
        await edit_cell(page, "< 550", "< 600")
        second = (await _simulate(page, "2026-06-01", 2)).id
        await page.click("#compare-go")
        await expect(page.locator(".compare-side")).to_have_count(2)

        # then the page shows what the API answers of both simulations
        a, b = await _reports(base, first, second)
        assert a["population"]["scope"] == b["population"]["scope"] == "PROCESS"
        # (the stricter draft approves fewer, and for less, than the first: a difference to show)
        assert a["process"]["new"]["approvalRate"] != b["process"]["new"]["approvalRate"]
        assert a["process"]["new"]["approvedAmount"] != b["process"]["new"]["approvedAmount"]
        # each draft beside its own version in force, in its column
        for key, report in (("first", a), ("second", b)):
            process = report["process"]
            table = page.locator(f"#compare-{key}-process-figures")
            await _rows_show(table, _figures(process["old"], process["new"]), "old new difference")
            await _drawn(page, f"compare-{key}-roles")
        # and the second draft against the first: rates in points, the amount to the cent
        drafts = page.locator("#compare-process-figures")
        await expect(drafts.locator("thead")).to_contain_text(f"#{second} against #{first}")
        await _rows_show(
            drafts, _figures(a["process"]["new"], b["process"]["new"]), "first second difference"
        )
        # with the human tasks per role of both drafts, and their workload in one chart
        tasks = [
            {r["role"]: r["tasks"] for r in s["process"]["new"]["tasksPerRole"]} for s in (a, b)
        ]
        roles = sorted(set(tasks[0]) | set(tasks[1]))
        assert roles and tasks[0] != tasks[1], tasks
        await expect(page.locator(".compare-role")).to_have_count(len(roles))
        for role in roles:
            x, y = tasks[0].get(role, 0), tasks[1].get(role, 0)
            row = page.locator(f'.compare-role[data-role="{role}"]')
            await expect(row.locator(".first")).to_have_text(str(x))
            await expect(row.locator(".second")).to_have_text(str(y))
            await expect(row.locator(".difference")).to_have_text(
                f"+{y - x}" if y > x else str(y - x)
            )
        await _drawn(page, "compare-roles")
        # (the tables end at the foot of the screen, where the designer shows the Simulate panel)
        await page.locator("#compare-process-roles").evaluate(
            "e => e.scrollIntoView({block: 'end'})"
        )
        await screenshot(page, "designer-process-compare.png")

        # when the second draft is simulated again, the table alone, and lined up with the second
        await page.select_option("#simulate-scope", "TABLE")
        third = (await _simulate(page, "2026-06-01", 3)).id
        await expect(page.locator("#compare-first")).to_have_value(str(second))
        await expect(page.locator("#compare-second")).to_have_value(str(third))
        await page.click("#compare-go")
        # then they are not lined up, and the page says the scope differs
        refused = page.locator("#compare-refused")
        await expect(refused).to_contain_text(
            f"simulation {second} ran the whole process (scope PROCESS) and simulation {third}"
            " ran the decision table alone (scope TABLE): scope differs, so"
        )
        await expect(page.locator(".compare-side")).to_have_count(0)
        await expect(page.locator("#compare-process")).to_have_count(0)
