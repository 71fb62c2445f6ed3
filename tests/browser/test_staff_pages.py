"""The staff workspace in Chromium with the demo portfolio: dashboard, suppliers, a supplier,
a contract, imports. Each page is checked with axe-core and photographed for a person."""

from __future__ import annotations

from models.tables import Assessment, Supplier
from portal.demo import load_demo
from tests.browser.conftest import ARTIFACTS, axe_violations, launch
from tests.codes import unused_code
from tests.integration.conftest import truncate_all


async def signed_in_page(browser, server, username, password):
    page = await browser.new_page(viewport={"width": 1200, "height": 1000})
    await page.goto(f"{server}/staff/")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("heading", name="Where we stand").wait_for()
    return page


async def test_procurement_walks_the_workspace(server, tmp_path):
    from playwright.async_api import async_playwright

    await truncate_all()
    demo = await load_demo(data_dir=tmp_path)
    password = demo.credentials["demo-procurement"]
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await launch(p)
        page = await signed_in_page(browser, server, "demo-procurement", password)
        content = await page.content()
        assert "Suppliers by rating" in content and "DSPT 2026-27 readiness" in content
        assert await page.locator("svg[role=img]").count() == 2
        await page.screenshot(path=ARTIFACTS / "staff-dashboard.png", full_page=True)
        assert await axe_violations(page) == []

        await page.get_by_role("link", name="Suppliers", exact=True).click()
        await page.get_by_label("Rating").select_option("red")
        await page.get_by_role("button", name="Apply").click()
        await page.wait_for_url("**rating=red**")
        assert await axe_violations(page) == []
        await page.screenshot(path=ARTIFACTS / "staff-suppliers.png", full_page=True)

        await page.goto(f"{server}/staff/suppliers")
        await page.get_by_role("link", name="Meridian Health Records").click()
        await page.get_by_role("heading", name="Meridian Health Records").wait_for()
        assert "Standard 10 score" in await page.content()
        await page.screenshot(path=ARTIFACTS / "staff-supplier.png", full_page=True)
        assert await axe_violations(page) == []
        before = await Assessment.count()
        await page.get_by_text("Send a questionnaire", exact=True).click()
        await page.get_by_label("Questionnaire").select_option("uk-gdpr-processor")
        await page.get_by_role("button", name="Send questionnaire").click()
        await page.get_by_role("heading", name="Questionnaire sent").wait_for()
        assert await Assessment.count() == before + 1
        # The link is shown once, ready to copy; the portal keeps only its hash.
        link = await page.get_by_label("The supplier's link").input_value()
        assert "/respond/" in link
        assert await axe_violations(page) == []
        await page.get_by_role("link", name="return to Meridian Health Records").click()
        await page.get_by_role("heading", name="Meridian Health Records").wait_for()
        assert link not in await page.content()

        await page.locator("a[href^='/staff/contracts/']").first.click()
        await page.get_by_role("heading", name="Clause checklist").wait_for()
        await page.screenshot(path=ARTIFACTS / "staff-contract.png", full_page=False)
        assert await axe_violations(page) == []

        await page.goto(f"{server}/staff/imports")
        assert await axe_violations(page) == []
        await browser.close()


async def test_auditor_sees_no_actions(server, tmp_path):
    from playwright.async_api import async_playwright

    await truncate_all()
    demo = await load_demo(data_dir=tmp_path)
    supplier = await Supplier.select(Supplier.id).where(Supplier.supplier_key == "DEMO-01").first()
    async with async_playwright() as p:
        browser = await launch(p)
        page = await signed_in_page(browser, server, "demo-auditor", demo.credentials["demo-auditor"])
        await page.goto(f"{server}/staff/suppliers/{supplier['id']}")
        content = await page.content()
        assert "Standard 10 score" in content
        assert "Send a questionnaire" not in content and "Add a certification" not in content
        await browser.close()


async def test_sign_in_and_error_pages_are_accessible(server, tmp_path):
    """The pages people meet when something is wrong: sign-in with an error, a link that no
    longer works, a record that isn't there."""
    from playwright.async_api import async_playwright

    await truncate_all()
    demo = await load_demo(data_dir=tmp_path)
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await launch(p)
        page = await browser.new_page(viewport={"width": 1000, "height": 900})
        await page.goto(f"{server}/staff/login")
        assert await axe_violations(page) == []
        await page.get_by_label("Username").fill("demo-procurement")
        await page.get_by_label("Password").fill("not the password")
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_text("The username or password is not right").first.wait_for()
        await page.screenshot(path=ARTIFACTS / "staff-sign-in-error.png", full_page=True)
        assert await axe_violations(page) == []

        response = await page.goto(f"{server}/respond/this-link-was-never-sent")
        assert response.status == 404
        assert "not valid" in await page.content()
        await page.screenshot(path=ARTIFACTS / "supplier-wrong-link.png", full_page=True)
        assert await axe_violations(page) == []

        await page.goto(f"{server}/staff/login")
        await page.get_by_label("Username").fill("demo-procurement")
        await page.get_by_label("Password").fill(demo.credentials["demo-procurement"])
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("heading", name="Where we stand").wait_for()
        response = await page.goto(f"{server}/staff/suppliers/999999")
        assert response.status == 404
        await page.screenshot(path=ARTIFACTS / "staff-not-found.png", full_page=True)
        assert await axe_violations(page) == []
        await browser.close()


async def test_back_office_renders_under_its_policy_and_refuses_a_stale_edit(server, tmp_path):
    """piccolo-admin in Chromium: no Content-Security-Policy violations (its icon styles are
    injected at run time), an edit saves, and saving again from the same screen is refused."""
    from playwright.async_api import async_playwright

    await truncate_all()
    demo = await load_demo(data_dir=tmp_path)
    supplier = await Supplier.select(Supplier.id).where(
        Supplier.name == "Meridian Health Records").first()
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await launch(p)
        page = await browser.new_page(viewport={"width": 1200, "height": 1000})
        violations = []
        page.on("console", lambda m: violations.append(m.text)
                if "Content Security Policy" in m.text else None)
        await page.goto(f"{server}/admin/")  # one sign-in: the workspace's
        await page.get_by_label("Username").fill("demo-procurement")
        await page.get_by_label("Password").fill(demo.credentials["demo-procurement"])
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url("**/admin/**")
        await page.get_by_text("demo-procurement").first.wait_for()
        # (the sign-in page's stylesheet names NHS.UK's web fonts, which its CSP blocks: the
        # workspace's own business, outside this test of the back office's policy)
        violations = [v for v in violations if "assets.nhs.uk/fonts" not in v]
        await page.goto(f"{server}/admin/#/supplier/{supplier['id']}")
        name = page.locator("input[name=name]")
        await name.wait_for()
        await name.fill("Meridian Health Records Ltd")
        async with page.expect_response(lambda r: r.request.method == "PATCH") as first:
            await page.get_by_role("button", name="Save").first.click()
        assert (await first.value).status == 200
        await name.fill("Meridian from a stale screen")
        async with page.expect_response(lambda r: r.request.method == "PATCH") as second:
            await page.get_by_role("button", name="Save").first.click()
        assert (await second.value).status == 409
        await page.get_by_text("changed by someone else").wait_for()
        await page.screenshot(path=ARTIFACTS / "back-office-stale-edit.png")
        # The icons are sized by styles the app injects: blocked styles make them page-sized.
        widest = await page.evaluate(
            "Math.max(...[...document.querySelectorAll('svg')].map(s => s.getBoundingClientRect().width))")
        assert 0 < widest < 100
        assert violations == []
        await browser.close()
    row = await Supplier.select(Supplier.name).where(Supplier.id == supplier["id"]).first()
    assert row["name"] == "Meridian Health Records Ltd"


async def test_the_api_explorer_renders_the_schema(server):
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await launch(p)
        page = await browser.new_page(viewport={"width": 1200, "height": 900})
        failed = []
        page.on("requestfailed", lambda r: failed.append(r.url))
        await page.goto(f"{server}/schema")
        await page.get_by_text("Register a supplier").first.wait_for()
        assert "Unable to render" not in await page.content()
        await page.screenshot(path=ARTIFACTS / "api-explorer.png")
        assert failed == []  # everything from this server, nothing from a CDN
        await browser.close()


async def test_ig_lead_attests_a_caf_statement(server, tmp_path):
    """The reviewer (the IG lead) attests NA5 with JavaScript on, at desktop and phone widths:
    a refusal keeps what was typed, the recorded answer shows who and when."""
    from playwright.async_api import async_playwright

    await truncate_all()
    demo = await load_demo(data_dir=tmp_path)
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await launch(p)
        page = await browser.new_page(viewport={"width": 375, "height": 800})
        errors = []
        page.on("console", lambda m: errors.append((m.text, m.location.get("url"), page.url))
                if m.type == "error" else None)
        failed = []
        page.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
        await page.goto(f"{server}/staff/")
        await page.get_by_label("Username").fill("demo-reviewer")
        await page.get_by_label("Password").fill(demo.credentials["demo-reviewer"])
        await page.get_by_role("button", name="Sign in").click()
        secret = demo.authenticator_keys["demo-reviewer"]
        await page.get_by_label("Code").fill(unused_code(secret))
        await page.get_by_role("button", name="Continue").click()
        await page.get_by_role("heading", name="Where we stand").wait_for()
        await page.goto(f"{server}/staff/attestations")
        await page.get_by_role("heading", name="CAF A4.a attestations, toolkit 2026-27").wait_for()
        await page.screenshot(path=ARTIFACTS / "staff-attestations-375.png", full_page=True)
        # axe at desktop width: at 375 px the staff menu's links (all pages) are a known
        # target-size finding outside this page
        await page.set_viewport_size({"width": 1200, "height": 1000})
        assert await axe_violations(page) == []
        await page.set_viewport_size({"width": 375, "height": 800})
        await page.get_by_role("link", name="Attest NA5").click()
        await page.get_by_label("What you rely on (optional)").fill("Procurement policy 4.2")
        await page.get_by_role("button", name="Record attestation").click()
        await page.get_by_text("There is a problem").wait_for()
        assert await page.get_by_label("What you rely on (optional)").input_value() == \
            "Procurement policy 4.2"
        await page.screenshot(path=ARTIFACTS / "staff-attestation-error-375.png", full_page=True)
        await page.set_viewport_size({"width": 1200, "height": 1000})
        assert await axe_violations(page) == []
        await page.get_by_label("No").check()
        await page.get_by_role("button", name="Record attestation").click()
        await page.get_by_text("Your attestation is recorded").wait_for()
        await page.screenshot(path=ARTIFACTS / "staff-attestations.png", full_page=True)
        assert "demo-reviewer (IG lead)" in await page.content()
        # the refused form answers 400 (as it should), and the sign-in page's favicon request
        # (the login page, not this one) 404s; nothing else may reach the console
        unexpected = [e for e in errors if "/staff/login" not in e[2]
                      and not (e[1] or "").endswith("/staff/attestations/2026-27/NA5")]
        assert unexpected == [], failed
        await browser.close()
