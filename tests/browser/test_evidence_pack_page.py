"""The evidence pack screen in Chromium: an IG lead approves the current version, at 375 px
and with JavaScript off; accessible; no console errors."""

from __future__ import annotations

from models.tables import PackApproval
from portal.core import staff
from portal.demo import load_demo
from tests.browser.conftest import ARTIFACTS, axe_violations, launch
from tests.codes import unused_code
from tests.integration.conftest import truncate_all


async def test_ig_lead_approves_the_pack_on_a_phone_without_javascript(server, tmp_path):
    from playwright.async_api import async_playwright

    await truncate_all()
    await load_demo(data_dir=tmp_path)
    await staff.create_user(username="iglead", password="a sensible long password",
                            role="reviewer")
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await launch(p)
        context = await browser.new_context(viewport={"width": 375, "height": 800},
                                            java_script_enabled=False)
        page = await context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        await page.goto(f"{server}/staff/evidence-pack")
        await page.get_by_label("Username").fill("iglead")
        await page.get_by_label("Password").fill("a sensible long password")
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("heading", name="Set up your authenticator").wait_for()
        secret = (await page.locator("#totp-secret").inner_text()).strip()
        await page.get_by_label("6-digit code").fill(unused_code(secret))
        await page.get_by_role("button", name="Continue").click()
        await page.get_by_role("heading", name="DSPT evidence pack").wait_for()
        await page.get_by_role("button", name="Approve version 1").click()
        await page.get_by_text("Choose the role you approve as").first.wait_for()
        await page.screenshot(path=ARTIFACTS / "staff-evidence-pack-error.png", full_page=True)
        await page.get_by_label("You approve as").select_option("ig_lead")
        await page.get_by_label("Your name, as it will appear").fill("Priya Shah")
        await page.get_by_role("button", name="Approve version 1").click()
        await page.get_by_text("Approval recorded.").wait_for()
        await page.screenshot(path=ARTIFACTS / "staff-evidence-pack.png", full_page=True)
        # axe and the width are measured with scripts on, in the same session
        cookies = await context.cookies()
        scripted = await browser.new_context(viewport={"width": 375, "height": 800})
        await scripted.add_cookies(cookies)
        page = await scripted.new_page()
        # (the refused form above answered 400 on purpose: Chromium logs that as an error)
        errors.clear()
        page.on("console", lambda m: errors.append(f"{m.text} {m.location.get('url')}")
                if m.type == "error" else None)
        await page.goto(f"{server}/staff/evidence-pack")
        await page.get_by_text("Priya Shah (IG lead)").wait_for()
        assert await axe_violations(page) == []
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, width
        assert errors == []
        await browser.close()
    assert await PackApproval.count() == 1
