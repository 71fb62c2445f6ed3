"""A labelled corpus of contracts we drafted ourselves, built as real .docx files.

Each contract says which clause keys it really contains (as obligations) and its breach
notification window, so the scanner's precision and recall can be measured per key.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from docx import Document


@dataclass
class LabelledContract:
    name: str
    data: bytes
    present: set[str]
    breach_hours: int | None
    partial: set[str] = field(default_factory=set)


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


def corpus() -> list[LabelledContract]:
    return [legalese(), plain_english(), schedule_in_tables(), decoys(), mixed_numbering()]


def labelled() -> list:
    """The corpus as (name, data, labels) for portal.contracts.evaluate."""
    from portal.contracts.evaluate import Labels

    return [(c.name, c.data, Labels(frozenset(c.present), c.breach_hours)) for c in corpus()]


if __name__ == "__main__":  # make corpus
    from portal.contracts.evaluate import evaluate

    report = evaluate(labelled())
    print("\n".join(report.lines(title="Our own corpus (tests/contract_corpus.py)", detail=True)))
