"""FEEL in the designer: each file's language on its tab, a switch to declare it, FEEL errors
with their position, and a Camunda 8 diagram with a FEEL table deployed as drawn."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from domain.process.models import ProcessDefinition
from tests.bpmn.feel_processes.diagrams import CAMUNDA8_BPMN, LANE_DMN
from tests.designer.conftest import screenshot
from tests.designer.test_designer import _open, _sign_in, _world
from tests.serving import api_process


async def test_a_camunda_8_diagram_and_its_feel_table_deploy_as_drawn(
    db: str, page: Page, tmp_path: Path
) -> None:
    await _world()
    bpmn_file, dmn_file = tmp_path / "loan_check.bpmn", tmp_path / "lane.dmn"
    bpmn_file.write_text(CAMUNDA8_BPMN)
    dmn_file.write_text(LANE_DMN.replace("<text>[1..30]</text>", "<text>[1..</text>"))
    with api_process(db) as base:
        await _sign_in(page, base, "ana")
        await page.set_input_files("#import-file", str(dmn_file))
        await expect(page.locator("#status")).to_contain_text("lane.dmn")
        await page.set_input_files("#import-file", str(bpmn_file))
        await expect(page.locator("#status")).to_contain_text("loan_check.bpmn")
        await expect(page.locator('.tab[data-tab="bpmn"]')).to_have_text("loan_check.bpmn · FEEL")
        await expect(page.locator('.tab[data-tab="dmn:lane"]')).to_have_text("lane.dmn · FEEL")
        await expect(page.locator("#language")).to_have_value("FEEL")

        await page.click("#check")
        problem = page.locator('.problem[data-element-id="r_early_1"]')
        await expect(problem).to_contain_text("r_early_1 (line 1, column")
        await expect(problem).to_contain_text("FEEL")
        await screenshot(page, "designer-feel-problem.png")

        await page.click('.tab[data-tab="dmn:lane"]')
        cell = page.locator("#dmn-canvas td", has_text="[1..").first
        await cell.click()
        await page.keyboard.press("Control+A")
        await page.keyboard.type("[1..30]")
        await page.click('.tab[data-tab="bpmn"]')
        await page.click("#deploy")
        await expect(page.locator("#deployed")).to_have_text("Deployed loan_check version 1")
    deployed = await ProcessDefinition.get(process_id="loan_check")
    assert any("[1..30]" in xml for xml in deployed.dmn_xmls)
    assert "zeebe:calledDecision" in deployed.bpmn_xml


async def test_switching_a_table_to_feel_declares_it_and_checks_it_as_feel(
    db: str, page: Page
) -> None:
    await _world()
    with api_process(db) as base:
        await _sign_in(page, base, "ana")
        await _open(page, "credit_approval")
        risk_lane = page.locator('.tab[data-tab="dmn:risk_lane"]')
        await expect(risk_lane).to_have_text("risk_lane.dmn · lendgraph")
        await risk_lane.click()
        cell = page.locator("#dmn-canvas td", has_text="<= 50000").first
        await cell.click()
        await page.keyboard.press("Control+A")
        await page.keyboard.type("? % 2 == 0")  # lendgraph reads %; FEEL has no such operator
        await page.click("#check")
        await expect(page.locator("#status")).to_have_text("No problems: ready to deploy")
        await page.select_option("#language", "FEEL")
        await expect(risk_lane).to_have_text("risk_lane.dmn · FEEL")
        problem = page.locator(".problem")
        await expect(problem).to_have_count(1)
        await expect(problem).to_contain_text("(line 1, column 3): DMN input entry: FEEL")
        await page.select_option("#language", "LENDGRAPH")
        await expect(risk_lane).to_have_text("risk_lane.dmn · lendgraph")
        await expect(page.locator("#status")).to_have_text("No problems: ready to deploy")
