"""The clarification loop in words, and the supplier pages without JavaScript (issue 14,
items 5 and 7): a reviewer's query, the supplier's changed answer and written reply, the
thread on both sides, the mails; every button saving the page; revealed follow-ups shown
before moving on; Change coming back to Check your answers; error pages in the same style."""

from __future__ import annotations

import datetime as dt
import re

from models.tables import AuditEvent, ClarificationReply, Organisation, OutboundEmail
from portal.assessments import service
from portal.core import staff
from tests import factories
from tests.factories import PDF
from tests.integration.journeys import sign_in

QUERY = "Which MFA product do you use, and is it enforced for every administrator?"
REPLY = "We use hardware keys for all 14 administrators.\nEnforced since March."


def csrf_of(text: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', text).group(1)


def section_form(page_text: str) -> dict[str, str]:
    """The hidden fields a browser sends back with the section form (csrf, versions, shown)."""
    form = {"csrf": csrf_of(page_text)}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                                  page_text):
        form.setdefault(name, value)
    return form


async def queried(question_id: str = "mfa", query: str = QUERY) -> tuple[dict, str]:
    """A submitted assessment whose answer `question_id` the reviewer queried (clarification
    requested): the assessment and the supplier's token."""
    supplier = await factories.supplier()
    contact = await factories.contact(supplier["id"])
    assessment, token = await factories.submitted_assessment(supplier["id"], contact["id"])
    await service.review_answer(assessment["id"], question_id, decision="query", comment=query,
                                reviewer="Rita Reviewer")
    await service.review(assessment["id"], decision="clarify", comment="Please clarify.",
                         question_ids=[question_id], reviewer="Rita Reviewer")
    return assessment, token


async def test_the_supplier_sees_the_query_changes_the_answer_and_replies_without_js(
        client, reviewer):
    assessment, token = await queried()
    page = await client.get(f"/respond/{token}/section/people")
    assert page.status_code == 200
    assert QUERY in page.text
    assert 'name="reply_mfa"' in page.text and "Your reply to the reviewer" in page.text
    # Only the queried answer is editable; the others stay disabled.
    assert re.search(r'id="mfa-[a-z_]+"[^>]*name="q_mfa"[^>]*>', page.text)
    assert not re.search(r'name="q_mfa"[^>]*disabled', page.text)
    assert re.search(r'name="q_staff_training"[^>]*disabled', page.text)
    form = section_form(page.text)
    view = await service.supplier_view(token)
    mfa_options = [q for s in view["questionnaire"]["sections"] for q in s["questions"]
                   if q["id"] == "mfa"][0]["options"]
    new_value = [o["value"] for o in mfa_options if o["value"] != view["answers"]["mfa"]["value"]][0]
    response = await client.post(f"/respond/{token}/section/people", data={
        **form, "q_mfa": new_value, "reply_mfa": REPLY, "next": "continue"})
    assert response.status_code == 303, response.text
    view = await service.supplier_view(token)
    assert view["answers"]["mfa"]["value"] == new_value
    assert view["answers"]["mfa"]["reply"] == REPLY
    assert [m["kind"] for m in view["answers"]["mfa"]["thread"]] == ["query", "reply"]
    # The reply is audited by which query and how long, never by its words.
    event = await AuditEvent.select().where(AuditEvent.action == "answer.replied").first()
    assert event is not None and "hardware" not in str(event["after"])
    # Check your answers shows the reply too; submitting from there resubmits.
    check = await client.get(f"/respond/{token}/check")
    assert "Your reply:" in check.text and "hardware keys" in check.text
    submitted = await client.post(f"/respond/{token}/submit", data={"csrf": csrf_of(check.text)})
    assert submitted.status_code == 200 and "Answers submitted" in submitted.text
    # The staff side shows the same thread: the query, then the reply.
    staff_view = await service.staff_view(assessment["id"])
    mfa = [q for q in staff_view["questions"] if q["question_id"] == "mfa"][0]
    assert [(m["kind"], m["text"]) for m in mfa["thread"]] == [("query", QUERY), ("reply", REPLY)]
    await sign_in(client, "reviewer")
    review = await client.get(f"/staff/assessments/{assessment['id']}")
    assert review.status_code == 200
    thread = review.text[review.text.index('id="thread-mfa"'):]
    thread = thread[:thread.index("</ul>")]
    assert "Queried by Rita Reviewer" in thread and "Supplier's reply" in thread
    assert "hardware keys" in thread and thread.index("Queried") < thread.index("reply")
    # After the supplier resubmitted, replies are refused (409 in words, not a 500).
    late = await client.put(f"/api/v1/respond/{token}/answers/mfa/reply", json={"reply": "x"})
    assert late.status_code == 409 and "can't be added or changed" in late.json()["detail"]


async def test_the_clarification_mail_names_each_question_and_query_and_carries_the_link():
    assessment, _ = await queried()
    mail = await OutboundEmail.select().where(
        OutboundEmail.subject.like("%please clarify%")).first()
    assert mail is not None
    assert "Do you require multi-factor authentication" in mail["body"] or \
        (await service.frozen_definition(assessment["definition"])).question("mfa").text \
        in mail["body"]
    assert f"Our question: {QUERY}" in mail["body"]
    from portal.assessments import links

    assert links.placeholder(assessment["id"]) in mail["body"]
    assert "write a reply" in mail["body"]
    # The dispatcher's filler turns the placeholder into the live link for the contact.
    filled = await links.fill(mail)
    assert "/respond/" in filled and links.placeholder(assessment["id"]) not in filled


async def test_staff_are_emailed_when_a_supplier_submits_and_when_it_answers_queries(client):
    await staff.create_user(username="rita", password="a sensible long password",
                            role="reviewer", email="rita@trust.example")
    await staff.create_user(username="noaddress", password="a sensible long password",
                            role="reviewer")
    await staff.create_user(username="paul", password="a sensible long password",
                            role="procurement", email="paul@trust.example")
    assessment, token = await queried()
    submitted = await OutboundEmail.select().where(
        OutboundEmail.related_type == "assessment_staff")
    assert [m["to_address"] for m in submitted] == ["rita@trust.example"]
    assert "submitted" in submitted[0]["subject"]
    assert f"/staff/assessments/{assessment['id']}" in submitted[0]["body"]
    await service.save_reply(token, "mfa", body=REPLY)
    await service.submit(token)
    mails = await OutboundEmail.select().where(
        OutboundEmail.related_type == "assessment_staff").order_by(OutboundEmail.id)
    assert len(mails) == 2 and "answered your queries" in mails[1]["subject"]
    assert "1 written replies" in mails[1]["body"] and "hardware" not in mails[1]["body"]


async def test_replies_that_cannot_be_taken_are_clear_4xx(client):
    assessment, token = await queried()
    api = f"/api/v1/respond/{token}/answers"
    too_long = await client.put(f"{api}/mfa/reply", json={"reply": "a" * 5001})
    assert too_long.status_code == 422 and "5,000 characters or fewer" in too_long.json()["detail"]
    control = await client.put(f"{api}/mfa/reply", json={"reply": "fine\x07bell"})
    # (the schemas' shared text rule, core/text.py, or the reply rule: the same words)
    assert control.status_code in (400, 422) and "control characters" in control.text
    nul = await client.put(f"{api}/mfa/reply", json={"reply": "nul\x00"})
    assert nul.status_code in (400, 422)
    not_queried = await client.put(f"{api}/staff_training/reply", json={"reply": "hello"})
    assert not_queried.status_code == 422 and "did not ask" in not_queried.json()["detail"]
    unknown = await client.put(f"{api}/no_such_question/reply", json={"reply": "hello"})
    assert unknown.status_code == 404
    wrong_type = await client.put(f"{api}/mfa/reply", json={"reply": ["a"]})
    assert wrong_type.status_code == 400
    fine = await client.put(f"{api}/mfa/reply", json={"reply": "  Tabs\tand\r\nnew lines  "})
    assert fine.status_code == 200 and fine.json()["reply"] == "Tabs\tand\nnew lines"
    assert await ClarificationReply.count() == 1
    again = await client.put(f"{api}/mfa/reply", json={"reply": "Changed my mind"})
    assert again.status_code == 200 and again.json()["version"] == 2
    assert await ClarificationReply.count() == 1  # one reply per query, updated in place
    # Through the page: the error beside the reply box, what was typed kept, nothing saved.
    page = await client.get(f"/respond/{token}/section/people")
    refused = await client.post(f"/respond/{token}/section/people", data={
        **section_form(page.text), "reply_mfa": "b" * 5001, "next": "continue"})
    assert refused.status_code == 400
    assert 'href="#reply-mfa"' in refused.text and "5,000 characters or fewer" in refused.text
    assert "b" * 5001 in refused.text
    assert (await service.supplier_view(token))["answers"]["mfa"]["reply"] == "Changed my mind"
    # Accepted: the link still opens, but replies are refused in words.
    await service.submit(token)
    await service.review(assessment["id"], decision="accept", comment="", question_ids=None,
                         reviewer="Rita")
    after = await client.put(f"{api}/mfa/reply", json={"reply": "late"})
    assert after.status_code == 409 and "accepted" in after.json()["detail"]


async def test_a_reply_before_any_query_is_refused(client):
    supplier = await factories.supplier()
    contact = await factories.contact(supplier["id"])
    _, token = await factories.sent_assessment(supplier["id"], contact["id"])
    response = await client.put(f"/api/v1/respond/{token}/answers/mfa/reply",
                                json={"reply": "nothing asked"})
    assert response.status_code == 422 and "nothing to reply to" in response.json()["detail"]


async def test_the_follow_ups_of_a_queried_answer_open_with_it():
    """Changing "No" to "Yes" on a queried answer must let the supplier answer what "Yes"
    asks next (the follow-up used to stay disabled)."""
    _, token = await queried("ico_registered", "Please check: the ICO register lists you.")
    view = await service.supplier_view(token)
    assert view["answers"]["ico_registered"]["open_for_clarification"]
    assert view["answers"]["ico_number"]["open_for_clarification"]
    assert view["answers"]["ico_number"]["query"] is None  # opened, not asked about
    version = view["answers"]["ico_number"]["version"]
    await service.save_answer(token, "ico_number", value="ZA123456", version=version)
    # Others stay closed.
    assert not view["answers"]["dpo_named"]["open_for_clarification"]


# Without JavaScript --------------------------------------------------------------------


async def fresh_link() -> str:
    supplier = await factories.supplier()
    contact = await factories.contact(supplier["id"])
    _, token = await factories.sent_assessment(supplier["id"], contact["id"])
    return token


async def test_uploading_a_file_keeps_the_radio_ticked_on_the_same_page(client):
    token = await fresh_link()
    page = await client.get(f"/respond/{token}/section/certification")
    assert 'enctype="multipart/form-data"' in page.text
    assert 'name="upload" value="cyber_essentials_certificate"' in page.text
    response = await client.post(
        f"/respond/{token}/section/certification",
        data={**section_form(page.text), "q_certifications_held": ["cyber_essentials", "dspt"],
              "q_dspt_ods_code": "8JD12", "upload": "cyber_essentials_certificate"},
        files={"file_cyber_essentials_certificate": ("certificate.pdf", PDF, "application/pdf")})
    assert response.status_code == 303, response.text
    assert "notice=uploaded" in response.headers["location"]
    view = await service.supplier_view(token)
    assert sorted(view["answers"]["certifications_held"]["value"]) == ["cyber_essentials", "dspt"]
    assert view["answers"]["dspt_ods_code"]["value"] == "8JD12"
    assert len(view["answers"]["cyber_essentials_certificate"]["value"]) == 1
    again = await client.get(response.headers["location"])
    assert "certificate.pdf" in again.text and "other answers on this page were saved" in again.text
    # "Upload file" with no file chosen: the answers still saved, the field says what's missing.
    page = again
    response = await client.post(
        f"/respond/{token}/section/certification",
        data={**section_form(page.text), "q_certifications_held": "cyber_essentials",
              "upload": "cyber_essentials_certificate"},
        files={"file_cyber_essentials_certificate": ("", b"", "application/octet-stream")})
    assert response.status_code == 400 and "Choose a file to upload." in response.text
    assert (await service.supplier_view(token))["answers"]["certifications_held"]["value"] == [
        "cyber_essentials"]


async def test_save_and_continue_stops_on_the_follow_ups_an_answer_revealed(client):
    token = await fresh_link()
    page = await client.get(f"/respond/{token}/section/identity")
    form = {**section_form(page.text), "q_legal_name": "Meridian Ltd",
            "q_ico_registered": "yes", "q_dpo_named": "no", "next": "continue"}
    response = await client.post(f"/respond/{token}/section/identity", data=form)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"/respond/{token}/section/identity?notice=revealed")
    assert location.endswith("#q-ico_number")
    shown = await client.get(location)
    assert "added more questions" in shown.text
    assert not re.search(r'id="q-ico_number"[^>]*hidden', shown.text)
    # Pressing it again (follow-up optional or answered) moves on.
    response = await client.post(f"/respond/{token}/section/identity", data={
        **section_form(shown.text), "q_legal_name": "Meridian Ltd", "q_ico_registered": "yes",
        "q_ico_number": "ZA123456", "q_dpo_named": "no", "next": "continue"})
    assert response.headers["location"] == f"/respond/{token}/section/certification"


async def test_change_on_check_your_answers_comes_back_to_it(client):
    token = await fresh_link()
    await factories.answered(token)
    check = await client.get(f"/respond/{token}/check")
    change = re.search(rf'href="(/respond/{token}/section/identity\?return=check)#q-legal_name"',
                       check.text)
    assert change, "Change links carry return=check"
    page = await client.get(change.group(1))
    assert 'name="return" value="check"' in page.text
    assert "Back to check your answers" in page.text
    assert "Save and return to check your answers" in page.text
    form = section_form(page.text)
    view = await service.supplier_view(token)
    typed = {f"q_{q['id']}": view["answers"][q["id"]]["value"]
             for s in view["questionnaire"]["sections"] if s["id"] == "identity"
             for q in s["questions"] if q["id"] in view["answers"]}
    response = await client.post(f"/respond/{token}/section/identity", data={
        **form, **typed, "q_legal_name": "Meridian Health Records Ltd", "next": "continue"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/respond/{token}/check"
    # One round: Check your answers now submits.
    check = await client.get(f"/respond/{token}/check")
    assert "Meridian Health Records Ltd" in check.text and "still need" not in check.text
    done = await client.post(f"/respond/{token}/submit", data={"csrf": csrf_of(check.text)})
    assert done.status_code == 200 and "Answers submitted" in done.text


async def test_supplier_error_pages_are_pages_in_the_same_style(client, monkeypatch):
    from portal.settings import get_settings

    await Organisation.insert(Organisation(name="Northshire NHS Trust"))
    token = await fresh_link()
    page = await client.get(f"/respond/{token}/section/certification")
    limit = get_settings().max_upload_bytes
    too_big = await client.post(
        f"/respond/{token}/section/certification",
        data={**section_form(page.text), "upload": "cyber_essentials_certificate"},
        files={"file_cyber_essentials_certificate": (
            "big.pdf", PDF + b"0" * (limit + 2 * 1024 * 1024), "application/pdf")})
    assert too_big.status_code == 413
    assert too_big.headers["content-type"].startswith("text/html")
    assert "The file is too large" in too_big.text and f"{get_settings().max_upload_mb} MB" in too_big.text
    assert "Northshire NHS Trust" in too_big.text and f'href="/respond/{token}"' in too_big.text
    # Just over (read, then refused by the upload rule): the message beside the field.
    just_over = await client.post(
        f"/respond/{token}/section/certification",
        data={**section_form(page.text), "upload": "cyber_essentials_certificate"},
        files={"file_cyber_essentials_certificate": ("big.pdf", PDF + b"0" * (limit + 10),
                                                     "application/pdf")})
    assert just_over.status_code == 400 and "nhsuk-error-message" in just_over.text
    assert f"{get_settings().max_upload_mb} MB" in just_over.text
    missing = await client.get(f"/respond/{token}/no/such/page")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "Page not found" in missing.text and "nhsuk-footer" in missing.text
    api_missing = await client.get("/api/v1/nothing-here")
    assert api_missing.status_code == 404 and api_missing.headers["content-type"].startswith(
        "application/json")

    async def broken(_token):
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "supplier_view", broken)
    failed = await client.get(f"/respond/{token}")
    assert failed.status_code == 500 and failed.headers["content-type"].startswith("text/html")
    assert "Sorry, there is a problem with the service" in failed.text
    assert "Quote reference" in failed.text and "boom" not in failed.text


async def test_footer_pages_show_the_organisations_own_words(client):
    token = await fresh_link()
    page = await client.get(f"/respond/{token}")
    for href in ("/supplier-information/accessibility", "/supplier-information/privacy",
                 "/supplier-information/contact"):
        assert f'href="{href}"' in page.text
        default = await client.get(href)
        assert default.status_code == 200 and "nhsuk-footer" in default.text
    assert "Beta" in page.text  # the phase banner
    await Organisation.insert(Organisation(
        name="Northshire NHS Trust", privacy_notice="Our own notice.\n\nSecond paragraph.",
        contact_details="Email ig@northshire.example"))
    privacy = await client.get("/supplier-information/privacy")
    assert "<p>Our own notice.</p>" in privacy.text and "<p>Second paragraph.</p>" in privacy.text
    assert "Northshire NHS Trust" in privacy.text
    contact = await client.get("/supplier-information/contact")
    assert "ig@northshire.example" in contact.text
    assert (await client.get("/supplier-information/nothing")).status_code == 404


async def test_the_review_page_says_what_is_scheduled_next(client):
    from portal.assessments.jobs import next_reminder, reminder_due

    supplier = await factories.supplier()
    contact = await factories.contact(supplier["id"])
    assessment, _ = await factories.sent_assessment(supplier["id"], contact["id"], due_in_days=30)
    view = await service.staff_view(assessment["id"])
    today = dt.date.today()
    expected = today + dt.timedelta(days=23)
    assert view["schedule"]["next_reminder"] == {"on": expected, "stage": "due_7"}
    # The same rule the job uses: nothing due the day before, due on the day.
    assert reminder_due(assessment["due_date"], expected - dt.timedelta(days=1), "") is None
    assert reminder_due(assessment["due_date"], expected, "") == "due_7"
    assert next_reminder(assessment["due_date"], today, "overdue") is None
    await sign_in(client, "reviewer")
    page = await client.get(f"/staff/assessments/{assessment['id']}")
    assert f"Next reminder on {expected:%-d %B %Y}" in page.text
    assert 'id="link-expiry"' in page.text
