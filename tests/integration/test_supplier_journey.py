"""The supplier's journey over HTTP: send, open, answer, upload, submit, review."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from models.tables import AuditEvent, EvidenceFile, OutboundEmail
from portal.core.security import hash_secret
from questionnaires.loader import shipped
from questionnaires.rules import visible_ids
from tests.integration.journeys import CORE, PDF, answer_everything, onboard, send, upload


async def test_questionnaires_are_listed(client, auditor):
    response = await client.get("/api/v1/questionnaires", headers=auditor)
    keys = {q["key"] for q in response.json()}
    assert keys == {CORE, "uk-gdpr-processor", "clinical-safety", "nhs-supplier-charter"}


async def test_the_whole_journey(client, procurement, reviewer):
    supplier, contact = await onboard(client, procurement)
    sent, token = await send(client, procurement, supplier, contact)
    assert sent["status"] == "sent"
    assert len(token) >= 43
    # The outbox holds a placeholder, not the link (filled in when sent, see test_links.py);
    # only the link's hash is stored.
    mail = await OutboundEmail.select().where(OutboundEmail.to_address == contact["email"]).first()
    assert token not in mail["body"] and f"[supplier link for assessment {sent['id']}]" in mail["body"]
    assert hash_secret(token) not in mail["body"]
    trail = await AuditEvent.select(AuditEvent.before, AuditEvent.after)
    assert token not in str(trail) and hash_secret(token) not in str(trail)

    view = (await client.get(f"/api/v1/respond/{token}")).json()
    assert view["assessment"]["status"] == "opened"
    assert view["assessment"]["supplier"] == supplier["name"]
    assert view["questionnaire"]["key"] == CORE
    first = view["questionnaire"]["sections"][0]["questions"][0]
    assert {"id", "type", "text", "help", "required", "options", "visible",
            "evidence_expected"} <= set(first)

    # Conditional question: ico_number shows only after "yes".
    def visible(v, qid):
        return next(q for s in v["questionnaire"]["sections"] for q in s["questions"]
                    if q["id"] == qid)["visible"]

    assert not visible(view, "ico_number")
    saved = await client.put(f"/api/v1/respond/{token}/answers/ico_registered", json={"value": "yes"})
    assert saved.json() == {"version": 1}
    view = (await client.get(f"/api/v1/respond/{token}")).json()
    assert visible(view, "ico_number")

    uploaded = await upload(client, token, "cyber_essentials_certificate")
    assert uploaded.status_code == 201, uploaded.text
    evidence = uploaded.json()
    assert evidence["size"] == len(PDF) and len(evidence["sha256"]) == 64

    incomplete = await client.post(f"/api/v1/respond/{token}/submit")
    assert incomplete.status_code == 422
    assert "legal_name" in incomplete.json()["missing"]

    await answer_everything(client, token, evidence["id"])
    submitted = await client.post(f"/api/v1/respond/{token}/submit")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json() == {"status": "submitted"}
    locked = await client.put(f"/api/v1/respond/{token}/answers/legal_name", json={"value": "x"})
    assert locked.status_code == 409

    # Reviewer asks about one answer: only that one reopens.
    assert (await client.post(f"/api/v1/assessments/{sent['id']}/review", headers=procurement,
                              json={"decision": "accept"})).status_code == 403
    clarify = await client.post(f"/api/v1/assessments/{sent['id']}/review", headers=reviewer,
                                json={"decision": "clarify", "question_ids": ["mfa"],
                                      "comment": "Which systems are not covered by MFA?"})
    assert clarify.status_code == 200, clarify.text
    assert clarify.json()["status"] == "clarification_requested"
    view = (await client.get(f"/api/v1/respond/{token}")).json()
    assert view["answers"]["mfa"]["query"] == "Which systems are not covered by MFA?"
    assert (await client.put(f"/api/v1/respond/{token}/answers/legal_name",
                             json={"value": "x"})).status_code == 409
    mfa_version = view["answers"]["mfa"]["version"]
    reanswer = await client.put(f"/api/v1/respond/{token}/answers/mfa",
                                json={"value": "all", "comment": "All systems since May.",
                                      "version": mfa_version})
    assert reanswer.status_code == 200
    resubmitted = await client.post(f"/api/v1/respond/{token}/submit")
    assert resubmitted.json() == {"status": "resubmitted"}

    accepted = await client.post(f"/api/v1/assessments/{sent['id']}/review", headers=reviewer,
                                 json={"decision": "accept", "comment": "Thorough answers."})
    assert accepted.json()["status"] == "accepted"
    detail = (await client.get(f"/api/v1/assessments/{sent['id']}", headers=reviewer)).json()
    actions = [h["action"] for h in detail["history"]]
    assert actions[0] == "assessment.sent" and actions[-1] == "assessment.accepted"
    assert "assessment.clarification_requested" in actions
    mfa = next(q for q in detail["questions"] if q["question_id"] == "mfa")
    assert mfa["value"] == "all" and mfa["reviews"][0]["decision"] == "query"
    download = await client.get(f"/api/v1/evidence/{evidence['id']}", headers=reviewer)
    assert download.status_code == 200 and download.content == PDF


async def test_answers_are_validated_and_stale_versions_refused(client, procurement):
    supplier, contact = await onboard(client, procurement)
    _, token = await send(client, procurement, supplier, contact)
    url = f"/api/v1/respond/{token}/answers"
    for qid, value in [("ico_registered", "maybe"), ("mfa", "everything"),
                       ("training_completion", 140), ("iso27001_expiry", "31/12/2026"),
                       ("legal_name", 12), ("cyber_essentials_certificate", [999])]:
        response = await client.put(f"{url}/{qid}", json={"value": value})
        assert response.status_code == 422, (qid, response.text)
        assert response.json()["detail"]
    assert (await client.put(f"{url}/no_such_question", json={"value": "x"})).status_code == 404
    assert (await client.put(f"{url}/legal_name", content=b"{oops",
                             headers={"content-type": "application/json"})).status_code == 400
    first = await client.put(f"{url}/legal_name", json={"value": "Meridian Ltd"})
    second = await client.put(f"{url}/legal_name", json={"value": "Meridian Health Ltd",
                                                         "version": 1})
    assert (first.json(), second.json()) == ({"version": 1}, {"version": 2})
    stale = await client.put(f"{url}/legal_name", json={"value": "Other tab", "version": 1})
    assert stale.status_code == 409
    view = (await client.get(f"/api/v1/respond/{token}")).json()
    assert view["answers"]["legal_name"]["value"] == "Meridian Health Ltd"
    # A retry of a save whose reply was lost: the answer is already stored as asked, so it
    # succeeds with the current version instead of reporting a conflict.
    retried = await client.put(f"{url}/legal_name", json={"value": "Meridian Health Ltd",
                                                          "version": 1})
    assert retried.status_code == 200 and retried.json() == {"version": 2}


async def test_uploads_are_judged_by_content(client, procurement):
    supplier, contact = await onboard(client, procurement)
    _, token = await send(client, procurement, supplier, contact)
    exe = await upload(client, token, "cyber_essentials_certificate", b"MZ\x90\x00\x03" + b"\x00" * 100,
                       "certificate.pdf")
    assert exe.status_code == 415
    html = await upload(client, token, "cyber_essentials_certificate",
                        b"<html><script>alert(1)</script></html>", "cert.txt")
    assert html.status_code == 415
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    docx = await upload(client, token, "cyber_essentials_certificate", buffer.getvalue(),
                        "../../etc/<policy>.docx")
    assert docx.status_code == 201
    assert docx.json()["filename"] == "_policy_.docx"
    assert docx.json()["content_type"].endswith("wordprocessingml.document")
    stored = await EvidenceFile.select().where(EvidenceFile.id == docx.json()["id"]).first()
    assert stored["storage_key"] == f"evidence/{stored['sha256'][:2]}/{stored['sha256']}"
    no_question = await upload(client, token, "not_a_question")
    assert no_question.status_code == 422


async def test_uploads_over_the_limit_are_413(client, procurement, monkeypatch):
    from portal.settings import get_settings

    supplier, contact = await onboard(client, procurement)
    _, token = await send(client, procurement, supplier, contact)
    limit = get_settings().max_upload_bytes
    response = await upload(client, token, "cyber_essentials_certificate",
                            PDF + b"0" * (limit + 10))
    assert response.status_code == 413
    # Far over: refused while the body streams in, in words a supplier understands.
    response = await upload(client, token, "cyber_essentials_certificate",
                            PDF + b"0" * (limit + 2 * 1024 * 1024))
    assert response.status_code == 413 and "at most" in response.json()["detail"]


async def test_an_oversized_upload_is_refused_while_it_streams_in(client, procurement):
    """No Content-Length to trust: the limit is counted on the bytes as they arrive, and the
    rest of the body is never read."""
    supplier, contact = await onboard(client, procurement)
    _, token = await send(client, procurement, supplier, contact)
    sent = 0
    boundary = "streamingboundary"

    async def body():
        nonlocal sent
        yield (f'--{boundary}\r\nContent-Disposition: form-data; name="question_id"\r\n\r\n'
               f'cyber_essentials_certificate\r\n--{boundary}\r\nContent-Disposition: '
               f'form-data; name="file"; filename="big.pdf"\r\n'
               f'Content-Type: application/pdf\r\n\r\n%PDF-1.4\n').encode()
        for _ in range(200):  # 200 MB if it were all read
            sent += 1
            yield b"0" * (1024 * 1024)

    response = await client.post(
        f"/api/v1/respond/{token}/evidence", content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 413 and "at most" in response.json()["detail"]
    assert sent < 60  # stopped soon after the limit, not after reading everything


async def test_links_see_only_their_own_assessment(client, procurement):
    supplier_a, contact_a = await onboard(client, procurement, "Supplier A")
    supplier_b, contact_b = await onboard(client, procurement, "Supplier B")
    _, token_a = await send(client, procurement, supplier_a, contact_a)
    sent_b, token_b = await send(client, procurement, supplier_b, contact_b)
    uploaded_b = (await upload(client, token_b, "cyber_essentials_certificate")).json()
    # A's link cannot attach B's evidence, and sees none of B's answers.
    attach = await client.put(f"/api/v1/respond/{token_a}/answers/cyber_essentials_certificate",
                              json={"value": [uploaded_b["id"]]})
    assert attach.status_code == 422
    await client.put(f"/api/v1/respond/{token_b}/answers/legal_name", json={"value": "B Ltd"})
    view_a = (await client.get(f"/api/v1/respond/{token_a}")).json()
    assert view_a["answers"] == {} and view_a["evidence"] == []
    assert view_a["assessment"]["supplier"] == "Supplier A"
    # A link is not a staff credential.
    assert (await client.get(f"/api/v1/assessments/{sent_b['id']}",
                             headers={"Authorization": f"Bearer {token_a}"})).status_code == 401
    assert (await client.get(f"/api/v1/evidence/{uploaded_b['id']}")).status_code == 401


async def test_unknown_revoked_and_reissued_links_look_the_same(client, procurement):
    supplier, contact = await onboard(client, procurement)
    sent, token = await send(client, procurement, supplier, contact)
    unknown = await client.get("/api/v1/respond/not-a-real-token-at-all")
    revoke = await client.post(f"/api/v1/assessments/{sent['id']}/revoke", headers=procurement)
    assert revoke.json()["status"] == "revoked"
    revoked = await client.get(f"/api/v1/respond/{token}")
    assert unknown.status_code == revoked.status_code == 404
    assert unknown.json() == revoked.json()
    reissued = await client.post(f"/api/v1/assessments/{sent['id']}/reissue", headers=procurement)
    new_token = reissued.json()["link"].rsplit("/", 1)[1]
    assert new_token != token
    assert (await client.get(f"/api/v1/respond/{token}")).status_code == 404
    assert (await client.get(f"/api/v1/respond/{new_token}")).status_code == 200


async def test_repeated_wrong_links_are_rate_limited_but_real_links_keep_working(
        client, procurement):
    supplier, contact = await onboard(client, procurement)
    _, token = await send(client, procurement, supplier, contact)
    codes = [(await client.get(f"/api/v1/respond/guess-{i}")).status_code for i in range(22)]
    assert codes[:20] == [404] * 20
    assert codes[20:] == [429, 429]
    # Counted in the database, so every worker process refuses the same address; once
    # refused, more misses add no rows (a flood can't fill the table).
    from models.tables import FailedAttempt

    assert await FailedAttempt.count().where(FailedAttempt.scope == "link") == 20
    # The supplier behind the same address still reaches their own questionnaire.
    assert (await client.get(f"/api/v1/respond/{token}")).status_code == 200
    assert (await client.get(f"/respond/{token}")).status_code == 200


async def test_sending_needs_a_real_contact_and_questionnaire(client, procurement, auditor):
    supplier, contact = await onboard(client, procurement)
    other, other_contact = await onboard(client, procurement, "Other")
    due = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    base = {"supplier_id": supplier["id"], "contact_id": contact["id"], "questionnaire": CORE,
            "due_date": due}
    cases = [({**base, "questionnaire": "nope"}, 400), ({**base, "due_date": "2001-01-01"}, 400),
             ({**base, "contact_id": other_contact["id"]}, 422), ({**base, "supplier_id": 9999}, 404),
             ({**base, "due_date": "soon"}, 400)]
    for body, status in cases:
        response = await client.post("/api/v1/assessments", json=body, headers=procurement)
        assert response.status_code == status, (body, response.text)
    assert (await client.post("/api/v1/assessments", json=base,
                              headers=auditor)).status_code == 403


def test_core_questionnaire_has_conditional_follow_ups():
    definition = shipped()[CORE]
    assert len(definition.questions()) >= 30
    hidden_without_answers = {q.id for q in definition.questions()} - visible_ids(definition, {})
    assert {"ico_number", "dspt_status", "transfer_countries", "secure_development"} <= \
        hidden_without_answers


async def test_old_failed_attempts_are_forgotten_by_the_jobs():
    import datetime as dt

    from models.tables import FailedAttempt
    from portal.jobs import run_all
    from portal.settings import get_settings

    now = dt.datetime.now(dt.UTC)
    await FailedAttempt.insert(FailedAttempt(scope="link", key="203.0.113.9", at=now - dt.timedelta(days=2)),
                               FailedAttempt(scope="link", key="203.0.113.9", at=now))
    result = await run_all(get_settings())
    assert result["failed_attempts_pruned"] == 1
    assert await FailedAttempt.count() == 1
