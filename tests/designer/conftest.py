"""Real headless Chromium (Debian's) against a real lendgraph process serving the designer."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from api.app import DESIGNER

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SHOTS = Path(tempfile.gettempdir()) / "lendgraph-screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _missing() -> str | None:
    if CHROMIUM is None:
        return "Chromium is not installed (make browser-deps)"
    if not (DESIGNER / "index.html").exists():
        return "the designer is not built (make designer)"
    return None


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    reason = _missing()
    if reason:
        if os.environ.get("LENDGRAPH_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        await chromium.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1500, "height": 900})
    tab = await context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    await context.close()
    assert errors == [], f"errors in the page: {errors}"


async def sign_in(page: Page, url: str, username: str) -> None:
    """Open a page of the designer's build at `url` and sign in on its form as `username`."""
    from tests.api.conftest import PASSWORD

    await page.goto(url)
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("#login-button")
    await expect(page.locator("#user-badge")).to_contain_text(username)


async def edit_cell(page: Page, was: str, now: str) -> None:
    """Replace the first cell of the open table that shows `was` with `now`."""
    await page.locator("#dmn-canvas td", has_text=was).first.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.type(now)


async def screenshot(page: Page, name: str) -> None:
    """A picture of a key screen: into docs/ for the README with LENDGRAPH_SCREENSHOTS=1
    (`make screenshots`), else next to the test run, so tests leave the checkout clean."""
    folder = DOCS if os.environ.get("LENDGRAPH_SCREENSHOTS") == "1" else SHOTS
    folder.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(folder / name))
    assert (folder / name).stat().st_size > 10_000  # a rendered page, not a blank one


async def analyst(*roles: str) -> None:
    """The analyst "ana" (with any further ``roles``), over the shipped processes."""
    from bpmn.deployments import deploy_bundled
    from domain.user.models import User
    from tests.api.conftest import password_hash

    await User.create(username="ana", roles=["analyst", *roles], password_hash=password_hash())
    await deploy_bundled()
