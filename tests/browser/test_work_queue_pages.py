"""The work queue, the review page's answer filter and the supplier list's sorting in Chromium
at phone width (375 px), with JavaScript off and on: axe-core clean, zero console errors, no
sideways scrolling, and photographed for a person."""

from __future__ import annotations

import pytest

from models.tables import Organisation
from tests import factories
from tests.browser.conftest import ARTIFACTS, axe_violations, launch
from tests.integration.conftest import staff_session, truncate_all


async def a_submission() -> dict:
    await Organisation.insert(Organisation(name="Royal County Hospital NHS Trust"))
    session = await staff_session("reviewer", username="rev")
    for name, days in (("Meridian Health Records", 400), ("Northgate Pathology", 60)):
        supplier = await factories.supplier(name=name)
        await factories.contract(supplier["id"], end_date=factories.dt.date.today()
                                 + factories.dt.timedelta(days=days))
        contact = await factories.contact(supplier["id"])
    await factories.submitted_assessment(supplier["id"], contact["id"])
    return {"session": session}


async def narrow(page) -> bool:
    return await page.evaluate("document.documentElement.scrollWidth <= 375")


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
async def test_queue_review_filter_and_sorting_at_phone_width(server, javascript):
    from playwright.async_api import async_playwright

    await truncate_all()
    made = await a_submission()
    ARTIFACTS.mkdir(exist_ok=True)
    suffix = "js" if javascript else "nojs"
    async with async_playwright() as p:
        browser = await launch(p)
        context = await browser.new_context(viewport={"width": 375, "height": 800},
                                            java_script_enabled=javascript)
        await context.add_cookies([{"name": "id", "value": made["session"], "url": server}])
        page = await context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        await page.goto(f"{server}/staff/")
        await page.get_by_role("link", name="My queue").click()
        await page.get_by_role("heading", name="My queue").wait_for()
        assert "Waiting on me (1)" in await page.content()
        assert await narrow(page)
        assert await axe_violations(page) == []
        await page.screenshot(path=ARTIFACTS / f"staff-queue-375-{suffix}.png", full_page=True)

        await page.get_by_role("link", name="Northgate Pathology").click()
        await page.get_by_role("link", name="Only answers that don't meet the requirement").click()
        await page.wait_for_url("**show=unmet**")
        current = page.locator("a[aria-current=page]", has_text="don't meet")
        assert await current.count() == 1
        cards = await page.locator(".portal-answer").count()
        assert 0 < cards < 20
        assert await page.locator(".nhsuk-tag--orange").count() == cards
        assert await narrow(page)
        assert await axe_violations(page) == []
        await page.screenshot(path=ARTIFACTS / f"staff-review-unmet-375-{suffix}.png",
                              full_page=False)
        await page.get_by_role("link", name="Accept all compliant answers").click()
        await page.get_by_role("heading", name="compliant answers from").wait_for()
        assert await axe_violations(page) == []

        await page.goto(f"{server}/staff/suppliers")
        # The header sits in the table's scrolling container, past the edge of a phone
        # screen: follow the link as a keyboard or screen reader user would.
        sort_link = page.get_by_role("link", name="Next contract end")
        await page.goto(server + await sort_link.get_attribute("href"))
        await page.wait_for_url("**sort=contract_end**")
        header = page.locator("th[aria-sort=ascending]")
        assert "Next contract end" in await header.inner_text()
        names = await page.locator("#supplier-table tbody a").all_inner_texts()
        assert names == ["Northgate Pathology", "Meridian Health Records"]
        await page.goto(server + await sort_link.get_attribute("href"))
        await page.wait_for_url("**sort=-contract_end**")
        assert await page.locator("th[aria-sort=descending]").count() == 1
        assert await narrow(page)
        assert await axe_violations(page) == []
        await page.screenshot(path=ARTIFACTS / f"staff-suppliers-sorted-375-{suffix}.png",
                              full_page=True)
        assert errors == []
        await browser.close()
