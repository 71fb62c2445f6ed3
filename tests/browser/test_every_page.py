"""Every staff and supplier page on a 375 px phone, with JavaScript on and off: no horizontal
scrolling, zero console errors (no missing favicon, no blocked font), and with JavaScript on no
serious or critical axe-core violation. Screenshots land in test-artifacts/ for a person."""

from __future__ import annotations

import datetime as dt

from models.tables import Assessment, Certification, Contract, Risk, SubProcessor, Supplier
from portal.assessments import service
from portal.demo import load_demo
from portal.suppliers import service as suppliers
from tests.browser.conftest import ARTIFACTS, axe_violations, launch
from tests.codes import unused_code
from tests.integration.conftest import truncate_all

PHONE = {"width": 375, "height": 800}


def watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.text} {m.location.get('url', '')}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


async def sign_in(context, server, username, password, secret=None):
    page = await context.new_page()
    await page.goto(f"{server}/staff/login")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    if secret:
        await page.get_by_label("6-digit code").fill(unused_code(secret))
        await page.get_by_role("button", name="Continue").click()
    try:
        await page.get_by_role("heading", name="Where we stand").wait_for()
    except Exception as error:  # say where the sign-in stopped, not only that it did
        await page.screenshot(path=ARTIFACTS / f"sign-in-stopped-{username}.png", full_page=True)
        text = (await page.locator("main").inner_text())[:500] if await page.locator("main").count() else ""
        raise AssertionError(f"{username} did not reach the dashboard: at {page.url}: {text}") from error
    return page


async def check(page, server, path, *, js, status=200, problems, token=""):
    """Open one page and hold it to the rules; returns what went wrong, with the page named."""
    problems.clear()
    response = await page.goto(f"{server}{path}")
    found = []
    if response.status != status:
        found.append(f"{path}: status {response.status}")
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    if width > PHONE["width"]:
        found.append(f"{path}: {width} px wide at 375 px ({'JS on' if js else 'JS off'})")
    # A page answered with an error status logs that status itself; nothing else may.
    errors = [p for p in problems if not (status >= 400 and f"status of {status}" in p)]
    found += [f"{path}: console: {p}" for p in errors]
    if js:
        found += [f"{path}: axe: {v}" for v in await axe_violations(page)]
    name = (path.replace(token, "link") if token else path).strip("/").replace("/", "_") \
        .replace("?", "_") or "home"
    await page.screenshot(path=ARTIFACTS / f"phone-{'js' if js else 'nojs'}-{name[:60]}.png",
                          full_page=True)
    return found


async def test_every_page_fits_a_phone_without_console_errors(server, tmp_path):
    from playwright.async_api import async_playwright

    await truncate_all()
    demo = await load_demo(data_dir=tmp_path)
    supplier = await Supplier.select().where(Supplier.supplier_key == "DEMO-01").first()
    sid = supplier["id"]
    contract = await Contract.select(Contract.id).where(Contract.supplier == sid).first()
    certification = await Certification.select(Certification.id).first()
    risk = await Risk.select(Risk.id).first()
    subprocessor = await SubProcessor.select(SubProcessor.id).first()
    assessment = await Assessment.select(Assessment.id).where(Assessment.supplier == sid).first()
    contact_id = (await suppliers.list_contacts(sid))[0]["id"]
    _, token = await service.send(supplier_id=sid, contact_id=contact_id,
                                  questionnaire="ndg10-supplier-due-diligence",
                                  due_date=dt.date.today() + dt.timedelta(days=21))
    first_section = (await service.supplier_view(token))["questionnaire"]["sections"][0]["id"]

    staff_pages = ["/staff/", "/staff/suppliers", "/staff/suppliers?tier=critical&sort=-score",
                   f"/staff/suppliers/{sid}", "/staff/suppliers/new",
                   f"/staff/suppliers/{sid}/edit", f"/staff/suppliers/{sid}/archive",
                   f"/staff/suppliers/{sid}/contacts/new", f"/staff/suppliers/{sid}/contracts/new",
                   f"/staff/suppliers/{sid}/subprocessors/new",
                   f"/staff/contracts/{contract['id']}", f"/staff/contracts/{contract['id']}/edit",
                   "/staff/imports"]
    if assessment:
        staff_pages.append(f"/staff/assessments/{assessment['id']}")
    if subprocessor:
        staff_pages.append(f"/staff/subprocessors/{subprocessor['id']}/edit")
    admin_pages = ["/staff/people", "/staff/organisation/settings",
                   f"/staff/suppliers/{sid}/certifications/new"]
    if certification:
        admin_pages += [f"/staff/certifications/{certification['id']}/edit",
                        f"/staff/certifications/{certification['id']}/withdraw"]
    if risk:
        admin_pages += [f"/staff/risks/{risk['id']}/edit", f"/staff/risks/{risk['id']}/close"]
    public_pages = ["/", "/staff/login", f"/respond/{token}",
                    f"/respond/{token}/section/{first_section}", f"/respond/{token}/check",
                    "/supplier-information/accessibility", "/supplier-information/privacy",
                    "/supplier-information/contact"]
    missing = ["/no-such-page", f"/respond/{token}/no/such/page", "/respond/not-a-link"]

    ARTIFACTS.mkdir(exist_ok=True)
    found: list[str] = []
    async with async_playwright() as p:
        browser = await launch(p)
        for js in (False, True):
            context = await browser.new_context(java_script_enabled=js, viewport=PHONE)
            page = await context.new_page()
            problems = watch(page)
            for path in public_pages:
                found += await check(page, server, path, js=js, problems=problems, token=token)
            for path in missing:
                found += await check(page, server, path, js=js, status=404, problems=problems,
                                     token=token)
            await page.close()
            page = await sign_in(context, server, "demo-procurement",
                                 demo.credentials["demo-procurement"])
            problems = watch(page)
            for path in staff_pages:
                found += await check(page, server, path, js=js, problems=problems)
            found += await check(page, server, "/staff/no-such-page", js=js, status=404,
                                 problems=problems)
            # A refused inline form comes back on the supplier page, still phone-sized.
            before = await Assessment.count()
            await page.goto(f"{server}/staff/suppliers/{sid}")
            await page.get_by_text("Send a questionnaire", exact=True).click()
            await page.get_by_label("Day").fill("31")
            await page.get_by_label("Month").fill("2")
            await page.get_by_role("button", name="Send questionnaire").click()
            await page.get_by_text("Enter the due date as a real date").first.wait_for()
            assert await page.get_by_label("Day").input_value() == "31"
            assert await Assessment.count() == before
            if await page.evaluate("document.scrollingElement.scrollWidth") > PHONE["width"]:
                found.append("refused questionnaire form: wider than the phone")
            if js:
                found += [f"refused form: axe: {v}" for v in await axe_violations(page)]
            await page.screenshot(path=ARTIFACTS / f"phone-{'js' if js else 'nojs'}-send-error.png",
                                  full_page=True)
            # The back office's entry loads without a console error.
            if js:
                problems.clear()
                await page.goto(f"{server}/admin/")
                await page.wait_for_load_state("networkidle")
                found += [f"/admin/: console: {m}" for m in problems]
            await context.close()

            context = await browser.new_context(java_script_enabled=js, viewport=PHONE)
            page = await sign_in(context, server, "demo-admin", demo.credentials["demo-admin"],
                                 secret=demo.authenticator_keys["demo-admin"])
            problems = watch(page)
            for path in admin_pages:
                found += await check(page, server, path, js=js, problems=problems)
            await context.close()
        await browser.close()
    assert found == []


async def test_focus_is_yellow_with_dark_text_in_the_staff_header(server, tmp_path):
    """NHS.UK focus: yellow background, dark text (white on yellow is about 1.2:1)."""
    from playwright.async_api import async_playwright

    await truncate_all()
    demo = await load_demo(data_dir=tmp_path)
    async with async_playwright() as p:
        browser = await launch(p)
        context = await browser.new_context(viewport={"width": 1000, "height": 800})
        page = await sign_in(context, server, "demo-procurement",
                             demo.credentials["demo-procurement"])
        for selector in (".nhsuk-header__service-name", ".nhsuk-header__navigation-link",
                         ".nhsuk-header__account-button", ".nhsuk-footer__list-item-link"):
            await page.locator(selector).first.focus()
            colours = await page.locator(selector).first.evaluate(
                "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]")
            assert colours == ["rgb(33, 43, 50)", "rgb(255, 235, 59)"], (selector, colours)
        await browser.close()
