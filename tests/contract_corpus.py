"""A labelled corpus of contracts we drafted ourselves, built as real .docx files.

Each contract says which clause keys it really contains (as obligations) and its breach
notification window, so the scanner's precision and recall can be measured per key.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document


@dataclass
class LabelledContract:
    name: str
    data: bytes
    present: set[str]
    breach_hours: int | None
    partial: set[str] = field(default_factory=set)
    breach_immediate: bool = False


def _save(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def legalese() -> LabelledContract:
    d = Document()
    d.sections[0].header.paragraphs[0].text = "CONFIDENTIAL - Services Agreement - Meridian EPR"
    d.sections[0].footer.paragraphs[0].text = "The Supplier shall comply with the Data Security and Protection Toolkit and achieve Standards Met each year."
    d.add_heading("1. Definitions", level=1)
    d.add_paragraph("1.1 \"Sub-processor\" means any third party appointed by the Supplier to process Personal Data.")
    d.add_paragraph("1.2 \"Data Security and Protection Toolkit\" means the online self-assessment tool published by NHS England.")
    d.add_paragraph("1.3 \"Personal Data Breach\" has the meaning given in the UK GDPR.")
    d.add_heading("5. Data protection", level=1)
    d.add_paragraph("5.1 The Supplier shall process Personal Data only on the documented instructions of the Customer, including with regard to international transfers.")
    d.add_paragraph("5.2 The Supplier shall immediately inform the Customer if, in its opinion, an instruction infringes the Data Protection Legislation.")
    d.add_paragraph("5.3 The Supplier shall ensure that persons authorised to process the Personal Data have committed themselves to confidentiality or are under an appropriate statutory obligation of confidentiality.")
    d.add_paragraph("5.4 The Supplier shall implement appropriate technical and organisational measures in accordance with Article 32 of the UK GDPR.")
    d.add_paragraph("5.5 The Supplier shall not engage another processor (a Sub-processor) without the prior specific written authorisation of the Customer.")
    d.add_paragraph("5.6 Taking into account the nature of the processing, the Supplier shall assist the Customer by appropriate measures in responding to requests from data subjects to exercise their rights.")
    d.add_paragraph("5.7 The Supplier shall assist the Customer in ensuring compliance with its obligations pursuant to Articles 32 to 36 of the UK GDPR.")
    d.add_paragraph("5.8 At the choice of the Customer, the Supplier shall delete or return all the Personal Data to the Customer after the end of the provision of services relating to processing.")
    d.add_paragraph("5.9 The Supplier shall make available to the Customer all information necessary to demonstrate compliance and shall allow for and contribute to audits, including inspections, conducted by the Customer.")
    d.add_paragraph("5.10 The Supplier shall notify the Customer of any Personal Data Breach without undue delay and in any event within forty-eight (48) hours of becoming aware of it.")
    d.add_paragraph("5.11 The Supplier shall not transfer Personal Data outside the United Kingdom without the prior written consent of the Customer.")
    d.add_heading("9. Disputes", level=1)
    d.add_paragraph("9.1 Any dispute arising under this Agreement shall be referred to the parties' senior representatives and, failing agreement, to mediation.")
    return LabelledContract("legalese", _save(d), {
        "art28.documented_instructions", "art28.infringing_instruction_notice",
        "art28.confidentiality", "art28.security_measures", "art28.sub_processors",
        "art28.data_subject_rights", "art28.compliance_assistance", "art28.deletion_or_return",
        "art28.audit_information", "breach.notification", "transfers.international",
        "disputes.resolution", "nhs.dspt_compliance"}, 48)


def plain_english() -> LabelledContract:
    d = Document()
    d.add_heading("How we will look after your data", level=1)
    d.add_paragraph("We will only use your patients' information in the ways you tell us to in writing. In other words, we act only on your documented instructions.")
    d.add_paragraph("Our staff must keep everything they see confidential, and every person who works on your account signs a confidentiality agreement.")
    d.add_paragraph("We will tell you within 24 hours if we discover a data breach affecting your information.")
    d.add_paragraph("We will keep Cyber Essentials Plus certification for as long as we work with you and renew it every year.")
    d.add_paragraph("All our staff will complete data security training every year.")
    d.add_paragraph("We will test our business continuity and disaster recovery plans every year and share the results.")
    d.add_paragraph("When the contract ends we will give your data back in a format you can use and help you move to a replacement supplier under our exit plan.")
    d.add_paragraph("We will act on NHS cyber security alerts within 14 days, or sooner if the alert says so.")
    d.add_paragraph("We may talk to you about insurance if you ask.")  # mention, not an obligation
    return LabelledContract("plain-english", _save(d), {
        "art28.documented_instructions", "art28.confidentiality", "breach.notification",
        "nhs.cyber_essentials", "staff.training", "continuity.bcdr", "exit.transition",
        "nhs.security_alerts"}, 24)


def schedule_in_tables() -> LabelledContract:
    d = Document()
    d.add_heading("Schedule 3 - Data Processing", level=1)
    d.add_paragraph("Annex 1 - Processing details")
    table = d.add_table(rows=0, cols=2)
    for left, right in [
        ("Subject matter of the processing", "Hosting of the electronic patient record"),
        ("Duration of the processing", "The Term of the Contract"),
        ("Nature and purposes of the processing", "Storage, backup and retrieval"),
        ("Type of Personal Data", "Names, NHS numbers, clinical records"),
        ("Categories of Data Subjects", "Patients and staff"),
    ]:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = left, right
    d.add_paragraph("Annex 2 - Supplier obligations")
    obligations = d.add_table(rows=1, cols=2)
    obligations.rows[0].cells[0].text = "Requirement"
    obligations.rows[0].cells[1].text = "Supplier obligation"
    for left, right in [
        ("Security", "The Supplier shall maintain technical and organisational measures that meet Article 32."),
        ("Breaches", "The Supplier must report any security incident involving Customer Data to the Customer within seventy-two (72) hours."),
        ("Toolkit", "The Supplier shall publish a DSPT assessment at Standards Met or Standards Exceeded annually."),
        ("Insurance", "The Supplier shall maintain cyber insurance of not less than £5,000,000."),
    ]:
        cells = obligations.add_row().cells
        cells[0].text, cells[1].text = left, right
    # A nested table inside a cell: the sub-processor rule lives there.
    outer = d.add_table(rows=1, cols=1)
    inner = outer.rows[0].cells[0].add_table(rows=1, cols=2)
    inner.rows[0].cells[0].text = "Sub-processors"
    inner.rows[0].cells[1].text = "The Supplier shall not appoint any sub-processor without the Customer's prior written consent."
    return LabelledContract("schedule-tables", _save(d), {
        "art28.subject_matter", "art28.security_measures", "breach.notification",
        "nhs.dspt_compliance", "liability.insurance", "art28.sub_processors"}, 72,
        partial={"breach.notification"})


def decoys() -> LabelledContract:
    d = Document()
    d.add_heading("Terms of business", level=1)
    d.add_paragraph("1. \"Cyber Essentials\" means the government-backed scheme of that name.")
    d.add_paragraph("2. The Supplier is not required to hold Cyber Essentials certification.")
    d.add_paragraph("3. The Supplier is under no obligation to complete the Data Security and Protection Toolkit.")
    d.add_paragraph("4. Business continuity arrangements are at the Supplier's discretion and may be discussed from time to time.")
    d.add_paragraph("5. The Customer acknowledges that the Supplier need not provide training to its staff on data protection.")
    d.add_paragraph("6. Audit rights shall not apply to this agreement.")
    d.add_paragraph("7. The Supplier shall invoice the Customer monthly and the Customer shall pay within 30 days.")
    d.add_paragraph("8. This agreement is governed by the law of England and Wales.")
    return LabelledContract("decoys", _save(d), set(), None)


def mixed_numbering() -> LabelledContract:
    d = Document()
    d.add_heading("Clause 14 Data Protection", level=2)
    d.add_paragraph("(a) The Processor will ensure that all personnel engaged in the processing are bound by a duty of confidence.", style="List Number")
    d.add_paragraph("(b) The Processor agrees to assist the Controller with any data protection impact assessment and prior consultation with the Information Commissioner.", style="List Number")
    d.add_paragraph("(c) On expiry or termination the Processor shall securely destroy all Personal Data and certify the destruction in writing.", style="List Number")
    d.add_paragraph("(d) The Processor shall inform the Controller of a personal data breach without undue delay.", style="List Number")
    d.add_heading("Clause 15 Liability", level=2)
    d.add_paragraph("Each party's total liability under this Contract shall not exceed £1,000,000.")
    d.add_heading("Clause 16 Standards", level=2)
    d.add_paragraph("The Supplier shall comply with the National Data Guardian's ten data security standards.")
    return LabelledContract("mixed-numbering", _save(d), {
        "art28.confidentiality", "art28.compliance_assistance", "art28.deletion_or_return",
        "breach.notification", "liability.insurance", "nhs.ndg_standards"}, None,
        partial={"art28.deletion_or_return", "breach.notification"})




def pdf_from_pages(pages: list[list[str]]) -> bytes:
    """A real text-layer PDF (Helvetica, one line per entry) built by hand; [] is a blank page."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    page_ids = []
    pages_id = len(objects) + 1 + 2 * len(pages) + 1  # placeholder, fixed below
    contents = []
    for lines in pages:
        ops = [b"BT /F1 10 Tf 14 TL 50 800 Td"]
        for line in lines:
            safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(b"(" + safe.encode("cp1252") + b") Tj T*")
        ops.append(b"ET")
        stream = b"\n".join(ops) if lines else b""
        contents.append(add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"))
    pages_id = len(objects) + len(pages) + 1
    for content in contents:
        page_ids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (pages_id, content, font)))
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    assert add(b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % len(page_ids)) == pages_id
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, catalog, xref))
    return out.getvalue()


def pdf_contract() -> LabelledContract:
    """A signed-style PDF: running header, page numbers, wrapped lines, a lead-in list."""
    header = "Meridian Health Ltd - Data Processing Schedule - Confidential"
    page1 = [header, "Schedule 4 Data Protection",
             "1. Definitions",
             "1.1 \"Client Data\" means any personal data processed by the Contractor on",
             "behalf of the Client under this Agreement.",
             "2. Processing",
             "2.1 The Contractor shall:",
             "(a) process Client Data only on the documented instructions of the Client;",
             "(b) ensure that its staff who process Client Data are bound by a duty of",
             "confidentiality; and",
             "(c) not engage a sub-processor without the prior written consent of the Client.",
             "1"]
    page2 = [header, "3. Breaches",
             "3.1 The Contractor shall notify the Client of any Personal Data Breach",
             "affecting Client Data without undue delay. Such notice shall in any event be",
             "given within two (2) business days of the Contractor becoming aware of it.",
             "4. End of the contract",
             "4.1 On expiry or termination the Contractor shall, at the Client's choice,",
             "return or securely delete all Client Data.",
             "2"]
    page3 = [header, "5. Liability",
             "5.1 Neither party shall be liable for indirect or consequential loss.",
             "3"]
    return LabelledContract("pdf-schedule", pdf_from_pages([page1, page2, page3]), {
        "art28.documented_instructions", "art28.confidentiality", "art28.sub_processors",
        "breach.notification", "art28.deletion_or_return", "liability.insurance"}, 48)



def _struck_paragraph(document, live: str, struck: str) -> None:
    """A paragraph showing a variation: live wording plus struck-through superseded wording."""
    paragraph = document.add_paragraph(live + " ")
    run = paragraph.add_run(struck)
    run.font.strike = True


def _tracked_paragraph(document, kept: str, inserted: str, deleted: str) -> None:
    """A paragraph with a tracked insertion (live) and a tracked deletion (not live)."""
    from docx.oxml import parse_xml

    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    paragraph = document.add_paragraph(kept + " ")
    paragraph._p.append(parse_xml(
        f'<w:ins {ns} w:id="1" w:author="A" w:date="2024-01-01T00:00:00Z"><w:r><w:t xml:space="preserve">'
        f'{inserted} </w:t></w:r></w:ins>'))
    paragraph._p.append(parse_xml(
        f'<w:del {ns} w:id="2" w:author="A" w:date="2024-01-01T00:00:00Z"><w:r><w:delText>{deleted}'
        '</w:delText></w:r></w:del>'))


def model_clauses() -> LabelledContract:
    """UK government model wording (PPN 02/18 pattern): defined terms, 'immediately', lead-ins,
    a variation with struck-through wording and a tracked change."""
    d = Document()
    d.add_heading("Schedule 20 - Processing Personal Data", level=1)
    d.add_heading("Definitions", level=2)
    d.add_paragraph("\u201cProtective Measures\u201d means appropriate technical and organisational measures which may include pseudonymising and encrypting Personal Data.")
    d.add_paragraph("\u201cData Loss Event\u201d means any event that results, or may result, in unauthorised access to Personal Data held by the Contractor under this Contract.")
    d.add_heading("Obligations", level=2)
    d.add_paragraph("1. The Contractor shall process the Personal Data only in accordance with Annex A, unless required otherwise by Law.")
    d.add_paragraph("2. The Contractor shall notify the Authority immediately if it considers that any of the Authority\u2019s instructions infringe the Data Protection Legislation.")
    d.add_paragraph("3. The Contractor shall, in relation to any Personal Data processed in connection with its obligations under this Contract:")
    d.add_paragraph("(a) ensure that it has in place Protective Measures to protect against a Data Loss Event;", style="List Number 2")
    d.add_paragraph("(b) ensure that the Contractor Personnel are subject to appropriate confidentiality undertakings;", style="List Number 2")
    d.add_paragraph("(c) ensure that the Contractor Personnel have undergone adequate training in the use, care, protection and handling of Personal Data.", style="List Number 2")
    _struck_paragraph(d, "4. The Contractor shall notify the Authority immediately if it becomes aware of a Data Loss Event.",
                      "The Contractor shall notify the Authority of any Data Loss Event within 72 hours.")
    _tracked_paragraph(d, "5. The Contractor shall not transfer Personal Data outside of the UK unless",
                       "the prior written consent of the Authority has been obtained.",
                       "it considers it appropriate.")
    d.add_paragraph("6. On expiry or termination of this Contract the Contractor shall, at the written direction of the Authority, delete or return the Personal Data (and any copies of it) to the Authority.")
    d.add_heading("Annex A - Processing Particulars", level=2)
    table = d.add_table(rows=0, cols=2)
    for left, right in [("Subject matter of the processing", "Payroll services"),
                        ("Duration of the processing", "The Term"),
                        ("Nature and purposes of the processing", "Calculating pay"),
                        ("Type of Personal Data", "Names, bank details"),
                        ("Categories of Data Subject", "Staff")]:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = left, right
    return LabelledContract("model-clauses", _save(d), {
        "art28.subject_matter", "art28.documented_instructions",
        "art28.infringing_instruction_notice", "art28.security_measures",
        "art28.confidentiality", "staff.training", "breach.notification",
        "transfers.international", "art28.deletion_or_return"}, None, breach_immediate=True)


def direction_and_references() -> LabelledContract:
    """The customer's duties are not the supplier's; references to absent schedules are not
    clauses; the breach window stated in the sentence after the breach clause."""
    d = Document()
    d.add_heading("Data Processing Terms", level=1)
    d.add_paragraph("1. The Customer shall notify the Provider within 24 hours of becoming aware of any unauthorised use of its account credentials or any security incident on its own systems.")
    d.add_paragraph("2. Provider notifies Customer of any Security Incident affecting Customer Data without undue delay. Notice will be given no later than 36 hours after Provider becomes aware of the Security Incident.")
    d.add_paragraph("3. The Provider shall process Customer Data only in accordance with Schedule 9 (Processing Instructions).")
    d.add_paragraph("4. The dispute resolution provisions of the Master Services Agreement apply to this agreement.")
    d.add_paragraph("5. The Customer may carry out a clinical audit of its own services at any time; audit logs are kept for 90 days.")
    d.add_paragraph("6. Provider implements and maintains the technical and organization measures described in this section, including encryption of Customer Data at rest and in transit.")
    d.add_paragraph("7. Where the Provider considers it relevant, the Provider will assist the Customer with data protection impact assessments.")
    d.add_paragraph("8. Provider has entered into a written agreement with each Subprocessor imposing data protection obligations no less protective than these terms.")
    d.add_paragraph("9. Customer Data is stored within the United Kingdom and is not transferred outside the UK without the Customer\u2019s prior written consent.")
    d.add_paragraph("10. Provider\u2019s aggregate liability under these terms shall not exceed the fees paid in the preceding 12 months.")
    return LabelledContract("direction-references", _save(d), {
        "breach.notification", "art28.security_measures", "art28.compliance_assistance",
        "art28.sub_processors", "transfers.international", "liability.insurance"}, 36,
        partial={"art28.compliance_assistance"})


def not_binding() -> LabelledContract:
    """A security statement that says it is not part of a contract imposes nothing."""
    d = Document()
    d.add_heading("Security overview", level=1)
    d.add_paragraph("This statement is provided for information only and does not form part of any contract between us and our customers.")
    d.add_paragraph("We maintain technical and organisational measures to protect personal data, and we notify customers of any personal data breach within 24 hours.")
    d.add_paragraph("We hold Cyber Essentials Plus certification and test our business continuity plans every year.")
    return LabelledContract("not-binding", _save(d), set(), None)



def saas_dpa() -> LabelledContract:
    """A US-style SaaS data processing addendum: defined party names, headed sections, present
    tense, 'Personal Information', SOC 2 reports, a schedule with particulars under headings."""
    d = Document()
    d.add_heading("Data Processing Addendum", level=1)
    d.add_paragraph("This Data Processing Addendum is entered into between Acme Cloud, Inc. (\u201cAcme\u201d) and the customer named in the Order Form (\u201cCustomer\u201d).")
    d.add_heading("1. Processing", level=2)
    d.add_paragraph("1.1 Acme processes Customer Personal Information solely on behalf of Customer and in accordance with Customer\u2019s written instructions.")
    d.add_paragraph("1.2 Acme will promptly inform Customer if, in Acme\u2019s opinion, an instruction violates applicable Data Protection Laws.")
    d.add_heading("2. Personnel", level=2)
    d.add_paragraph("Acme ensures that its employees and contractors who access Customer Personal Information are subject to written confidentiality obligations and receive annual privacy and security training.")
    d.add_heading("3. Security", level=2)
    d.add_paragraph("Acme maintains administrative, physical and technical safeguards designed to protect Customer Personal Information, as described in Exhibit B.")
    d.add_heading("4. Subprocessors", level=2)
    d.add_paragraph("Customer authorizes Acme to engage Subprocessors. Acme will notify Customer at least 30 days before engaging a new Subprocessor, and Customer may object on reasonable grounds.")
    d.add_heading("5. Security Incidents", level=2)
    d.add_paragraph("Acme will notify Customer of a Security Incident without undue delay and in any event no later than forty-eight hours after discovery.")
    d.add_heading("6. Audits", level=2)
    d.add_paragraph("Upon request, Acme will provide Customer with a copy of its most recent SOC 2 Type II report.")
    d.add_heading("7. Deletion", level=2)
    d.add_paragraph("Within thirty days after termination of the Agreement, Acme will delete all Customer Personal Information, unless retention is required by law.")
    d.add_heading("8. Data Subject Requests", level=2)
    d.add_paragraph("Acme will assist Customer, taking into account the nature of the processing, in responding to requests from individuals to exercise their rights under Data Protection Laws.")
    d.add_heading("9. Transfers", level=2)
    d.add_paragraph("Where Customer Personal Information is transferred from the EEA or the UK to a country without an adequacy decision, the Standard Contractual Clauses and the UK Addendum apply.")
    d.add_heading("10. Limitation of liability", level=2)
    d.add_paragraph("Each party\u2019s liability under this Addendum is subject to the limitation of liability in the Agreement.")
    d.add_heading("11. Governing law", level=2)
    d.add_paragraph("This Addendum is governed by the laws of the State of Delaware, and the courts of Delaware have exclusive jurisdiction.")
    d.add_heading("Schedule 1 - Details of Processing", level=2)
    for text in ("Subject matter: the provision of the Services.", "Duration: the term of the Agreement.",
                 "Nature and purpose: hosting and support.", "Categories of personal data: names, email addresses.",
                 "Data subjects: Customer\u2019s end users."):
        d.add_paragraph(text)
    return LabelledContract("saas-dpa", _save(d), {
        "art28.documented_instructions", "art28.infringing_instruction_notice",
        "art28.confidentiality", "staff.training", "art28.security_measures",
        "art28.sub_processors", "breach.notification", "art28.audit_information",
        "art28.deletion_or_return", "art28.data_subject_rights", "transfers.international",
        "liability.insurance", "art28.subject_matter",
        "art28.sub_processor_changes"}, 48)  # 30 days' notice of a new one, and a right to object


def privacy_page() -> LabelledContract:
    """A decoy: a service's privacy page (headed 'Privacy'), written in the first person."""
    d = Document()
    d.add_heading("Privacy", level=1)
    d.add_paragraph("We collect your name and email address when you sign up, and we use them to run the service.")
    d.add_paragraph("We use industry-standard security measures, including technical and organisational measures, to protect your personal data.")
    d.add_paragraph("We use sub-processors such as our hosting provider, and your data may be transferred outside the UK under standard contractual clauses.")
    d.add_paragraph("If there is a data breach we will notify you and the ICO within 72 hours.")
    d.add_paragraph("You can ask us to delete your personal data at any time; we delete accounts 30 days after you close them.")
    return LabelledContract("privacy-page", _save(d), set(), None)


def supplier_duties() -> LabelledContract:
    """The five keys added for issue 12, each imposed, in a managed-service contract's words."""
    d = Document()
    d.add_heading("Managed Service Agreement - Schedule 4 (Security and Data)", level=1)
    d.add_paragraph("1.1 \"Remote Access\" means access to the Customer's systems from outside its premises.")
    d.add_heading("2. Sub-processors", level=2)
    d.add_paragraph("2.1 The Customer gives general written authorisation for the Sub-processors listed in Annex 3.")
    d.add_paragraph("2.2 The Supplier shall inform the Customer of any intended changes concerning the addition or replacement of other processors at least 30 days in advance, and the Customer may object to such changes.")
    d.add_heading("3. Use of Customer Data", level=2)
    d.add_paragraph("3.1 The Supplier shall not use Customer Data for its own purposes, and shall not use it to train or improve any machine learning model.")
    d.add_heading("4. Remote access", level=2)
    d.add_paragraph("4.1 The Supplier's engineers shall only access the Customer's network remotely through the Customer's approved gateway, using multi-factor authentication, and every session shall be logged.")
    d.add_heading("5. Testing", level=2)
    d.add_paragraph("5.1 The Supplier shall have the hosting platform penetration tested by a CREST accredited tester every year and shall remediate critical vulnerabilities within 14 days.")
    d.add_heading("6. Termination", level=2)
    d.add_paragraph("6.1 The Customer may terminate this Agreement immediately by notice in writing if the Supplier commits a material breach of its data protection obligations under Schedule 4.")
    return LabelledContract("supplier-duties", _save(d), {
        "art28.sub_processor_changes", "art28.sub_processors", "data.no_own_purposes",
        "access.remote_mfa", "security.vulnerability_testing", "termination.data_breach"}, None)


def supplier_duty_traps() -> LabelledContract:
    """The same five concepts negated, permitted, partial or only defined: none of them counts,
    except the two partial ones (found, with the reason)."""
    d = Document()
    d.add_heading("Services Agreement", level=1)
    d.add_heading("1. Definitions", level=2)
    d.add_paragraph("1.1 \"Penetration Test\" means an authorised simulated attack on a system to find its vulnerabilities.")
    d.add_paragraph("1.2 \"Multi-Factor Authentication\" means authentication using two or more factors, as used for remote access to the Customer's systems.")
    d.add_paragraph("1.3 \"Model Training\" means using data to train or improve an artificial intelligence model for the Supplier's own purposes.")
    d.add_paragraph("1.4 \"Termination Event\" includes any Personal Data Breach that entitles the Customer to terminate.")
    d.add_heading("2. Supplier rights", level=2)
    d.add_paragraph("2.1 The Supplier shall be entitled to use Customer Data to train and improve its artificial intelligence models.")
    d.add_paragraph("2.2 The Supplier is not required to carry out penetration testing or vulnerability scanning of the Services.")
    d.add_paragraph("2.3 The Customer shall not be entitled to terminate this Agreement by reason of a Personal Data Breach.")
    d.add_paragraph("2.4 The Supplier is not required to use multi-factor authentication when it has remote access to the Customer's systems.")
    d.add_heading("3. Partial terms", level=2)
    d.add_paragraph("3.1 The Supplier will notify the Customer before adding a new Sub-processor.")
    d.add_paragraph("3.2 The Supplier shall apply security patches to fix known vulnerabilities within 30 days.")
    return LabelledContract("supplier-duty-traps", _save(d), {
        "art28.sub_processors", "art28.sub_processor_changes",
        "security.vulnerability_testing"}, None,
        partial={"art28.sub_processors", "art28.sub_processor_changes",
                 "security.vulnerability_testing"})


def corpus() -> list[LabelledContract]:
    return [legalese(), plain_english(), schedule_in_tables(), decoys(), mixed_numbering(),
            pdf_contract(), model_clauses(), direction_and_references(), not_binding(),
            saas_dpa(), privacy_page(), supplier_duties(), supplier_duty_traps()]


def docx_bomb(paragraphs: int) -> bytes:
    """A small .docx holding a great deal of XML (empty paragraphs compress to nothing)."""
    document = Document()
    document.add_paragraph("The Supplier shall comply.")
    base = io.BytesIO(_save(document))
    out = io.BytesIO()
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "word/document.xml":
                body = body.replace(b"<w:body>", b"<w:body>" + b"<w:p/>" * paragraphs, 1)
            target.writestr(info, body)
    return out.getvalue()


SHARED = Path(__file__).parent / "fixtures" / "contracts" / "shared"


def sixty_pages() -> bytes:
    """About 60 pages (29,900 words): the GitHub DPA and the RM3830 core terms in one document."""
    from portal.contracts.reader import read_blocks

    document = Document()
    for name in ("github-data-protection-agreement-2022.docx", "ccs-rm3830-core-terms.docx"):
        for block in read_blocks((SHARED / name).read_bytes()):
            if not block.whole_table:
                document.add_paragraph(block.text)
    return _save(document)


def labelled() -> list:
    """The corpus as (name, data, labels) for portal.contracts.evaluate."""
    from portal.contracts.evaluate import Labels

    return [(c.name, c.data, Labels(frozenset(c.present), c.breach_hours, c.breach_immediate)) for c in corpus()]


if __name__ == "__main__":  # make corpus
    from portal.contracts.evaluate import evaluate

    report = evaluate(labelled())
    print("\n".join(report.lines(title="Our own corpus (tests/contract_corpus.py)", detail=True)))
