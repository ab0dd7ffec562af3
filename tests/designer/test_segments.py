"""The Segments page in headless Chromium: an administrator narrows a saved segment, previews
who enters and who leaves (the hand-built customers of tests.api.test_segment_preview) and
saves; an analyst lists the segments and previews the figures only, and may not save."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from domain.profile.segments import FIELDS
from domain.user.models import User
from tests.api.conftest import password_hash
from tests.api.test_segment_preview import NARROWER, _customers
from tests.conftest import TODAY
from tests.designer.conftest import screenshot, sign_in
from tests.serving import api_process, ask, sign_in_token

SEGMENTS = "{ segments { name rules } }"
DEFINE = """mutation ($rules: JSON!) { defineSegment(input: {name: "champions", rules: $rules}) {
  __typename ... on UserError { message } } }"""
REDEFINE = """mutation ($rules: JSON!) { redefineSegment(input: {name: "valuable", rules: $rules}) {
  __typename ... on UserError { message } } }"""


async def _api(base: str, username: str, query: str, **variables: Any) -> dict[str, Any]:
    return await ask(base, await sign_in_token(base, username), query, **variables)


async def _sign_in(page: Page, base: str, username: str) -> None:
    await sign_in(page, f"{base}/segments", username)


async def _tick(page: Page, field: str, value: str, on: bool) -> None:
    await page.locator(f'#segment-rules input[data-field="{field}"][value="{value}"]').set_checked(
        on
    )


async def _totals(page: Page) -> list[str]:
    keys = ("members", "current", "entered", "left", "stayed")
    return [await page.locator(f'.total[data-total="{k}"] .value').inner_text() for k in keys]


async def _groups(page: Page) -> list[list[str]]:
    rows = page.locator("#preview-groups tbody tr.group")
    return [[c.strip() for c in await rows.nth(n).locator("td").all_inner_texts()]
            for n in range(await rows.count())]  # fmt: skip


async def _preview_narrower(page: Page) -> None:
    """The open draft of "valuable" made NARROWER (CHAMPIONS; LOW or MEDIUM) and previewed: 乙
    enters (CHAMPIONS, MEDIUM), 丙 leaves (LOYAL, LOW), 甲 stays (CHAMPIONS, LOW)."""
    await _tick(page, "rfm_segment", "LOYAL", False)
    await _tick(page, "risk_rating", "MEDIUM", True)
    await page.click("#preview")
    await expect(page.locator("#preview-groups tbody tr.group")).to_have_count(3)
    assert await _totals(page) == ["2", "2", "1", "1", "1"]
    assert await _groups(page) == [
        ["CHAMPIONS", "LOW", "0", "0", "1"],
        ["CHAMPIONS", "MEDIUM", "1", "0", "0"],
        ["LOYAL", "LOW", "0", "1", "0"],
    ]


async def test_an_administrator_previews_a_narrower_draft_and_saves_it(db: str, page: Page) -> None:
    # given the six customers of known labels and "valuable" (CHAMPIONS or LOYAL, LOW): 甲 and 丙
    await User.create(username="root", roles=["admin"], password_hash=password_hash())
    await _customers()
    with api_process(db) as base:
        await _sign_in(page, base, "root")
        item = page.locator('.segment-item[data-name="valuable"]')
        await expect(item.locator(".count")).to_have_text("2 member(s)")
        await expect(item.locator(".movement")).to_have_text(f"{TODAY}: +2 joined, −0 left")
        # the editor offers every value the server allows, and no other
        for field in ("rfm_segment", "risk_rating", "lifecycle_stage"):
            boxes = page.locator(f'#segment-rules input[type=checkbox][data-field="{field}"]')
            shown = frozenset([await b.get_attribute("value") or "" for b in await boxes.all()])
            assert shown == FIELDS[field], field
        await item.locator(".open").click()
        await expect(page.locator("#editor-title")).to_have_text("valuable")
        ticked = page.locator("#segment-rules input[type=checkbox]:checked")
        values = [await b.get_attribute("value") for b in await ticked.all()]
        assert values == ["CHAMPIONS", "LOYAL", "LOW"]  # SAVED
        # when the draft becomes NARROWER and is previewed: 乙 enters, 丙 leaves, 甲 stays
        await _preview_narrower(page)
        await expect(page.locator("#entering li")).to_have_count(1)
        await expect(page.locator("#entering li")).to_contain_text("乙")
        await expect(page.locator("#leaving li")).to_have_count(1)
        await expect(page.locator("#leaving li")).to_contain_text("丙")
        await expect(page.locator("#figures-only")).to_have_count(0)
        await expect(page.locator("#preview-chart canvas")).to_have_count(1)  # drawn by ECharts
        await page.locator("#preview-view").scroll_into_view_if_needed()
        await screenshot(page, "segments-preview.png")
        # when saved: the page says so, and the API has the new rules
        await page.click("#save")
        await expect(page.locator("#saved")).to_contain_text("at the next daily run")
        saved = await _api(base, "root", SEGMENTS)
        assert saved["segments"] == [{"name": "valuable", "rules": NARROWER}]
        # a new segment with no rules is refused, the field named
        await page.click("#new-segment")
        await page.fill("#segment-name", "empty")
        await page.click("#save")
        await expect(page.locator('#save-errors li[data-field="rules"]')).to_contain_text(
            "must map one or more of"
        )
        # and defined with rules, it is listed with no members until the next daily run
        await _tick(page, "lifecycle_stage", "GROWTH", True)
        await page.fill("#segment-name", "growing")
        await page.click("#save")
        await expect(page.locator("#saved")).to_contain_text("Saved “growing”")
        fresh = page.locator('.segment-item[data-name="growing"]')
        await expect(fresh.locator(".count")).to_have_text("0 member(s)")
        await expect(fresh.locator(".movement")).to_have_text("no daily run since it was defined")
        await expect(page.locator("#editor-title")).to_have_text("growing")


async def test_an_analyst_sees_the_figures_only_and_may_not_save(db: str, page: Page) -> None:
    await User.create(username="ana", roles=["analyst"], password_hash=password_hash())
    await _customers()
    with api_process(db) as base:
        await _sign_in(page, base, "ana")
        # analysts read aggregates: the saved segments and their sizes, not their members
        item = page.locator('.segment-item[data-name="valuable"]')
        await expect(item.locator(".count")).to_have_text("2 member(s)")
        await expect(page.locator("#segment-list-note")).to_have_text("")
        await item.locator(".open").click()
        await expect(page.locator("#editor-title")).to_have_text("valuable")
        # when the draft becomes NARROWER and is previewed: the administrator's figures
        await _preview_narrower(page)
        # and no people
        await expect(page.locator("#figures-only")).to_contain_text("figures only")
        await expect(page.locator("#entering")).to_have_count(0)
        # and saving is refused with the server's words
        await page.click("#save")
        refused = (await _api(base, "ana", REDEFINE, rules=NARROWER))["redefineSegment"]
        assert refused["__typename"] == "ForbiddenError"
        await expect(page.locator("#save-refused")).to_have_text(f"Not saved: {refused['message']}")
        # a new segment's draft is weighed against no members: 甲 and 乙 would enter
        await page.click("#new-segment")
        for field, values in NARROWER.items():
            for value in values:
                await _tick(page, field, value, True)
        await page.click("#preview")
        await expect(page.locator("#preview-groups tbody tr.group")).to_have_count(2)
        assert await _totals(page) == ["2", "0", "2", "0", "0"]
        await page.fill("#segment-name", "champions")
        await page.click("#save")
        refused = (await _api(base, "ana", DEFINE, rules=NARROWER))["defineSegment"]
        assert refused["__typename"] == "ForbiddenError"
        await expect(page.locator("#save-refused")).to_have_text(f"Not saved: {refused['message']}")
