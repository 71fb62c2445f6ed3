"""The generated schedule per data role: Article 28 terms, a data sharing agreement outline, an
Article 26 outline; annexes from the records; refused in words when it can't be written."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from docx import Document
from docx.oxml.ns import qn

from portal.assessments import service as assessments
from portal.schedules.document import TERMS
from portal.suppliers import service as suppliers
from portal.suppliers.schemas import SubProcessorCreate
from tests import factories
from tests.contract_corpus import plain_english

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PARTICULARS = {
    "processing_subject_matter": "Hosting and support of the trust's electronic patient record",
    "processing_nature_purpose": "Storing and retrieving patient records for direct care",
    "personal_data_types": "Names, NHS numbers, dates of birth, clinical notes",
    "data_subject_categories": "Patients and trust staff",
}


async def _records(*, supplier_type="it_system", **contract):
    supplier = await factories.supplier(supplier_type=supplier_type, legal_name="Meridian Records Ltd")
    made = await factories.contract(supplier["id"], **{
        **PARTICULARS, "data_locations": "United Kingdom, Ireland",
        "transfer_mechanism": "adequacy", "tra_reference": "TRA-2025-014", **contract})
    return supplier, made


def _text(document) -> str:
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


async def _get(client, headers, contract_id, **params):
    return await client.get(f"/api/v1/contracts/{contract_id}/schedule.docx", headers=headers,
                            params=params)


async def test_processor_schedule_has_article_28_terms_and_annexes_from_records(
        client, procurement, reviewer):
    supplier, contract = await _records()
    await suppliers.create_subprocessor(supplier["id"], SubProcessorCreate(
        name="Skyhost Cloud Ireland", service="Hosting", data_processed="All record data",
        location="Ireland", transfer_mechanism="adequacy", since="2025-04-01"))
    await suppliers.create_subprocessor(supplier["id"], SubProcessorCreate(
        name="Old Backup Co", service="Backups", since="2020-01-01", until="2021-01-01"))
    await factories.certification(supplier["id"], scheme="cyber_essentials_plus",
                                  certificate_number="CEP-778899")
    contact = await factories.contact(supplier["id"])
    assessment, _ = await factories.submitted_assessment(supplier["id"], contact["id"])
    await assessments.review(assessment["id"], decision="accept", comment="", question_ids=None,
                             reviewer="test")
    await client.post(f"/api/v1/contracts/{contract['id']}/documents", headers=reviewer,
                      files={"file": ("c.docx", plain_english().data, DOCX)})

    response = await _get(client, reviewer, contract["id"])
    assert response.status_code == 200, response.text
    assert "data-protection-schedule" in response.headers["content-disposition"]
    document = Document(io.BytesIO(response.content))
    text = _text(document)
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Draft for legal review" in text and "Draft for legal review" in \
        document.sections[0].header.paragraphs[0].text
    assert any(h.endswith("Definitions") for h in headings)
    assert any("Sub-processors" in h for h in headings)  # a gap: its model clause follows
    assert not any("Confidentiality of personnel" in h for h in headings)  # already present
    assert {"Annex 1: Processing particulars", "Annex 2: Security measures",
            "Annex 3: Sub-processors"} <= set(headings)
    for value in PARTICULARS.values():
        assert value in text
    assert "Types of personal data: Personal data" not in text  # no placeholders
    assert "Skyhost Cloud Ireland" in text and "Old Backup Co" not in text  # ended one left out
    assert "CEP-778899" in text and "TRA-2025-014" in text
    assert "Supplier data security due diligence, accepted" in text  # accepted answers
    roles = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert ["Supplier", "Meridian Records Ltd", "Processor"] in roles
    assert not re.search(r"\b(art28|nhs|breach|transfers|staff|continuity|exit)\.[a-z_]+", text)
    _every_capitalised_term_is_defined(document)


def _every_capitalised_term_is_defined(document) -> None:
    defined = {row.cells[0].text for t in document.tables if t.rows[0].cells[0].text == "Term"
               for row in t.rows[1:]}
    body = "\n".join(p.text for p in document.paragraphs)
    for term in TERMS:
        if re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", body):
            assert term in defined, term


async def test_solicitors_as_independent_controller_get_a_data_sharing_outline(client, reviewer):
    _, contract = await _records(supplier_type="non_it", data_role="controller",
                                 title="Legal services")
    response = await _get(client, reviewer, contract["id"])
    assert response.status_code == 200, response.text
    assert "data-sharing-agreement" in response.headers["content-disposition"]
    document = Document(io.BytesIO(response.content))
    text = _text(document)
    roles = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert ["Supplier", "Meridian Records Ltd", "Independent Controller"] in roles
    assert "Processor" not in [r[2] for r in roles]
    assert "Purpose of the sharing" in text and "Lawful basis" in text
    assert "documented instructions" not in text  # no Article 28 terms for a controller
    assert "Cyber Essentials" not in text  # not demanded of solicitors
    assert "Annex 1: Shared Data" in text


async def test_joint_controllers_get_an_article_26_outline(client, reviewer):
    _, contract = await _records(data_role="joint_controller", title="Shared care record")
    response = await _get(client, reviewer, contract["id"])
    assert response.status_code == 200, response.text
    text = _text(Document(io.BytesIO(response.content)))
    assert "Joint Controller Arrangement" in text and "Article 26" in text
    assert "Contact point for Data Subjects" in text


async def test_national_wording_is_offered_and_stated(client, reviewer):
    _, contract = await _records()
    response = await _get(client, reviewer, contract["id"], wording="national")
    assert response.status_code == 200, response.text
    text = _text(Document(io.BytesIO(response.content)))
    assert "Crown Commercial Service" in text and "PPN 03/17" in text
    assert "chosen the national wording" in text
    assert "Joint Schedule 11 paragraph 2" in text  # documented instructions, cited not copied
    bad = await _get(client, reviewer, contract["id"], wording="lawyerly")
    assert bad.status_code == 400


@pytest.mark.parametrize("overrides,words", [
    ({"data_role": "none", "personal_data": False, "patient_data": False}, "no personal data"),
    ({"processing_subject_matter": "", "personal_data_types": "  "},
     "Subject matter of the processing; Types of Personal Data"),
    ({"personal_data_types": "Personal data", "data_subject_categories": "TBC"},
     'Types of Personal Data ("Personal data"); Categories of Data Subjects ("TBC")'),
])
async def test_refused_in_words_when_it_cannot_be_written(client, reviewer, overrides, words):
    _, contract = await _records(**overrides)
    response = await _get(client, reviewer, contract["id"])
    assert response.status_code == 422, response.text
    assert words in response.json()["detail"]
    assert (await _get(client, reviewer, 999_999)).status_code == 404


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")),
                    reason="LibreOffice and poppler are needed to convert the document")
@pytest.mark.parametrize("role,annex", [
    ("processor", "Annex 3: Sub-processors"),
    ("controller", "Annex 3: Processors the Supplier uses"),
    ("joint_controller", "Annex 3: Processors the Supplier uses")])
async def test_the_schedule_converts_to_pdf_with_page_numbers_and_no_broken_words(
        client, reviewer, tmp_path, role, annex):
    _, contract = await _records(data_role=role)
    response = await _get(client, reviewer, contract["id"])
    assert response.status_code == 200, response.text
    document = Document(io.BytesIO(response.content))
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    for made in document.tables:  # a row never splits across pages
        assert all(row._tr.trPr is not None and row._tr.trPr.find(qn("w:cantSplit")) is not None
                   for row in made.rows)
    source = tmp_path / "schedule.docx"
    source.write_bytes(response.content)
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(source)], check=True, capture_output=True, timeout=180)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "schedule.pdf"), "-"],
                          check=True, capture_output=True, text=True).stdout
    assert "Page 1 of" in text and annex in text
    assert "Draft for legal review" in text
    # each of these words appears only inside a table cell: a column too narrow for it would
    # break it across lines ("Certifica" / "tion") and it would not be found whole
    for word in ("Certification", "Expires", "Checked", "Location", "Since", "Meaning",
                 "Sub-processor", "dates of birth"):
        assert word in text, word


async def test_the_contract_page_offers_the_schedule_or_says_what_to_record(client):
    from tests.integration.journeys import sign_in

    _, ready = await _records()
    _, empty = await _records(processing_nature_purpose="")
    _, vague = await _records(personal_data_types="Personal data")
    _, none = await _records(data_role="none", personal_data=False, patient_data=False)
    await sign_in(client, "auditor")
    page = (await client.get(f"/staff/contracts/{ready['id']}")).text
    assert f"/api/v1/contracts/{ready['id']}/schedule.docx?wording=national" in page
    assert "data processing terms (UK GDPR Article 28)" in page
    assert "Required because the supplier processes personal data on our behalf" in page
    page = (await client.get(f"/staff/contracts/{empty['id']}")).text
    assert "Record the processing particulars first" in page and "schedule.docx" not in page
    page = (await client.get(f"/staff/contracts/{vague['id']}")).text
    assert "Record the processing particulars first" in page and "schedule.docx" not in page
    assert "Types of Personal Data (&#34;Personal data&#34;)" in page \
        or 'Types of Personal Data ("Personal data")' in page
    page = (await client.get(f"/staff/contracts/{none['id']}")).text
    assert "Data protection schedule" not in page


async def test_sub_processor_change_notice_may_be_not_applicable_but_required_terms_not(
        client, reviewer):
    """Article 28(2) change notices apply only to general authorisation: a reviewer may mark
    them not applicable; the terms the rule requires of a processor stay refused."""
    _, contract = await _records()
    url = f"/api/v1/contracts/{contract['id']}/clauses"
    optional = await client.put(f"{url}/art28.sub_processor_changes", headers=reviewer,
                                json={"status": "not_applicable", "note": "specific authorisation"})
    assert optional.status_code == 200, optional.text
    required = await client.put(f"{url}/art28.sub_processors", headers=reviewer,
                                json={"status": "not_applicable"})
    assert required.status_code == 400 and "Article 28 requires" in required.text


async def test_article_28_terms_do_not_apply_to_solicitors_on_the_page_the_api_and_the_report(
        client, reviewer):
    """A solicitors' firm that is an independent controller: Article 28 terms are neither
    required nor 'recommended' on its contract page, in the checklist API or in the supplier
    report, and nothing a person reads there carries a raw key or value."""
    from tests.integration.journeys import sign_in

    supplier, contract = await _records(supplier_type="non_it", data_role="controller",
                                        title="Legal services")
    checklist = (await client.get(f"/api/v1/contracts/{contract['id']}/clauses",
                                  headers=reviewer)).json()
    by_key = {c["key"]: c for c in checklist["clauses"]}
    assert not by_key["art28.audit_information"]["applies"]
    assert by_key["art28.audit_information"]["does_not_apply"].startswith("Article 28 terms")
    assert by_key["breach.notification"]["applies"] and by_key["breach.notification"]["required"]

    report = await client.get(f"/api/v1/suppliers/{supplier['id']}/report.docx", headers=reviewer)
    assert report.status_code == 200
    document = Document(io.BytesIO(report.content))
    text = _text(document)
    rows = {r.cells[0].text: (r.cells[1].text, r.cells[2].text) for t in document.tables
            for r in t.rows if len(r.cells) == 4 and t.rows[0].cells[0].text == "Clause"}
    assert rows["Audit and information"] == ("does not apply", "–")  # not "missing"
    assert rows["Breach notification"] == ("yes", "missing")
    assert "data role: independent controller" in text
    assert "Does not apply: Article 28 terms are for a processor" in text
    assert not re.search(r"\b(art28|nhs|breach|transfers|staff|continuity|exit)\.[a-z_]+|"
                         r"\bndg10-|uk-gdpr-processor|not_applicable|data role controller", text)

    await sign_in(client, "auditor")
    page = (await client.get(f"/staff/contracts/{contract['id']}")).text
    card = page[page.index('id="clause-art28.audit_information"'):]
    card = card[:card.index("</div></div>")]
    assert "does not apply" in card and "recommended" not in card and ">missing<" not in card


async def test_the_organisation_chooses_the_national_wording_as_base_text(client, credentials):
    """Chosen once in the organisation's settings (PATCH /api/v1/organisation, audited): the
    schedule then starts from the Crown Commercial Service clauses unless a download asks for
    the other; the contract page offers the chosen one first."""
    from models.tables import AuditEvent, Organisation
    from tests.integration.journeys import sign_in

    await Organisation.insert(Organisation(name="Royal County Hospital NHS Trust"))
    _, contract = await _records()
    admin = await credentials.headers("admin")
    before = _text(Document(io.BytesIO((await _get(client, admin, contract["id"])).content)))
    assert "chosen the national wording" not in before
    wrong = await client.patch("/api/v1/organisation", headers=admin,
                               json={"schedule_wording": "lawyerly"})
    assert wrong.status_code == 400
    chosen = await client.patch("/api/v1/organisation", headers=admin,
                                json={"schedule_wording": "national"})
    assert chosen.status_code == 200 and chosen.json()["schedule_wording"] == "national"
    event = await AuditEvent.select(AuditEvent.after).where(
        AuditEvent.action == "organisation.updated").first()
    assert "national" in str(event["after"])
    after = _text(Document(io.BytesIO((await _get(client, admin, contract["id"])).content)))
    assert "chosen the national wording" in after and "Joint Schedule 11 paragraph 2" in after
    portal = _text(Document(io.BytesIO((await _get(client, admin, contract["id"],
                                                   wording="portal")).content)))
    assert "chosen the national wording" not in portal
    await sign_in(client, "auditor")
    page = (await client.get(f"/staff/contracts/{contract['id']}")).text
    first = page.index(f"/api/v1/contracts/{contract['id']}/schedule.docx?wording=national")
    assert first < page.index(f"/api/v1/contracts/{contract['id']}/schedule.docx?wording=portal")
    assert "as the organisation&#39;s settings choose" in page \
        or "as the organisation's settings choose" in page
