"""The dashboard in headless Chromium: default boards, drill-down, a saved board, scope."""

from __future__ import annotations

from datetime import date

from playwright.async_api import Page, expect

from bpmn import daily
from bpmn.deployments import deploy_bundled
from domain.loan.models import Loan, LoanStatus
from domain.loan.service import refresh_delinquency
from domain.reports import snapshots
from domain.seed.generator import seed
from domain.user.models import User
from tests import factories
from tests.api.conftest import PASSWORD, password_hash
from tests.conftest import TODAY
from tests.designer.conftest import screenshot, sign_in
from tests.serving import api_process


async def _world() -> None:
    await User.create(username="root", roles=["admin"], password_hash=password_hash())
    manager = await User.create(username="am", roles=["account_manager"],
                                password_hash=password_hash())  # fmt: skip
    for n in range(6):
        owner = await factories.customer(f"客户{n}", phone=f"1380000{n:04d}",
                                         branch="BJ01" if n % 2 else "SH01",
                                         account_manager_id=manager.id if n < 2 else None)  # fmt: skip
        # disbursed further back for later customers: they are further past due
        await factories.loan(owner, principal=f"{10000 + 1000 * n}.00",
                             disbursed_on=date(2026, 5 - n % 5, 20))  # fmt: skip
    await refresh_delinquency(TODAY)
    await snapshots.ensure(TODAY)


async def _sign_in(page: Page, base: str, username: str) -> list[str]:
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    await sign_in(page, f"{base}/dashboard", username)
    return console


async def _settled(page: Page) -> None:
    """Every tile has drawn (or said it has nothing): none loading, none failed."""
    tiles = page.locator("#board .tile")
    await expect(tiles.first).to_be_visible()
    await expect(page.locator('#board .tile[data-state="loading"]')).to_have_count(0)
    await expect(page.locator('#board .tile[data-state="error"]')).to_have_count(0)


async def _seeded() -> None:
    """The demo portfolio, profiled by a daily run: a board with something on every tile."""
    await seed(customers=300, demo_password=PASSWORD, business_date=TODAY)
    await deploy_bundled()
    report = await daily.run(TODAY)
    assert report.done, report.failed


async def test_the_default_board_drills_down_and_a_saved_board_reloads(page: Page, db: str) -> None:
    await _seeded()
    active = await Loan.filter(status=LoanStatus.ACTIVE).count()
    with api_process(db) as base:
        console = await _sign_in(page, base, "admin")
        await expect(page.locator("#board-select")).to_contain_text("Morning board")
        await _settled(page)
        assert await page.locator("#board .tile canvas").count() >= 5  # drawn by ECharts
        outstanding = page.locator('#board .tile[data-measure="portfolio.outstanding"]').first
        assert await outstanding.get_attribute("data-total") == str(active)  # agrees with the data
        await screenshot(page, "dashboard-board.png")

        # a tile of my own: customers by risk rating as a table, then drill into one row
        await page.click("#add-tile")
        await page.select_option("#t-measure", "portfolio.outstanding")
        await page.select_option("#t-dimension", "bucket")
        await page.select_option("#t-chart", "table")
        await page.fill("#t-title", "Buckets as a table")
        await page.click("#t-add")
        table = page.locator('#board .tile:has(h3:text("Buckets as a table"))')
        await expect(table).to_have_attribute("data-state", "ready")
        m0 = await Loan.filter(status=LoanStatus.ACTIVE, bucket="M0").count()
        await table.locator('tr[data-key="M0"]').click()
        await expect(page.locator("#drill")).to_be_visible()
        await expect(page.locator("#drill")).to_have_attribute("data-count", str(m0))
        await expect(page.locator("#drill-table tbody tr")).to_have_count(min(m0, 50))
        await screenshot(page, "dashboard-drill.png")
        await page.click("#drill-close")

        page.once("dialog", lambda d: d.accept("Buckets"))
        await page.click("#save-board-as")
        await expect(page.locator("#status")).to_contain_text('Saved "Buckets"')
        await page.reload()
        await page.select_option("#board-select", label="Buckets")
        await expect(page.locator('#board .tile:has(h3:text("Buckets as a table"))')).to_have_attribute(
            "data-state", "ready"
        )
        assert console == [], console


async def test_an_account_manager_sees_only_their_customers(page: Page, db: str) -> None:
    await _world()
    with api_process(db) as base:
        console = await _sign_in(page, base, "am")
        await expect(page.locator("#board-select")).to_contain_text("My customers")
        await _settled(page)
        tile = page.locator('#board .tile[data-measure="portfolio.outstanding"]').first
        assert await tile.get_attribute("data-total") == "2"  # two of the six loans are theirs
        assert console == [], console
