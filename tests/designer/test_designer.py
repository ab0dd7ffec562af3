"""The designer in headless Chromium: sign in, edit a table, check, deploy, see the new path."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from bpmn.deployments import BUNDLED, deploy_bundled
from domain.application.models import Application, ApplicationStatus
from domain.credit.models import CreditReport
from domain.process.models import ProcessDefinition, ProcessInstance
from domain.user.models import User
from tests import factories
from tests.api.conftest import password_hash
from tests.designer.conftest import screenshot, sign_in
from tests.serving import api_process, ask, sign_in_token


async def _sign_in(page: Page, base: str, username: str) -> None:
    await sign_in(page, f"{base}/designer/", username)
    # the designer opens the first deployed process after signing in: wait for it
    await expect(page.locator("#status")).to_contain_text("Opened")


async def _open(page: Page, process_id: str) -> None:
    await page.click(f'.process-item[data-process-id="{process_id}"] .open')
    await expect(page.locator("#open-title")).to_have_text(process_id)
    await expect(page.locator(f'#bpmn-canvas g[data-element-id="{process_id}"], '
                              '#bpmn-canvas .djs-element').first).to_be_visible()  # fmt: skip


async def _open_table(page: Page, base: str, process_id: str, table: str) -> None:
    """Signed in as the analyst "ana", ``process_id`` open on the tab of its table ``table``."""
    await _sign_in(page, base, "ana")
    await _open(page, process_id)
    await page.click(f'.tab[data-tab="dmn:{table}"]')


async def _submit(base: str, customer_id: int, amount: str) -> None:
    from api.relay import to_global_id

    submitted = await ask(base, await sign_in_token(base, "root"), """
      mutation ($id: ID!, $amount: Decimal!) { submitApplication(input:
        {customerId: $id, productCode: "PL", amount: $amount, termMonths: 24, channel: APP})
        { __typename } }""", id=to_global_id("Customer", customer_id), amount=amount)  # fmt: skip
    assert submitted["submitApplication"]["__typename"] == "SubmitApplicationSuccess"


async def _world() -> int:
    for name, roles in [("root", ["admin"]), ("ana", ["analyst"]), ("ro", ["risk_officer"])]:
        await User.create(username=name, roles=roles, password_hash=password_hash())
    await factories.product("PL")
    owner = await factories.customer(monthly_income=Decimal("30000"), id_type="OTHER",
                                     id_number="D-1")  # fmt: skip
    await CreditReport.create(customer_id=owner.id, bureau="TEST", score=780,
                              total_debt=Decimal("36000"), pulled_at=datetime.now(UTC))  # fmt: skip
    await deploy_bundled()
    return owner.id


async def test_an_analyst_raises_the_fast_lane_limit_and_new_applications_follow_it(
    db: str, page: Page
) -> None:
    customer = await _world()
    with api_process(db) as base:
        await _sign_in(page, base, "ana")
        await _open(page, "credit_approval")
        await screenshot(page, "designer-process.png")

        await page.click('.tab[data-tab="dmn:risk_lane"]')
        cell = page.locator("#dmn-canvas td", has_text="<= 50000").first
        await expect(cell).to_be_visible()
        await screenshot(page, "designer-decision-table.png")
        await cell.click()
        await page.keyboard.press("Control+A")
        await page.keyboard.type("<= 150000")
        await page.click('.tab[data-tab="bpmn"]')

        await page.click("#check")
        await expect(page.locator("#status")).to_have_text("No problems: ready to deploy")
        await page.click("#deploy")
        await expect(page.locator("#deployed")).to_have_text("Deployed credit_approval version 2")
        await expect(page.locator("#migration")).to_contain_text("0 instance(s) still run")
        await screenshot(page, "designer-deployed.png")

        await _submit(base, customer, "100000.00")  # above the old FAST limit, below the new
    latest = await ProcessDefinition.get(process_id="credit_approval", version=2)
    assert "&lt;= 150000" in latest.dmn_xmls[0] or "<= 150000" in latest.dmn_xmls[0]
    instance = await ProcessInstance.get(definition_id=latest.id)
    assert instance.state is not None and instance.state["data"]["lane"] == "FAST"
    application = await Application.get(customer_id=customer)
    assert application.status == ApplicationStatus.CONTRACTED  # approved with no human


async def test_a_broken_condition_is_shown_on_its_flow_and_deploy_is_refused(
    db: str, page: Page
) -> None:
    await _world()
    with api_process(db) as base:
        await _sign_in(page, base, "ana")
        await _open(page, "credit_approval")
        await page.evaluate("""() => { const m = window.lendgraph.bpmn;
            m.get('selection').select(m.get('elementRegistry').get('flow_lane_fast')); }""")
        condition = page.locator('#properties [data-prop="condition"]')
        await expect(condition).to_have_value('lane == "FAST"')
        await condition.fill('lane == "FAST" and')
        await condition.blur()
        await page.click("#check")
        problem = page.locator('.problem[data-element-id="flow_lane_fast"]')
        await expect(problem).to_contain_text("syntax error")
        badge = page.locator('.lg-problem-badge[data-element-id="flow_lane_fast"]')
        await expect(badge).to_be_visible()
        marked = page.locator('#bpmn-canvas g.djs-element.lg-problem[data-element-id="flow_lane_fast"]')
        await expect(marked).to_have_count(1)
        await screenshot(page, "designer-problem.png")
        await page.click("#deploy")
        await expect(page.locator("#status")).to_contain_text("deploy is refused")
    assert await ProcessDefinition.filter(process_id="credit_approval").count() == 1


async def test_someone_without_the_design_role_cannot_deploy(db: str, page: Page) -> None:
    await _world()
    with api_process(db) as base:
        await _sign_in(page, base, "ro")
        await _open(page, "credit_approval")
        deploy = page.locator("#deploy")
        await expect(deploy).to_be_disabled()
        await expect(deploy).to_have_attribute("title", "Only analysts and administrators deploy")


async def test_a_dry_run_highlights_the_path_without_storing_anything(db: str, page: Page) -> None:
    await _world()
    with api_process(db) as base:
        await _sign_in(page, base, "ana")
        await _open(page, "credit_approval")
        await page.click("#dry-run")
        await page.fill("#dry-run-answers", '{"sign_contract": {}}')
        await page.click("#dry-run-go")
        await expect(page.locator("#dry-run-status")).to_have_text("COMPLETED")
        await expect(page.locator("#dry-run-path")).to_contain_text("auto_approve")
        path = page.locator('#bpmn-canvas g.djs-element.lg-path[data-element-id="auto_approve"]')
        await expect(path).to_have_count(1)
        await screenshot(page, "designer-dry-run.png")
    assert await ProcessInstance.all().count() == 0


async def test_diagrams_from_other_tools_open_and_get_clear_reasons(
    db: str, page: Page, samples_dir: Path
) -> None:
    await _world()
    samples = samples_dir
    files = sorted((samples / "foreign").glob("*.bpmn")) + sorted((samples / "spiff").glob("*.bpmn"))
    if not files:
        pytest.skip(f"no interoperability samples in {samples}")
    with api_process(db) as base:
        await _sign_in(page, base, "ana")
        seen: dict[str, str] = {}
        for path in files:
            await page.set_input_files("#import-file", str(path))
            await expect(page.locator("#status")).to_contain_text(path.name)
            await page.click("#check")
            await expect(page.locator("#status")).not_to_contain_text(path.name)
            seen[path.name] = await page.locator("#status").inner_text()
        camunda = seen["camunda-invoiceApproval.bpmn"]
        assert "problem" in camunda  # Camunda-only constructs get reasons
        reasons = await page.locator(".problem").all_inner_texts()
        assert all(":" in r for r in reasons)
        assert any(text == "No problems: ready to deploy" for text in seen.values()), seen
    assert Path(BUNDLED).exists()
