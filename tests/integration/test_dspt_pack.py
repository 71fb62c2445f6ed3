"""The DSPT evidence pack for each category x toolkit year, the organisation API, the IG lead's
attestations, the dashboard agreeing with the pack, and the pack opening in LibreOffice."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from docx import Document

from models.tables import Attestation, AuditEvent
from portal.contracts.library import library
from portal.reports import frameworks
from tests import factories

YEARS = ["2023-24", "2024-25", "2025-26", "2026-27"]


@pytest.fixture
async def admin(credentials) -> dict[str, str]:
    return await credentials.headers("admin")


async def an_organisation(client, admin, category: int) -> None:
    response = await client.patch("/api/v1/organisation", headers=admin, json={
        "name": "Riverside Care", "ods_code": "RXX01", "dspt_category": category,
        "ig_lead_name": "Ivy Lead", "siro_name": "Sam Siro"})
    assert response.status_code == 200, response.text


async def records() -> dict:
    """An in-house processor with a clean contract, an offshore processor with no safeguard,
    a lapsed one, and a non-IT shredding firm."""
    good = await factories.supplier(name="Meridian Health Records")
    await factories.contact(good["id"])
    await factories.contract(good["id"], data_locations="United Kingdom", transfer_mechanism="uk",
                             personal_data_types="Health records", processing_nature_purpose="Hosting")
    await factories.certification(good["id"])
    offshore = await factories.supplier(name="Faraway Analytics")
    await factories.contact(offshore["id"])
    await factories.contract(offshore["id"], title="Analytics", data_locations="India",
                             transfer_mechanism="none", system_access="remote")
    lapsed = await factories.supplier(name="Lapsed Payroll")
    today = dt.date.today()
    await factories.contract(lapsed["id"], title="Payroll", start_date=today - dt.timedelta(days=900),
                             end_date=today - dt.timedelta(days=30))
    shred = await factories.supplier(name="Shred Safe", supplier_type="non_it")
    await factories.contract(shred["id"], title="Confidential waste", data_role="processor",
                             patient_data=False)
    return {"good": good, "offshore": offshore, "lapsed": lapsed, "shred": shred}


def text_of(document) -> str:
    body = [p.text for p in document.paragraphs]
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join(body + cells)


def headings(document) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]


async def pack(client, headers, **params):
    response = await client.get("/api/v1/reports/dspt-evidence.docx", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response, Document(io.BytesIO(response.content))


@pytest.mark.parametrize("category", [1, 2, 3, 4])
async def test_pack_for_each_category_and_year(client, admin, reviewer, category):
    await an_organisation(client, admin, category)
    await records()
    keys = set(library())
    for year in YEARS:
        _, document = await pack(client, reviewer, toolkit=year)
        view = frameworks.resolve(year, category)
        text = text_of(document)
        found = headings(document)
        assert f"Toolkit year\n{year}" in text or year in text
        if view.framework == "caf":
            assert any(h.startswith("2. CAF A4.a") for h in found)
            assert any(h == "NA6: True" for h in found)  # offshore with no safeguard
            assert "Faraway Analytics" in text and "Partially achieved" in text
            assert not any(h.startswith("10.") for h in found)
        else:
            refs = [i.ref for i in view.items]
            for ref in refs:
                assert any(h in (f"{ref}: Yes", f"{ref}: No") for h in found), (year, ref, found)
            assert not any(h.startswith(("10.2:", "10.3:")) for h in found)
            assert "Partially" not in "\n".join(found)
            # every in-scope supplier counts, the lapsed one included; non-IT left out of 10.2.1
            assert "Lapsed Payroll" in text and "Shred Safe" in text
        if not view.confirmed:
            assert "Cover note for the IG lead" in found
            for note in view.notes:
                assert note in text
        assert "numbering unconfirmed" not in text
        assert not any(k in text for k in keys), "a raw clause key reached the page"
        assert "processor_" not in text and "self_declared" not in text
        manifest = document.tables[-1] if view.framework == "ndg" else document.tables[-1]
        assert any(len(c.text) == 64 for row in manifest.rows for c in row.cells)


async def test_10_2_1_excludes_non_it_only_there_and_says_so(client, admin, reviewer):
    await an_organisation(client, admin, 4)
    await records()
    _, document = await pack(client, reviewer, toolkit="2025-26")
    text = text_of(document)
    assert "non-IT" in text and "Left out here: Shred Safe" in text
    summary = document.tables[1]  # cover, then the readiness summary
    rows = {r.cells[0].text: r.cells[2].text for r in summary.rows[1:]}
    assert rows == {"10.1.2": "No", "10.2.1": "No", "10.2.2": "No"}
    figure = {r.cells[0].text: r.cells[3].text for r in summary.rows[1:]}
    assert figure["10.1.2"].endswith("of 4 suppliers listed with products, a contact and current contract dates.")
    assert "of 3 suppliers holding" in figure["10.2.1"]
    assert "local bar, shown separately" in "\n".join(headings(document))


async def test_annex_is_the_other_view_labelled_as_such(client, admin, reviewer):
    await an_organisation(client, admin, 1)
    await records()
    _, document = await pack(client, reviewer, toolkit="2026-27", annex="ndg")
    found = headings(document)
    assert any(h.startswith("Annex A: NDG") for h in found)
    assert any(h.startswith("10.2.1: ") for h in found)
    assert "For information only" in text_of(document)
    bad = await client.get("/api/v1/reports/dspt-evidence.docx", headers=reviewer,
                           params={"toolkit": "2026-27", "annex": "both"})
    assert bad.status_code == 400
    unknown = await client.get("/api/v1/reports/dspt-evidence.docx", headers=reviewer,
                               params={"toolkit": "1999-00"})
    assert unknown.status_code == 400 and "2026-27" in unknown.text


async def test_organisation_api(client, admin, reviewer, auditor):
    shown = await client.get("/api/v1/organisation", headers=auditor)
    assert shown.status_code == 200 and shown.json()["dspt_category"] in (1, 2, 3, 4)
    refused = await client.patch("/api/v1/organisation", headers=reviewer, json={"dspt_category": 2})
    assert refused.status_code == 403
    for bad in ({"dspt_category": 5}, {"dspt_category": "two"}, {"colour": "red"},
                {"ig_lead_email": "not an email"}):
        response = await client.patch("/api/v1/organisation", headers=admin, json=bad)
        assert response.status_code == 400, (bad, response.text)
    await an_organisation(client, admin, 3)
    changed = await client.patch("/api/v1/organisation", headers=admin, json={"dspt_category": 2})
    assert changed.json()["dspt_category"] == 2 and changed.json()["name"] == "Riverside Care"
    events = await AuditEvent.select(AuditEvent.action).where(
        AuditEvent.target_type == "organisation")
    assert [e["action"] for e in events][-1] == "organisation.updated"


async def test_attestations_are_audited_and_shown_with_who_and_when(client, admin, reviewer,
                                                                    procurement):
    await an_organisation(client, admin, 1)
    await records()
    body = {"toolkit_year": "2026-27", "statement_id": "NA5", "value": False,
            "note": "IG signs off every procurement over the threshold."}
    assert (await client.post("/api/v1/attestations", headers=procurement, json=body)).status_code == 403
    for bad in ({**body, "statement_id": "NA6"}, {**body, "toolkit_year": "1999-00"},
                {**body, "value": "maybe"}):
        response = await client.post("/api/v1/attestations", headers=reviewer, json=bad)
        assert response.status_code == 400, (bad, response.text)
    nameless = await client.post("/api/v1/attestations", headers=reviewer, json=body)
    assert nameless.status_code == 400 and "an API token is not a person" in nameless.text
    made = await client.post("/api/v1/attestations", headers=reviewer,
                             json={**body, "name": "  Ivy   Lead "})
    assert made.status_code == 201, made.text
    assert made.json()["attested_by"] == "Ivy Lead"
    event = await AuditEvent.select(AuditEvent.actor).where(
        AuditEvent.action == "attestation.recorded").first()
    assert event["actor"] == "token:test-reviewer"  # who sent it stays on the trail
    listed = (await client.get("/api/v1/attestations", params={"toolkit": "2026-27"},
                               headers=reviewer)).json()
    assert [a["statement_id"] for a in listed] == ["NA5"]
    assert await AuditEvent.exists().where(AuditEvent.action == "attestation.recorded")
    _, document = await pack(client, reviewer, toolkit="2026-27")
    text = text_of(document)
    assert "NA5: False" in headings(document)
    assert "Attested false by Ivy Lead (IG lead)" in text
    assert await Attestation.count() == 1


async def test_dashboard_readiness_agrees_with_the_pack(client, admin, reviewer):
    from portal.reports import evidence
    from portal.staff import dashboard

    for category in (1, 4):
        await an_organisation(client, admin, category)
        if category == 1:
            await records()
        shown = await dashboard.overview()
        year = frameworks.live_year()
        pack_view = await evidence.evaluate(toolkit=year)
        assert shown["readiness_year"] == year
        assert shown["readiness_headline"] == pack_view.headline
        assert [(r["ref"], r["answer"]) for r in shown["readiness"]] == \
            [(line.ref, line.answer) for line in pack_view.lines]
        _, document = await pack(client, reviewer, toolkit=year)
        summary = {r.cells[0].text.split(":")[0]: r.cells[2].text for r in document.tables[1].rows[1:]}
        assert {r["ref"]: r["answer"] for r in shown["readiness"]} == summary


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")),
                    reason="LibreOffice is not installed")
async def test_pack_converts_to_pdf(client, admin, reviewer):
    await an_organisation(client, admin, 1)
    await records()
    response, _ = await pack(client, reviewer, toolkit="2026-27", annex="ndg")
    office = shutil.which("soffice") or shutil.which("libreoffice")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "pack.docx"
        source.write_bytes(response.content)
        result = await asyncio.to_thread(subprocess.run, [
            office, f"-env:UserInstallation=file://{folder}/profile", "--headless",
            "--convert-to", "pdf", "--outdir", folder, str(source)], capture_output=True, timeout=240)
        pdf = Path(folder) / "pack.pdf"
        assert pdf.exists() and pdf.stat().st_size > 10_000, result.stderr
        keep = os.environ.get("KEEP_PACK_PDF")  # to look at the pages by hand
        if keep:
            shutil.copy(pdf, keep)


async def test_the_ig_lead_attests_in_the_workspace(client):
    import re

    from tests.integration.conftest import staff_session

    client.cookies.set("id", await staff_session("reviewer", username="ig-lead"))
    listing = await client.get("/staff/attestations")
    assert listing.status_code == 200 and "NA5" in listing.text and "Not yet" in listing.text
    form = await client.get("/staff/attestations/2026-27/NA5")
    assert form.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)[1]
    bad = await client.post("/staff/attestations/2026-27/NA5", data={
        "csrf": csrf, "value": "", "note": "Procurement policy 4.2", "role": "I"})
    assert bad.status_code == 400
    assert "Choose whether the statement is true" in bad.text and "Enter your role" in bad.text
    assert "Procurement policy 4.2" in bad.text  # what was typed is kept
    assert "nhsuk-error-summary" in bad.text
    good = await client.post("/staff/attestations/2026-27/NA5", data={
        "csrf": csrf, "value": "no", "note": "Procurement policy 4.2", "role": "IG lead"})
    assert good.status_code == 303
    listing = await client.get("/staff/attestations?year=2026-27")
    assert "False" in listing.text and "Procurement policy 4.2" in listing.text
    row = (await Attestation.select().first())
    assert row["value"] is False and row["statement_id"] == "NA5" and row["role"] == "IG lead"
    assert (await client.get("/staff/attestations/2026-27/NA6")).status_code == 404  # from records
    client.cookies.set("id", await staff_session("auditor", username="aud-att"))
    assert (await client.get("/staff/attestations/2026-27/NA5")).status_code in (403, 303)
    assert (await client.get("/staff/attestations")).status_code == 200


async def test_pack_as_at_a_date_answers_from_the_records_of_that_day(client, admin, reviewer,
                                                                      monkeypatch):
    from portal.core import dates

    real = dates.now
    last_week = real() - dt.timedelta(days=7)
    monkeypatch.setattr(dates, "now", lambda: last_week)
    await an_organisation(client, admin, 4)
    supplier = await factories.supplier(name="Northern Couriers")
    await factories.contract(supplier["id"], title="Courier service", data_role="processor")
    monkeypatch.setattr(dates, "now", real)
    await factories.contact(supplier["id"])  # added today: 10.1.2 could only say Yes since
    day = last_week.astimezone(dates.UK).date()

    def register_answer(document):
        return {r.cells[0].text: r.cells[2].text for r in document.tables[1].rows[1:]}["10.1.2"]

    _, then = await pack(client, reviewer, toolkit="2025-26", as_at=day.isoformat())
    _, now = await pack(client, reviewer, toolkit="2025-26")
    assert register_answer(then) == "No" and register_answer(now) == "Yes"
    assert f"end of {day:%d %B %Y}" in text_of(then)
    assert "no contact recorded" in text_of(then)


async def test_an_attestation_as_at_a_day_is_judged_by_the_uk_day(monkeypatch):
    """Made at 00:30 BST on 1 July (23:30 UTC on 30 June): not part of the records as at the
    30 June deadline, as every other record as at a date."""
    import datetime as dt

    from portal.core import dates
    from portal.reports import attestations

    moment = dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC)
    monkeypatch.setattr(dates, "now", lambda: moment)
    await attestations.attest(attestations.AttestationCreate(
        toolkit_year="2025-26", statement_id="NA5", value=False, name="Ivy Lead"))
    assert await attestations.current("2025-26", as_at=dt.date(2026, 6, 30)) == {}
    assert list(await attestations.current("2025-26", as_at=dt.date(2026, 7, 1))) == ["NA5"]
