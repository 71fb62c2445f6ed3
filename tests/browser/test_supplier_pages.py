"""The supplier's journey in a real headless Chromium (Debian's package, driven by Playwright).

Screenshots land in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx

from portal.assessments import service
from portal.core import staff
from portal.suppliers import service as suppliers
from portal.suppliers.schemas import ContactCreate, SupplierCreate
from tests.browser.conftest import ARTIFACTS, axe_violations, launch
from tests.codes import unused_code
from tests.integration.conftest import truncate_all

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def prepared_link() -> str:
    """A sent questionnaire with every section but the first answered, as a returning supplier."""
    await truncate_all()
    supplier = await suppliers.create_supplier(SupplierCreate(
        name="CareCall Telehealth", handles_personal_data=True, handles_patient_data=True,
        affects_care=True))
    contact = await suppliers.create_contact(supplier["id"], ContactCreate(
        name="Sam Patel", email="sam@carecall.example"))
    _, token = await service.send(supplier_id=supplier["id"], contact_id=contact["id"],
                                  questionnaire="ndg10-supplier-due-diligence",
                                  due_date=dt.date.today() + dt.timedelta(days=21))
    for _ in range(4):
        view = await service.supplier_view(token)
        for section in view["questionnaire"]["sections"][1:]:
            for q in section["questions"]:
                if not q["visible"] or q["id"] in view["answers"] or not q["required"]:
                    continue
                if q["type"] == "file":
                    if q["id"] == "cyber_essentials_certificate":
                        continue  # uploaded in the browser
                    evidence = await service.add_evidence(token, q["id"], filename="e.pdf", data=PDF)
                    value = [evidence["id"]]
                elif q["type"] in ("yes_no", "single_choice"):
                    value = q["options"][0]["value"]
                elif q["type"] == "multi_choice":
                    value = [q["options"][0]["value"]]
                elif q["type"] == "number":
                    value = 24
                elif q["type"] == "date":
                    value = "2027-06-30"
                else:
                    value = "As described in our security policy."
                await service.save_answer(token, q["id"], value=value)
    return token


async def test_supplier_answers_uploads_checks_and_submits(server, tmp_path):
    from playwright.async_api import async_playwright

    token = await prepared_link()
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await launch(p)
        page = await browser.new_page(viewport={"width": 1100, "height": 900})
        await page.goto(f"{server}/respond/{token}")
        assert "Riverside" in await page.title() or "Supplier data security" in await page.content()
        await page.screenshot(path=ARTIFACTS / "supplier-start.png", full_page=True)
        assert await axe_violations(page) == []

        await page.get_by_role("link", name="Your organisation").click()
        await page.get_by_label("What is your organisation's full legal name?").fill(
            "CareCall Digital Health Ltd")
        follow_up = page.locator("#q-ico_number")
        assert await follow_up.is_hidden()
        await page.locator("#ico_registered-yes").check()
        await follow_up.wait_for(state="visible")  # the conditional question appears
        await page.get_by_label("What is your ICO registration number?").fill("ZA123456")
        await page.locator("#dpo_named-no").check()
        await page.screenshot(path=ARTIFACTS / "supplier-section.png", full_page=True)
        assert await axe_violations(page) == []
        await page.get_by_role("button", name="Save and continue").click()
        await page.wait_for_url("**/section/certification")

        # Cyber Essentials was answered earlier, so its certificate upload is offered here.
        upload = tmp_path / "cyber-essentials.pdf"
        upload.write_bytes(PDF)
        await page.locator("#file-cyber_essentials_certificate").set_input_files(str(upload))
        await page.locator("#q-cyber_essentials_certificate button").click()
        await page.wait_for_url("**notice=uploaded**")
        assert "cyber-essentials.pdf" in await page.locator("#files-cyber_essentials_certificate").inner_text()
        await page.screenshot(path=ARTIFACTS / "supplier-upload.png", full_page=True)

        await page.goto(f"{server}/respond/{token}/check")
        content = await page.content()
        assert "Check your answers" in content
        assert "CareCall Digital Health Ltd" in content
        assert "Not answered" not in content or "dpo_contact" not in content
        await page.screenshot(path=ARTIFACTS / "supplier-check.png", full_page=True)
        assert await axe_violations(page) == []
        await page.get_by_role("button", name="Submit answers").click()
        await page.get_by_role("heading", name="Answers submitted").wait_for()
        await page.screenshot(path=ARTIFACTS / "supplier-confirmation.png", full_page=True)
        assert await axe_violations(page) == []
        await browser.close()

    view = await service.supplier_view(token)
    assert view["assessment"]["status"] == "submitted"
    assert view["answers"]["legal_name"]["value"] == "CareCall Digital Health Ltd"
    assert view["answers"]["ico_number"]["value"] == "ZA123456"


async def test_pages_without_javascript_show_errors_next_to_the_field(server):
    token = await prepared_link()
    async with httpx.AsyncClient(base_url=server, follow_redirects=False) as http:
        page = await http.get(f"/respond/{token}/section/people")
        csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        response = await http.post(f"/respond/{token}/section/people", data={
            "csrf": csrf, "shown_training_completion": "1", "q_training_completion": "lots",
            "shown_staff_training": "1", "q_staff_training": "yes"})
        assert response.status_code == 400
        assert "Enter a number" in response.text
        assert "nhsuk-error-summary" in response.text
        forged = await http.post(f"/respond/{token}/section/people", data={
            "csrf": "forged", "shown_staff_training": "1", "q_staff_training": "no"})
        assert forged.status_code == 400
        bad = await http.get("/respond/not-a-link")
        assert bad.status_code == 404 and "This link does not work" in bad.text
    await asyncio.sleep(0)


async def test_reviewer_signs_in_queries_an_answer_and_asks_for_clarification(server):
    from playwright.async_api import async_playwright


    token = await prepared_link()
    for qid, value in [("legal_name", "CareCall Digital Health Ltd"), ("ico_registered", "no"),
                       ("dpo_named", "no")]:
        await service.save_answer(token, qid, value=value)
    await service.add_evidence(token, "cyber_essentials_certificate", filename="ce.pdf",
                               data=PDF, attach=True)
    await service.submit(token)
    assessment_id = (await service.open_link(token)).assessment["id"]
    await staff.create_user(username="iglead", password="a sensible long password",
                            role="reviewer")
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await launch(p)
        page = await browser.new_page(viewport={"width": 1100, "height": 900})
        await page.goto(f"{server}/staff/assessments/{assessment_id}")
        await page.get_by_label("Username").fill("iglead")
        await page.get_by_label("Password").fill("a sensible long password")
        await page.get_by_role("button", name="Sign in").click()
        # Reviewers set up an authenticator on first sign-in.
        await page.get_by_role("heading", name="Set up your authenticator").wait_for()
        secret = (await page.locator("#totp-secret").inner_text()).strip()
        assert await axe_violations(page) == []
        await page.get_by_label("6-digit code").fill(unused_code(secret))
        await page.get_by_role("button", name="Continue").click()
        await page.get_by_role("heading", name="CareCall Telehealth").wait_for()
        card = page.locator("#q-dpo_named")
        await card.get_by_label("Comment (needed to query)").fill("Who leads data protection?")
        await card.get_by_role("button", name="Query answer").click()
        await page.wait_for_url("**notice=answer**")
        await page.screenshot(path=ARTIFACTS / "staff-review.png", full_page=False)
        assert await axe_violations(page) == []
        await page.locator("#decision-clarify").check()
        await page.get_by_label("Comment for the record and the supplier").fill(
            "Please name your data protection lead.")
        await page.get_by_role("button", name="Record decision").click()
        await page.wait_for_url("**notice=clarify**")
        await browser.close()
    view = await service.supplier_view(token)
    assert view["assessment"]["status"] == "clarification_requested"
    assert view["answers"]["dpo_named"]["query"] == "Who leads data protection?"


async def test_an_answer_saved_while_the_service_is_unavailable_is_saved_when_it_returns(server):
    """The first autosave gets 503 (as while the database restarts); the page says so, keeps
    the answer and tries again after Retry-After, and the answer is stored."""
    from playwright.async_api import async_playwright

    token = await prepared_link()
    async with async_playwright() as p:
        browser = await launch(p)
        page = await browser.new_page(viewport={"width": 1100, "height": 900})
        refused = []

        async def unavailable_once(route):
            if not refused:
                refused.append(route.request.url)
                await route.fulfill(status=503, headers={"Retry-After": "1"},
                                    content_type="application/json",
                                    body='{"status_code": 503, "detail": "The database is unavailable."}')
            else:
                await route.continue_()

        await page.route("**/answers/legal_name", unavailable_once)
        await page.goto(f"{server}/respond/{token}")
        await page.get_by_role("link", name="Your organisation").click()
        name = page.get_by_label("What is your organisation's full legal name?")
        await name.fill("CareCall Digital Health Ltd")
        await name.blur()
        status = page.locator("#saved-legal_name")
        await page.get_by_text("trying again in 1 seconds").wait_for()
        await status.get_by_text("Saved", exact=True).wait_for(timeout=10_000)
        await browser.close()
    assert len(refused) == 1
    view = await service.supplier_view(token)
    assert view["answers"]["legal_name"]["value"] == "CareCall Digital Health Ltd"


async def test_autosave_from_a_tab_opened_before_the_first_answer_reports_the_conflict(server):
    """Tab B opened before any answer; tab A saves; B's autosave must say so, not "Saved"."""
    from playwright.async_api import async_playwright

    token = await prepared_link()
    async with async_playwright() as p:
        browser = await launch(p)
        tab_b = await browser.new_page()
        await tab_b.goto(f"{server}/respond/{token}/section/identity")
        await service.save_answer(token, "legal_name", value="CareCall Digital Health Ltd")  # tab A
        await tab_b.get_by_label("What is your organisation's full legal name?").fill(
            "Typed in tab B")
        await tab_b.get_by_label("What is your organisation's full legal name?").press("Tab")
        status = tab_b.locator("#saved-legal_name")
        await status.filter(has_text="answered elsewhere").wait_for()
        assert "Saved" not in await status.inner_text()
        view = await service.supplier_view(token)
        assert view["answers"]["legal_name"]["value"] == "CareCall Digital Health Ltd"
        await browser.close()


async def queried_link() -> tuple[int, str]:
    """A submitted questionnaire whose MFA answer the reviewer queried."""
    from tests import factories

    await truncate_all()
    from models.tables import Organisation

    await Organisation.insert(Organisation(name="Riverside NHS Foundation Trust"))
    supplier = await factories.supplier(name="CareCall Telehealth")
    contact = await factories.contact(supplier["id"])
    assessment, token = await factories.submitted_assessment(supplier["id"], contact["id"])
    await service.review_answer(assessment["id"], "mfa", decision="query",
                                comment="Which product do you use for MFA?", reviewer="Rita")
    await service.review(assessment["id"], decision="clarify", comment="Please clarify.",
                         question_ids=["mfa"], reviewer="Rita")
    return assessment["id"], token


def watch_console(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    # A request the page cancelled by moving on (the favicon, fetched after load, when
    # the test goes to the next page at once) is not a failure; a blocked or refused one is.
    page.on("requestfailed", lambda r: None if r.failure == "net::ERR_ABORTED"
            else problems.append(f"failed: {r.url} ({r.failure})"))
    return problems


async def fits(page, width: int = 375) -> bool:
    return await page.evaluate("document.documentElement.scrollWidth") <= width


async def test_a_reply_to_a_query_at_phone_width_without_and_with_javascript(server):
    from playwright.async_api import async_playwright

    assessment_id, token = await queried_link()
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await launch(p)
        # Without JavaScript, on a phone.
        context = await browser.new_context(java_script_enabled=False,
                                            viewport={"width": 375, "height": 800})
        page = await context.new_page()
        problems = watch_console(page)
        await page.goto(f"{server}/respond/{token}")
        assert "Which product do you use for MFA?" in await page.content()
        assert "Riverside NHS Foundation Trust" in await page.locator("header").inner_text()
        assert await fits(page)
        await page.screenshot(path=ARTIFACTS / "supplier-clarify-start-375.png", full_page=True)
        await page.get_by_role("link", name="Where do you require multi-factor authentication?").click()
        await page.locator("#mfa-all").check()
        await page.get_by_label("Your reply to the reviewer").fill(
            "Microsoft Authenticator, enforced for everyone since May.")
        assert await fits(page)
        await page.screenshot(path=ARTIFACTS / "supplier-clarify-section-375.png", full_page=True)
        await page.get_by_role("button", name="Save and continue").click()
        await page.wait_for_url("**/section/systems")
        await page.goto(f"{server}/respond/{token}/check")
        assert "Microsoft Authenticator" in await page.content()
        assert await fits(page)
        await page.screenshot(path=ARTIFACTS / "supplier-clarify-check-375.png", full_page=True)
        for path in ("/supplier-information/accessibility", f"/respond/{token}/nope/nope"):
            await page.goto(f"{server}{path}")
            assert await fits(page)
        await page.screenshot(path=ARTIFACTS / "supplier-404-375.png", full_page=True)
        # Only the 404 page's own status is logged: no blocked font, no missing asset.
        assert [m for m in problems if "status of 404" not in m] == []
        assert len(problems) <= 1
        await context.close()  # (axe needs JavaScript: it runs on the same pages below)

        # With JavaScript: the reply saves as it changes; a refusal shows in the error colour.
        page = await browser.new_page(viewport={"width": 375, "height": 800})
        problems = watch_console(page)
        for path in (f"/respond/{token}", f"/respond/{token}/check",
                     "/supplier-information/privacy", f"/respond/{token}/nope/nope",
                     f"/respond/{token}/section/people"):
            await page.goto(f"{server}{path}")
            assert await fits(page), path
            assert await axe_violations(page) == [], path
            if path.endswith("/nope/nope"):  # the 404 page itself is logged as a 404
                problems[:] = [m for m in problems if "status of 404" not in m]
        reply = page.get_by_label("Your reply to the reviewer")
        await reply.fill("Also hardware keys for administrators.")
        await reply.press("Tab")
        status = page.locator("#saved-mfa")
        await status.get_by_text("Reply saved").wait_for()
        assert "portal-saved--error" not in (await status.get_attribute("class"))
        await reply.fill("x" * 5001)
        await reply.press("Tab")
        await status.filter(has_text="Reply not saved").wait_for()
        colour = await status.evaluate("e => getComputedStyle(e).color")
        assert colour == "rgb(213, 40, 27)", colour  # NHS error red, not the "Saved" green
        await page.screenshot(path=ARTIFACTS / "supplier-clarify-js-error-375.png", full_page=True)
        # The font is Arial from the start: nothing asked of a CDN the CSP blocks.
        assert "arial" in (await page.evaluate("getComputedStyle(document.body).fontFamily")).lower()
        # The refused reply logged a 422 (expected); nothing else went wrong on the page.
        assert [m for m in problems if "422" not in m] == []
        await browser.close()
    view = await service.supplier_view(token)
    assert view["answers"]["mfa"]["value"] == "all"
    assert view["answers"]["mfa"]["reply"] == "Also hardware keys for administrators."
    staff_view = await service.staff_view(assessment_id)
    mfa = [q for q in staff_view["questions"] if q["question_id"] == "mfa"][0]
    assert [m["kind"] for m in mfa["thread"]] == ["query", "reply"]
