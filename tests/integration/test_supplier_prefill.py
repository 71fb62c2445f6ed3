"""Pre-filling a new questionnaire from earlier answers (issue #16 item 4): a signed bundle
the supplier uploads (good, tampered, expired, malformed, untrusted, someone else's), or our
own earlier accepted answers; drafts marked with their source, checked section by section
before submit, shown to the reviewer; the same pre-fill fired twice at once fills once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.tables import Answer, AuditEvent
from portal.assessments import service as assessments
from portal.assessments.pages import form_token
from portal.bundles import envelope, keys
from portal.bundles import service as bundles
from tests import factories
from tests.integration.bundle_steps import _as_other, _payload


async def _two_rounds():
    """An accepted assessment (its signed bundle) and a new one sent to the same supplier."""
    s = await factories.supplier(companies_house_number="01234567")
    c = await factories.contact(s["id"])
    first, _ = await factories.submitted_assessment(s["id"], c["id"])
    await assessments.review(first["id"], decision="accept", comment="Good.",
                             question_ids=None, reviewer="demo-reviewer")
    signed = await bundles.build(first["id"])
    second, token = await factories.sent_assessment(s["id"], c["id"])
    return s, c, first, signed, second, token


async def _upload(client, token, data: bytes):
    return await client.post(f"/respond/{token}/signed-answers",
                             data={"csrf": form_token(token)},
                             files={"bundle": ("answers.json", data, "application/json")})


async def _rows(assessment_id):
    return await Answer.select().where(Answer.assessment == assessment_id)


def _bytes(signed) -> bytes:
    return json.dumps(signed).encode()


async def test_our_own_bundle_prefills_verified_drafts_checked_before_submit(client):
    s, c, first, signed, second, token = await _two_rounds()
    start = await client.get(f"/respond/{token}")
    assert "Upload signed answers" in start.text
    response = await _upload(client, token, _bytes(signed))
    assert response.status_code == 303, response.text
    assert "prefilled=" in response.headers["location"]
    rows = await _rows(second["id"])
    assert rows and all(r["prefill_kind"] == "bundle_verified" for r in rows)
    assert all("signature verified" in r["prefill_source"] for r in rows)
    page = await client.get(response.headers["location"])
    assert "pre-filled to check" in page.text
    # Submit refused until each section holding pre-filled answers was opened and saved.
    await factories.answered(token)  # anything the bundle could not fill (files)
    refused = await client.post(f"/respond/{token}/submit", data={"csrf": form_token(token)})
    assert refused.status_code == 400
    assert "Check the pre-filled answers" in refused.text
    view = await assessments.supplier_view(token)
    unchecked = view["assessment"]["prefill_unchecked"]
    assert unchecked
    section = unchecked[0]
    saved = await client.post(f"/respond/{token}/section/{section}",
                              data={"csrf": form_token(token)})
    assert saved.status_code == 303
    view = await assessments.supplier_view(token)
    assert section not in view["assessment"]["prefill_unchecked"]
    for other in view["assessment"]["prefill_unchecked"]:
        await client.post(f"/respond/{token}/section/{other}", data={"csrf": form_token(token)})
    done = await client.post(f"/respond/{token}/submit", data={"csrf": form_token(token)})
    assert done.status_code == 200, done.text
    assert await AuditEvent.exists().where(AuditEvent.action == "answer.prefilled")


async def test_reviewer_sees_prefilled_and_whether_changed(client):
    from tests.integration.journeys import admin_client

    s, c, first, signed, second, token = await _two_rounds()
    await bundles.prefill_from_bundle(token, _bytes(signed))
    rows = {r["question_id"]: r for r in await _rows(second["id"])}
    changed = next(q for q, r in rows.items() if json.loads(r["value"]) == "yes")
    await assessments.save_answer(token, changed, value="no", version=rows[changed]["version"])
    await assessments.mark_prefill_checked(token, list(rows))
    await factories.answered(token)
    await assessments.submit(token)
    await admin_client(client, "reviewer")
    page = await client.get(f"/staff/assessments/{second['id']}")
    assert page.status_code == 200
    assert "Pre-filled from signed answers from" in page.text
    assert "the supplier changed it" in page.text
    assert "the supplier kept it unchanged" in page.text


async def test_never_overwrites_what_the_supplier_typed(client):
    s, c, first, signed, second, token = await _two_rounds()
    qid = next(a["question_id"] for a in _payload(signed)["answers"]
               if a["value"] == "yes")
    await assessments.save_answer(token, qid, value="no")
    await bundles.prefill_from_bundle(token, _bytes(signed))
    row = await Answer.select().where((Answer.assessment == second["id"])
                                      & (Answer.question_id == qid)).first()
    assert json.loads(row["value"]) == "no" and row["prefill_kind"] == ""


async def test_tampered_expired_malformed_and_other_suppliers_files_are_refused(client):
    s, c, first, signed, second, token = await _two_rounds()
    payload = _payload(signed)
    payload["answers"][0]["value"] = "changed"
    tampered = {**signed, "payload": envelope.b64(json.dumps(payload).encode())}
    response = await _upload(client, token, _bytes(tampered))
    assert response.status_code == 422 and "has been changed" in response.text
    expired = envelope.sign({**_payload(signed), "expires_on": "2020-01-01"}, keys.private_key())
    response = await _upload(client, token, _bytes(expired))
    assert response.status_code == 422 and "expired" in response.text
    response = await _upload(client, token, b"this is not a bundle")
    assert response.status_code == 400 and "not a JSON bundle" in response.text
    someone = envelope.sign({**_payload(signed), "supplier": {
        "name": "Another Ltd", "companies_house_number": "99999999"}}, keys.private_key())
    response = await _upload(client, token, _bytes(someone))
    assert response.status_code == 400 and "Another Ltd" in response.text
    missing = await client.post(f"/respond/{token}/signed-answers",
                                data={"csrf": form_token(token)})
    assert missing.status_code == 400 and "Choose the file" in missing.text
    assert not await _rows(second["id"])
    assert not await AuditEvent.exists().where(AuditEvent.action == "answer.prefilled")


async def test_untrusted_issuer_prefills_marked_signature_not_checked(client):
    s, c, first, signed, second, token = await _two_rounds()
    other = Ed25519PrivateKey.generate()
    theirs = _as_other(signed, other)
    response = await _upload(client, token, _bytes(theirs))
    assert response.status_code == 303, response.text
    rows = await _rows(second["id"])
    assert rows and all(r["prefill_kind"] == "bundle_unverified" for r in rows)
    assert "signature not checked" in rows[0]["prefill_source"]
    assert "North Moor ICB" in rows[0]["prefill_source"]


async def test_last_years_answers_are_offered_and_prefill(client):
    s, c, first, signed, second, token = await _two_rounds()
    start = await client.get(f"/respond/{token}")
    when = dt.date.today()
    assert f"Use your answers from {when:%-d %B %Y}" in start.text
    response = await client.post(f"/respond/{token}/use-previous",
                                 data={"csrf": form_token(token)})
    assert response.status_code == 303
    rows = await _rows(second["id"])
    assert rows and all(r["prefill_kind"] == "previous" for r in rows)
    assert f"(assessment {first['id']})" in rows[0]["prefill_source"]
    again = await client.get(f"/respond/{token}")
    assert "Use your answers from" not in again.text


async def test_no_offer_without_an_earlier_accepted_assessment(client):
    s = await factories.supplier()
    c = await factories.contact(s["id"])
    _, token = await factories.sent_assessment(s["id"], c["id"])
    start = await client.get(f"/respond/{token}")
    assert "Use your answers from" not in start.text
    refused = await client.post(f"/respond/{token}/use-previous", data={"csrf": form_token(token)})
    assert refused.status_code == 404


async def test_same_prefill_fired_twice_at_once_fills_each_question_once(client):
    s, c, first, signed, second, token = await _two_rounds()
    data = _bytes(signed)
    results = await asyncio.gather(bundles.prefill_from_bundle(token, data),
                                   bundles.prefill_from_bundle(token, data),
                                   return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)], results
    filled = [len(r["filled"]) for r in results]
    assert sorted(filled)[0] == 0 and sorted(filled)[1] > 0
    rows = await _rows(second["id"])
    ids = [r["question_id"] for r in rows]
    assert len(ids) == len(set(ids)) == max(filled)
    assert await AuditEvent.count().where(AuditEvent.action == "answer.prefilled") == 1
