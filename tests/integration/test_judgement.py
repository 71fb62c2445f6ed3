"""Issue 11 through the API: tier inputs, gates, the breach window set by hand, knock-outs,
SIRO acceptances and certificate verification move the stored score and its reasons."""

from __future__ import annotations

from tests.integration.conftest import SUPPLIER, contract_body


async def _score(client, headers, supplier_id):
    response = await client.get(f"/api/v1/suppliers/{supplier_id}/score", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_access_and_supplier_type_are_recorded_and_set_the_tier(client, procurement, reviewer):
    body = {**SUPPLIER, "handles_personal_data": False, "handles_patient_data": False,
            "affects_care": False, "supplier_type": "it_service", "name": "Northgate Managed IT"}
    supplier = (await client.post("/api/v1/suppliers", json=body, headers=procurement)).json()
    assert supplier["supplier_type"] == "it_service"
    contract = await client.post("/api/v1/contracts", headers=procurement, json=contract_body(
        supplier["id"], data_role="none", personal_data=False, patient_data=False))
    assert contract.status_code == 201, contract.text
    contract = contract.json()
    assert (contract["system_access"], contract["supports_essential_function"],
            contract["special_category_data"]) == ("none", False, False)
    assert (await _score(client, reviewer, supplier["id"]))["tier"] == "baseline"
    changed = await client.patch(f"/api/v1/contracts/{contract['id']}", headers=procurement,
                                 json={"system_access": "privileged"})
    assert changed.status_code == 200 and changed.json()["system_access"] == "privileged"
    score = await _score(client, reviewer, supplier["id"])
    assert score["tier"] == "critical" and "privileged access" in score["tier_reasons"][0]
    shown = (await client.get(f"/api/v1/suppliers/{supplier['id']}", headers=reviewer)).json()
    assert shown["tier"] == "critical"
    bad = await client.patch(f"/api/v1/contracts/{contract['id']}", headers=procurement,
                             json={"system_access": "godmode"})
    assert bad.status_code == 400
    bad = await client.patch(f"/api/v1/suppliers/{supplier['id']}", headers=procurement,
                             json={"supplier_type": "robot"})
    assert bad.status_code == 400


async def test_breach_hours_set_by_hand_and_article_28_not_applicable_refused(client, procurement,
                                                                                reviewer):
    supplier = (await client.post("/api/v1/suppliers", json=SUPPLIER, headers=procurement)).json()
    contract = (await client.post("/api/v1/contracts", headers=procurement,
                                  json=contract_body(supplier["id"]))).json()
    url = f"/api/v1/contracts/{contract['id']}/clauses"
    refused = await client.put(f"{url}/art28.sub_processors", headers=reviewer,
                               json={"status": "not_applicable"})
    assert refused.status_code == 400 and "processor" in refused.text
    slow = await client.put(f"{url}/breach.notification", headers=reviewer,
                            json={"status": "present", "hours": 72})
    assert slow.status_code == 200 and slow.json()["hours"] == 72
    reasons = " ".join(c for k in (await _score(client, reviewer, supplier["id"]))["criteria"]
                       if k["key"] == "contracted" for c in k["reasons"])
    assert "72 hours" in reasons
    fast = await client.put(f"{url}/breach.notification", headers=reviewer,
                            json={"status": "present", "hours": 24})
    assert fast.json()["hours"] == 24
    reasons = " ".join(c for k in (await _score(client, reviewer, supplier["id"]))["criteria"]
                       if k["key"] == "contracted" for c in k["reasons"])
    assert "breach notification" not in reasons.lower()
    immediate = await client.put(f"{url}/breach.notification", headers=reviewer,
                                 json={"status": "present", "immediately": True})
    assert immediate.json()["hours"] == 0
    wrong = await client.put(f"{url}/staff.training", headers=reviewer,
                             json={"status": "present", "hours": 24})
    assert wrong.status_code == 400
    negative = await client.put(f"{url}/breach.notification", headers=reviewer,
                                json={"status": "present", "hours": -1})
    assert negative.status_code == 400


async def test_processing_on_an_expired_contract_is_red(client, procurement, reviewer):
    body = {**SUPPLIER, "handles_patient_data": False, "affects_care": False,
            "name": "Payroll bureau"}
    supplier = (await client.post("/api/v1/suppliers", json=body, headers=procurement)).json()
    await client.post("/api/v1/contracts", headers=procurement, json=contract_body(
        supplier["id"], patient_data=False, start_date="2020-04-01", end_date="2024-03-31",
        notice_date=None))
    score = await _score(client, reviewer, supplier["id"])
    assert score["rating"] == "red"
    assert any("Processing without a contract" in g for g in score["gates"])


# Knock-outs and SIRO acceptances ------------------------------------------------------


async def _answered(client, procurement, reviewer, overrides: dict, *, accept=True):
    from tests.integration.journeys import answer_everything, onboard, send, upload

    supplier, contact = await onboard(client, procurement, name="QuickScribe UK")
    sent, token = await send(client, procurement, supplier, contact)
    evidence = (await upload(client, token, "cyber_essentials_certificate")).json()
    for question_id, value in overrides.items():
        saved = await client.put(f"/api/v1/respond/{token}/answers/{question_id}",
                                 json={"value": value})
        assert saved.status_code == 200, (question_id, saved.text)
    await answer_everything(client, token, evidence["id"])
    assert (await client.post(f"/api/v1/respond/{token}/submit")).status_code == 200
    if accept:
        accepted = await client.post(f"/api/v1/assessments/{sent['id']}/review", headers=reviewer,
                                     json={"decision": "accept"})
        assert accepted.status_code == 200, accepted.text
    return supplier, sent


OFFSHORE = {"data_in_uk": "no", "transfer_countries": "India, USA",
            "transfer_safeguards": "none", "mfa": "none"}


async def test_knock_out_answers_open_linked_risks_and_cap_the_rating_at_red(client, procurement,
                                                                             reviewer):
    supplier, sent = await _answered(client, procurement, reviewer, OFFSHORE)
    risks = (await client.get("/api/v1/risks", params={"supplier_id": supplier["id"]},
                              headers=reviewer)).json()
    knocked = {r["question_id"]: r for r in risks if r["source_key"]}
    assert set(knocked) == {"transfer_safeguards", "mfa"}
    transfer = knocked["transfer_safeguards"]
    assert transfer["source_key"] == f"knockout:{sent['id']}:transfer_safeguards"
    assert transfer["assessment_id"] == sent["id"] and transfer["severity"] == "high"
    assert "Chapter V" in transfer["criterion"]
    score = await _score(client, reviewer, supplier["id"])
    assert score["rating"] == "red"
    knockouts = [c for c in score["caps"] if c["kind"] == "knockout"]
    assert len(knockouts) == 2 and all(c["rating"] == "red" for c in knockouts)
    assert any("no transfer safeguard" in g for g in score["gates"])
    # the due diligence criterion names the failing answers
    due = next(c for c in score["criteria"] if c["key"] == "due_diligence")
    assert any("No safeguard in place" in r for r in due["reasons"])

    # insert-if-absent: deriving again (any later write) never opens a second risk
    await client.patch(f"/api/v1/suppliers/{supplier['id']}", headers=procurement,
                       json={"notes": "Offshore transcription"})
    again = (await client.get("/api/v1/risks", params={"supplier_id": supplier["id"]},
                              headers=reviewer)).json()
    assert len([r for r in again if r["source_key"]]) == 2

    # mitigated: the cap goes
    mitigated = await client.patch(f"/api/v1/risks/{knocked['mfa']['id']}", headers=reviewer,
                                   json={"status": "mitigated", "owner": "Sam Patel",
                                         "mitigation": "MFA enforced on every account"})
    assert mitigated.status_code == 200, mitigated.text
    score = await _score(client, reviewer, supplier["id"])
    assert [c["key"] for c in score["caps"] if c["kind"] == "knockout"] == [
        transfer["source_key"]]


async def test_a_siro_acceptance_makes_it_amber_and_lapses_at_its_date(client, procurement,
                                                                       reviewer):
    import datetime as dt

    from portal.scoring.service import recompute_all

    supplier, _ = await _answered(client, procurement, reviewer,
                                  {"data_in_uk": "no", "transfer_countries": "India",
                                   "transfer_safeguards": "none"})
    risk = next(r for r in (await client.get("/api/v1/risks", params={
        "supplier_id": supplier["id"]}, headers=reviewer)).json() if r["source_key"])
    url = f"/api/v1/risks/{risk['id']}/accept"
    until = dt.date.today() + dt.timedelta(days=60)
    body = {"accepted_by": "Dr Priya Shah", "role": "SIRO",
            "reason": "Transfer impact assessment under way; IDTA signed by March.",
            "until": until.isoformat()}
    for bad in ({**body, "role": "Reviewer"}, {**body, "until": "2020-01-01"},
                {**body, "until": (dt.date.today() + dt.timedelta(days=800)).isoformat()},
                {**body, "reason": ""}):
        assert (await client.post(url, headers=reviewer, json=bad)).status_code == 400, bad
    accepted = await client.post(url, headers=reviewer, json=body)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["accepted_by"] == "Dr Priya Shah"
    score = await _score(client, reviewer, supplier["id"])
    cap = next(c for c in score["caps"] if c["kind"] == "knockout")
    assert cap["rating"] == "amber" and "Dr Priya Shah (SIRO)" in cap["acceptance"]
    assert score["rating"] != "green"
    assert any("Dr Priya Shah" in g and until.strftime("%d %B %Y") in g for g in score["gates"])
    # time alone: the nightly rescoring after the date finds it lapsed
    await recompute_all(today=until + dt.timedelta(days=1))
    lapsed = await _score(client, reviewer, supplier["id"])
    cap = next(c for c in lapsed["caps"] if c["kind"] == "knockout")
    assert lapsed["rating"] == "red" and cap["rating"] == "red" and "lapsed" in cap["reason"]


async def test_a_gate_recorded_as_a_risk_can_be_accepted(client, procurement, reviewer):
    import datetime as dt

    body = {**SUPPLIER, "handles_patient_data": False, "affects_care": False, "name": "Payroll"}
    supplier = (await client.post("/api/v1/suppliers", json=body, headers=procurement)).json()
    assert (await _score(client, reviewer, supplier["id"]))["rating"] == "red"
    risk = await client.post("/api/v1/risks", headers=reviewer, json={
        "supplier_id": supplier["id"], "kind": "risk", "title": "Payroll runs without a contract",
        "severity": "high", "owner": "Finance director", "mitigation": "Contract being signed",
        "gate": "processing_without_contract"})
    assert risk.status_code == 201, risk.text
    await client.post(f"/api/v1/risks/{risk.json()['id']}/accept", headers=reviewer, json={
        "accepted_by": "Dr Priya Shah", "role": "SIRO", "reason": "Payroll must run this month.",
        "until": (dt.date.today() + dt.timedelta(days=30)).isoformat()})
    score = await _score(client, reviewer, supplier["id"])
    gate = next(c for c in score["caps"] if c["key"] == "processing_without_contract")
    assert gate["rating"] == "amber" and gate["acceptance"]


async def test_knock_out_risks_open_once_when_derived_together():
    """Two transactions deriving the same knock-outs at once open each risk once."""
    import asyncio

    from models.tables import Risk
    from portal.core.db import write_transaction
    from portal.scoring.knockouts import open_knockout_risks
    from tests import factories

    supplier = await factories.supplier()
    contact = await factories.contact(supplier["id"])
    assessment_id = await _accepted_assessment(supplier["id"], contact["id"],
                                               {"incident_plan": "no", "mfa": "none"})

    async def derive():
        async with write_transaction():
            return await open_knockout_risks([supplier["id"]])

    results = await asyncio.gather(derive(), derive(), derive())
    assert sum(results) == 2
    rows = await Risk.select(Risk.source_key).where(Risk.supplier == supplier["id"])
    assert sorted(r["source_key"] for r in rows) == [
        f"knockout:{assessment_id}:incident_plan", f"knockout:{assessment_id}:mfa"]


async def _accepted_assessment(supplier_id: int, contact_id: int, answers: dict) -> int:
    """An accepted assessment written straight to the tables (for the race test only)."""
    import json

    from models.tables import Answer, Assessment, QuestionnaireDefinition
    from questionnaires.loader import shipped

    definition = shipped()["ndg10-supplier-due-diligence"]
    row = await QuestionnaireDefinition.select(QuestionnaireDefinition.id).where(
        QuestionnaireDefinition.content_hash == definition.content_hash).first()
    if row is None:
        stored = QuestionnaireDefinition(key=definition.key, version=definition.version,
                                         title=definition.title,
                                         content_hash=definition.content_hash,
                                         content=definition.canonical_json())
        await stored.save()
        definition_id = stored.id
    else:
        definition_id = row["id"]
    import datetime as dt

    assessment = Assessment(supplier=supplier_id, contact=contact_id, definition=definition_id,
                            status="accepted", decided_at=dt.datetime.now(dt.UTC))
    await assessment.save()
    for question_id, value in answers.items():
        await Answer(assessment=assessment.id, question_id=question_id,
                     value=json.dumps(value)).save()
    return assessment.id


async def test_derivers_run_in_registration_order_whatever_order_the_writes_came_in():
    from portal.core import audit, changes
    from portal.core.db import write_transaction

    ran: list[str] = []

    async def first(ids):
        ran.append("first")

    async def second(ids):
        ran.append("second")

    saved = dict(changes._derivers)
    changes._derivers.clear()
    changes.register("first", first, ignores=("contract.updated",))
    changes.register("second", second)
    try:
        async with write_transaction():
            # the first write only touches "second"; "first" still runs first
            await audit.record("contract.updated", target_type="contract", target_id=1,
                               supplier_id=7)
            await audit.record("assessment.accepted", target_type="assessment", target_id=1,
                               supplier_id=7)
        assert ran == ["first", "second"]
    finally:
        changes._derivers.clear()
        changes._derivers.update(saved)


# Certification that proves something --------------------------------------------------


async def test_a_parent_company_certificate_counts_only_once_a_reviewer_clears_its_flags(
        client, procurement, reviewer):
    body = {**SUPPLIER, "name": "QuickScribe UK", "legal_name": "QuickScribe UK Ltd"}
    supplier = (await client.post("/api/v1/suppliers", json=body, headers=procurement)).json()
    created = await client.post("/api/v1/certifications", headers=reviewer, json={
        "supplier_id": supplier["id"], "scheme": "iso27001", "edition": "27001:2022",
        "certificate_number": "IS 765432", "certification_body": "BSI",
        "accreditation_body": "UKAS", "legal_entity": "QuickScribe Holdings Inc",
        "scope": "UK sales office only", "issued_on": "2025-02-01", "expires_on": "2028-01-31"})
    assert created.status_code == 201, created.text
    cert = created.json()
    assert set(cert["flag_codes"]) == {"legal_entity", "scope"} and not cert["satisfies"]
    url = f"/api/v1/certifications/{cert['id']}/verify"
    no_why = await client.post(url, headers=reviewer, json={
        "checked": "UKAS CertCheck", "clear_flags": ["scope"]})
    assert no_why.status_code == 400
    not_open = await client.post(url, headers=reviewer, json={
        "checked": "UKAS CertCheck", "clear_flags": ["accreditation"], "note": "Checked it"})
    assert not_open.status_code == 400 and "no open flag" in not_open.text
    assert (await client.post(url, headers=procurement, json={
        "checked": "UKAS CertCheck"})).status_code == 403
    partly = await client.post(url, headers=reviewer, json={
        "checked": "UKAS CertCheck: certificate IS 765432 valid", "clear_flags": ["legal_entity"],
        "note": "The group certificate names the UK subsidiary in its annex."})
    assert partly.status_code == 200, partly.text
    partly = partly.json()
    assert partly["verification"] == "reviewer_checked" and partly["flag_codes"] == ["scope"]
    assert not partly["satisfies"]
    done = (await client.post(url, headers=reviewer, json={
        "checked": "Scope statement v4 read", "clear_flags": ["scope"],
        "note": "Scope statement v4 covers the transcription service."})).json()
    assert done["satisfies"] and done["flag_codes"] == []
    assert [c["flag"] for c in done["flags_cleared"]] == ["legal_entity", "scope"]
    assert done["flags_cleared"][1]["by"] and done["verified_at"]
    from models.tables import AuditEvent
    assert await AuditEvent.count().where(AuditEvent.action == "certification.verified") == 2
    # changing what the certificate says undoes the check
    changed = (await client.patch(f"/api/v1/certifications/{cert['id']}", headers=reviewer,
                                  json={"scope": "Sales office only"})).json()
    assert changed["verification"] == "self_declared" and "scope" in changed["flag_codes"]


async def test_a_register_row_outranks_a_self_declared_dspt_and_a_contradiction_is_a_gate(
        client, procurement, reviewer):
    from portal.certifications.register_import import import_dspt

    supplier = (await client.post("/api/v1/suppliers", json=SUPPLIER, headers=procurement)).json()
    await client.post("/api/v1/certifications", headers=reviewer, json={
        "supplier_id": supplier["id"], "scheme": "dspt", "status": "25/26 Standards Exceeded"})
    await import_dspt("Code,Organisation Name,Status,Date Of Publication\n"
                      "8JD12,Meridian Health Records Ltd,Not Published,\n")
    score = await _score(client, reviewer, supplier["id"])
    assert any(c["key"] == "dspt_contradiction" for c in score["caps"])
    certified = next(c for c in score["criteria"] if c["key"] == "certified")
    assert any("superseded by the DSPT register" in r for r in certified["reasons"])
    assert any("Not Published" in g for g in score["gates"])


async def test_non_it_suppliers_are_judged_by_their_own_scheme(client, procurement, reviewer):
    body = {**SUPPLIER, "name": "Shred Secure", "legal_name": "Shred Secure Ltd",
            "affects_care": False, "supplier_type": "non_it"}
    supplier = (await client.post("/api/v1/suppliers", json=body, headers=procurement)).json()
    other = await client.post("/api/v1/certifications", headers=reviewer, json={
        "supplier_id": supplier["id"], "scheme": "other", "issued_on": "2025-06-01"})
    assert other.status_code == 400 and "scheme_name" in other.text
    waste = (await client.post("/api/v1/certifications", headers=reviewer, json={
        "supplier_id": supplier["id"], "scheme": "other", "scheme_name": "BS EN 15713:2023",
        "legal_entity": "Shred Secure Ltd", "issued_on": "2025-06-01",
        "expires_on": "2028-05-31"})).json()
    await client.post(f"/api/v1/certifications/{waste['id']}/verify", headers=reviewer,
                      json={"checked": "Certification body register entry"})
    from portal.certifications.register_import import import_dspt

    await client.patch(f"/api/v1/suppliers/{supplier['id']}", headers=procurement,
                       json={"ods_code": "8WS01"})
    await import_dspt("Code,Organisation Name,Status,Date Of Publication\n"
                      "8WS01,Shred Secure Ltd,25/26 Standards Met,20/06/2026\n")
    certified = next(c for c in (await _score(client, reviewer, supplier["id"]))["criteria"]
                     if c["key"] == "certified")
    assert certified["met"], certified["reasons"]
    assert any("non-IT" in r for r in certified["reasons"])
    assert not any("10.2.1" in r for r in certified["reasons"])


async def test_an_uploaded_certificate_becomes_a_pending_record_for_a_reviewer(client, procurement,
                                                                               reviewer):
    from tests.integration.journeys import (
        PDF,
        answer_everything,
        onboard,
        send,
        upload,
    )

    supplier, contact = await onboard(client, procurement, name="Meridian")
    sent, token = await send(client, procurement, supplier, contact)
    answers = {"certifications_held": ["iso27001"], "iso27001_certificate_number": "IS 123456",
               "iso27001_issue_date": "2025-01-15", "iso27001_expiry": "2028-01-14",
               "iso27001_edition": "iso2022", "iso27001_certification_body": "BSI",
               "iso27001_accredited": "yes", "iso27001_accreditation_body": "UKAS",
               "iso27001_legal_entity": "Meridian Health Records Ltd",
               "iso27001_scope": "The provision of hosted electronic patient records"}
    for question_id, value in answers.items():
        saved = await client.put(f"/api/v1/respond/{token}/answers/{question_id}",
                                 json={"value": value})
        assert saved.status_code == 200, (question_id, saved.text)
    evidence = (await upload(client, token, "iso27001_certificate", PDF)).json()
    await answer_everything(client, token, evidence["id"])
    await client.post(f"/api/v1/respond/{token}/submit")
    before = (await client.get("/api/v1/certifications", params={"supplier_id": supplier["id"]},
                               headers=reviewer)).json()
    assert before["total"] == 0  # nothing until a reviewer accepts the questionnaire
    await client.post(f"/api/v1/assessments/{sent['id']}/review", headers=reviewer,
                      json={"decision": "accept"})
    certs = (await client.get("/api/v1/certifications", params={"supplier_id": supplier["id"]},
                              headers=reviewer)).json()["items"]
    assert len(certs) == 1
    cert = certs[0]
    assert (cert["scheme"], cert["certificate_number"], cert["verification"], cert["edition"],
            cert["accreditation_body"]) == ("iso27001", "IS 123456", "evidence_uploaded", "2022",
                                            "UKAS")
    assert cert["expires_on"] == "2028-01-14" and cert["satisfies"]
    # a later write rederives: still one record
    await client.patch(f"/api/v1/suppliers/{supplier['id']}", headers=procurement,
                       json={"notes": "x"})
    again = (await client.get("/api/v1/certifications", params={"supplier_id": supplier["id"]},
                              headers=reviewer)).json()
    assert again["total"] == 1
    verified = await client.post(f"/api/v1/certifications/{cert['id']}/verify", headers=reviewer,
                                 json={"checked": "UKAS CertCheck: IS 123456, BSI, valid"})
    assert verified.json()["verification"] == "reviewer_checked"


async def test_the_supplier_page_shows_knock_outs_data_locations_and_failing_answers(
        client, procurement, reviewer):
    from tests.integration.journeys import sign_in

    supplier, _ = await _answered(client, procurement, reviewer,
                                  {**OFFSHORE, "data_locations": "Chennai (India), Virginia (USA)",
                                   "uses_subprocessors": "yes",
                                   "subprocessor_list": "ScribeCo Pvt Ltd, Chennai: typing"})
    await sign_in(client, "reviewer")
    page = await client.get(f"/staff/suppliers/{supplier['id']}")
    assert page.status_code == 200
    text = page.text
    assert "Red whatever the points: knock-out answer" in text
    assert "Chennai (India), Virginia (USA)" in text and "ScribeCo Pvt Ltd" in text
    assert "No safeguard in place" in text and "Not yet" in text
    assert "Opened by a knock-out answer" in text


async def test_the_supplier_report_never_hides_offshore_data_without_a_safeguard(
        client, procurement, reviewer):
    import io

    from docx import Document

    supplier, _ = await _answered(client, procurement, reviewer,
                                  {**OFFSHORE, "data_locations": "Chennai (India), Virginia (USA)"})
    response = await client.get(f"/api/v1/suppliers/{supplier['id']}/report.docx",
                                headers=reviewer)
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    text = "\n".join([p.text for p in document.paragraphs] + [
        cell.text for t in document.tables for row in t.rows for cell in row.cells])
    assert "Chennai (India), Virginia (USA)" in text and "No safeguard in place" in text
    assert "Knock-out answer" in text and "What the supplier told us" in text
