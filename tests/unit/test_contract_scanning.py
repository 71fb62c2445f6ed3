"""Clause recognition against our labelled corpus: precision and recall per key."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from docx import Document

from portal.contracts.evaluate import evaluate, evaluate_folder
from portal.contracts.library import KEYS, library
from portal.contracts.reader import UnreadableContract, read_blocks
from portal.contracts.rules import ClauseFacts, required_clauses
from portal.contracts.scanner import hours_in, scan_document, scan_docx
from tests.contract_corpus import corpus, labelled, sixty_pages
from tests.contract_corpus import docx_bomb as _bomb

CORPUS = corpus()
OWN_FLOOR = 1.0  # the level reached: precision, recall and F1 all 1.00 on 11 contracts


def test_library_has_the_26_keys_with_model_clauses():
    clauses = library()
    assert tuple(clauses) == KEYS and len(KEYS) == 26
    assert all(c.model_clause and c.legal_basis and c.legal_reference and c.description
               for c in clauses.values())


def test_every_model_clause_is_recognised_as_its_own_key():
    """The library's own drafting passes its rules (keywords sieve included)."""
    clauses = library()
    data = _doc(*[c.model_clause for c in clauses.values()])
    result = scan_docx(data)
    present = {f.key for f in result.clauses if f.status == "present"}
    assert present == set(KEYS) - {"art28.subject_matter"}
    assert result.breach_notification_hours == 24
    # the processing details model clause points at Annex 1, which this document lacks
    assert "Annex 1" in result.by_key()["art28.subject_matter"].reason


def test_required_clauses_follow_the_contract():
    processor = required_clauses(ClauseFacts(data_role="processor", personal_data=True))
    assert set(processor) == {k for k in KEYS if k.startswith("art28.")} - {
        "art28.sub_processor_changes"} | {"breach.notification", "transfers.international"}
    patient = required_clauses(ClauseFacts(data_role="processor", personal_data=True,
                                           patient_data=True))
    assert {"nhs.dspt_compliance", "nhs.cyber_essentials", "nhs.security_alerts",
            "staff.training", "continuity.bcdr", "exit.transition"} <= set(patient)
    assert required_clauses(ClauseFacts()) == ()


@pytest.mark.parametrize("text,hours", [
    ("within forty-eight (48) hours", 48), ("within 24 hours", 24), ("72 hours", 72),
    ("within seventy-two hours of becoming aware", 72), ("within two (2) Business Days", 48),
    ("without undue delay", None), ("within twenty four hours", 24),
    ("within 24 (twenty-four) hours", 24), ("within 24h", 24), ("a 48-hour period", 48),
    ("within one (1) Business Day", 24), ("no later than thirty-six (36) hours", 36),
    ("within 5 calendar days", 120)])
def test_breach_window_in_words_or_digits(text, hours):
    assert hours_in(text) == hours


def test_precision_and_recall_per_key(capsys):
    report = evaluate(labelled())
    with capsys.disabled():
        print("\n".join(report.lines(title="\nOur own corpus", detail=True)))
    precision, recall, f1 = report.micro()
    assert precision >= OWN_FLOOR and recall >= OWN_FLOOR and f1 >= OWN_FLOOR
    right, total, _, _ = report.window_accuracy()
    assert right == total


def test_decoys_count_for_nothing_and_negations_are_explained():
    decoy = next(c for c in CORPUS if c.name == "decoys")
    result = scan_docx(decoy.data).by_key()
    assert not any(f.present for f in result.values())
    assert "not required" in result["nhs.cyber_essentials"].reason


def test_locations_come_from_numbering_headings_tables_and_footers():
    by_name = {c.name: scan_document(c.data).by_key() for c in CORPUS}
    assert by_name["legalese"]["art28.sub_processors"].location.endswith("clause 5.5")
    assert "Data protection" in by_name["legalese"]["art28.sub_processors"].location
    assert "footer" in by_name["legalese"]["nhs.dspt_compliance"].location
    assert "Schedule 3" in by_name["schedule-tables"]["art28.subject_matter"].location
    assert "table row" in by_name["schedule-tables"]["nhs.dspt_compliance"].location
    assert by_name["schedule-tables"]["art28.sub_processors"].present  # nested table
    assert by_name["mixed-numbering"]["breach.notification"].status == "partial"
    assert by_name["mixed-numbering"]["art28.deletion_or_return"].status == "partial"
    assert by_name["schedule-tables"]["breach.notification"].status == "partial"  # 72 hours


@pytest.mark.parametrize("data", [b"not a zip at all", b"PK\x03\x04broken", b""])
def test_unreadable_documents_are_refused(data):
    with pytest.raises(UnreadableContract):
        read_blocks(data)


# --- the shared corpus of real contracts (tests/fixtures/contracts/shared, see its README) ---

SHARED = Path(__file__).parents[1] / "fixtures" / "contracts" / "shared"
SHARED_FLOOR = 1.0  # the level reached while developing on it (0.65 before); never below 0.90


def test_real_contracts_keep_their_measured_level(capsys):
    report = evaluate_folder(SHARED)
    with capsys.disabled():
        print("\n".join(report.lines(title="\nShared corpus (12 real contracts)", detail=True)))
    assert len(report.documents) == 12
    assert report.micro_f1 >= SHARED_FLOOR
    right, total, stated_right, stated = report.window_accuracy()
    assert stated == 3 and stated_right == stated and right == total


ADDED_KEYS = ("art28.sub_processor_changes", "data.no_own_purposes", "access.remote_mfa",
              "security.vulnerability_testing", "termination.data_breach")


def test_keys_added_later_find_only_what_the_real_contracts_say():
    """The shared labels predate the five keys; read by hand for them, only the GitHub DPA's
    Clause 9 (90 days' notice of sub-processor changes, with a right to object) carries one.
    The CCPA "shall not sell" and GitHub staff "remotely accessing Customer Data" it holds are
    not the clauses (no own purposes; supplier access to our systems)."""
    found = set()
    for path in sorted(SHARED.glob("*.docx")):
        for finding in scan_document(path.read_bytes(), filename=path.name).clauses:
            if finding.key in ADDED_KEYS and finding.present:
                found.add((path.name, finding.key))
    assert found == {("github-data-protection-agreement-2022.docx", "art28.sub_processor_changes")}


def test_partial_new_clauses_say_what_is_missing():
    traps = next(c for c in CORPUS if c.name == "supplier-duty-traps")
    result = scan_docx(traps.data).by_key()
    assert result["art28.sub_processor_changes"].status == "partial"
    assert "object" in result["art28.sub_processor_changes"].reason
    assert result["security.vulnerability_testing"].status == "partial"
    for key in ("data.no_own_purposes", "access.remote_mfa", "termination.data_breach"):
        assert not result[key].present, key
    assert "not required" in result["access.remote_mfa"].reason  # a negation, explained
    duties = scan_docx(next(c for c in CORPUS if c.name == "supplier-duties").data).by_key()
    assert all(duties[k].status == "present" for k in ADDED_KEYS)
    assert "clause 4.1" in duties["access.remote_mfa"].location


def test_decoys_among_the_real_contracts_stay_clean():
    report = evaluate_folder(SHARED)
    decoys = {"37signals-privacy-policy.docx", "govuk-notify-privacy-notice.docx",
              "github-terms-of-service.docx", "basecamp-big-sla.docx"}
    for doc in report.documents:
        if doc.name in decoys:
            assert doc.found <= {"liability.insurance"}, (doc.name, doc.found)


def test_the_evaluator_counts_misses_and_extras():
    from portal.contracts.evaluate import Labels

    data = corpus()[0].data  # legalese: 13 keys, 48 hours
    report = evaluate([("doc", data, Labels(frozenset({"art28.subject_matter"}), 24))])
    precision, recall, f1 = report.micro()
    assert recall == 0.0 and precision == 0.0 and f1 == 0.0
    assert report.window_accuracy() == (0, 1, 0, 1)
    assert "missed art28.subject_matter" in "\n".join(report.lines(detail=True))


def test_evaluate_command_prints_per_key_and_micro_figures():
    from click.testing import CliRunner

    from portal.cli import cli

    result = CliRunner().invoke(cli, ["contracts", "evaluate", str(SHARED), "--no-detail"])
    assert result.exit_code == 0, result.output
    assert "art28.sub_processors" in result.output and "micro-average" in result.output
    assert "stated windows" in result.output
    missing = CliRunner().invoke(cli, ["contracts", "evaluate", str(SHARED.parent)])
    assert missing.exit_code == 1 and "labels.json" in missing.output


# --- the document model: lead-ins, tracked changes, defined terms, direction, references ---

def _doc(*paragraphs: str | tuple[str, str]) -> bytes:
    document = Document()
    for item in paragraphs:
        text, style = item if isinstance(item, tuple) else (item, None)
        document.add_paragraph(text, style=style)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_list_items_are_read_with_their_lead_in():
    data = _doc("7. The Processor shall:", ("process personal data only on documented instructions;", "List Bullet"),
                ("not engage another processor without prior written authorisation;", "List Bullet"),
                "(c) make available all information necessary to demonstrate compliance with Article 28.")
    result = scan_docx(data).by_key()
    assert result["art28.documented_instructions"].present
    assert result["art28.sub_processors"].status == "present"
    assert result["art28.audit_information"].present
    assert result["art28.sub_processors"].excerpt.startswith("7. The Processor shall:")


def test_inline_lists_and_abbreviations_do_not_break_sentences():
    data = _doc("The Supplier shall assist the Customer with its obligations under Art. 32 to 36 "
                "and shall: (a) notify the Customer of any Personal Data Breach within 24 hours; "
                "and (b) keep records.")
    result = scan_docx(data)
    assert result.by_key()["art28.compliance_assistance"].present
    assert result.breach_notification_hours == 24


def test_struck_through_and_deleted_wording_is_not_live():
    from tests.contract_corpus import model_clauses

    result = scan_docx(model_clauses().data)
    assert result.breach_immediate and result.breach_hours_reported is None  # not the struck 72
    transfers = result.by_key()["transfers.international"]
    assert "prior written consent" in transfers.excerpt and "appropriate" not in transfers.excerpt


def test_defined_terms_are_read_as_what_they_stand_for():
    data = _doc("\"Protected Data\" means Personal Data received from or on behalf of the Customer.",
                "\u201cSecurity Event\u201d means any unauthorised access to Protected Data.",
                "The Supplier will notify the Customer of a Security Event within forty-eight hours.",
                "On termination the Supplier shall, at the Customer\u2019s choice, return or delete "
                "all Protected Data.")
    result = scan_docx(data)
    assert result.by_key()["breach.notification"].present and result.breach_notification_hours == 48
    assert result.by_key()["art28.deletion_or_return"].status == "present"
    both = scan_docx(_doc("Upon termination the Supplier shall return all Personal Data and then "
                          "delete it.")).by_key()["art28.deletion_or_return"]
    assert both.status == "partial" and "choice" in both.reason


def test_only_the_supplier_window_counts():
    data = _doc("The Customer shall notify the Supplier of any security incident within 24 hours.",
                "The Supplier shall notify the Customer of any Personal Data Breach without undue "
                "delay. Notice shall be given within three (3) Business Days.")
    result = scan_docx(data)
    assert result.breach_notification_hours == 72
    assert "three (3) Business Days" in result.by_key()["breach.notification"].excerpt
    only_customer = _doc("You must notify us within 24 hours of any data breach on your account.")
    assert not scan_docx(only_customer).by_key()["breach.notification"].present


def test_immediately_is_a_window_of_its_own():
    data = _doc("The Supplier shall notify the Customer immediately if it becomes aware of a "
                "Personal Data Breach.")
    result = scan_docx(data)
    body = result.as_json()
    assert body["breach_notification_hours"] is None and body["breach_notification_immediate"]
    assert result.breach_notification_hours == 0  # what is stored: full credit in the scoring rules
    assert result.by_key()["breach.notification"].status == "present"
    suggestion = _doc("The Supplier must notify the Customer of any data breach and immediately "
                      "suggest remedial action.")
    assert not scan_docx(suggestion).breach_immediate


def test_immediately_scores_as_full_credit():
    from portal.scoring.rules import ContractFacts, _contracted, load_policy

    policy = load_policy()
    stored = scan_docx(_doc("The Supplier shall notify the Customer immediately if it becomes "
                            "aware of a Personal Data Breach.")).breach_notification_hours

    def earned(hours):
        facts = ContractFacts(id=1, title="t", start_date=None, end_date=None, data_role="processor",
                              personal_data=True, patient_data=False,
                              clauses={"breach.notification": "present"},
                              required=("breach.notification",), breach_hours=hours)
        return _contracted([facts], policy, 100)[0]

    assert stored == 0
    assert earned(stored) == earned(24) == 100
    assert earned(72) < 100 and earned(None) < 100


def test_references_to_absent_schedules_are_not_clauses():
    absent = scan_docx(_doc("The Supplier shall process Personal Data only in accordance with "
                            "Schedule 9.")).by_key()["art28.documented_instructions"]
    assert absent.status == "missing" and "Schedule 9" in absent.reason
    included = scan_docx(_doc("The Supplier shall process Personal Data only in accordance with "
                              "Schedule 9.", ("Schedule 9 - Processing instructions", "Heading 1"),
                              "Hosting of patient records.")).by_key()
    assert included["art28.documented_instructions"].present
    disputes = scan_docx(_doc("Any disagreement shall be resolved in accordance with the Dispute "
                              "Resolution Procedure.")).by_key()["disputes.resolution"]
    assert disputes.status == "missing"


def test_qualified_obligations_are_partial_with_the_reason():
    finding = scan_docx(_doc("The Supplier shall use reasonable endeavours to assist the Customer "
                             "with any data protection impact assessment.")).by_key()[
        "art28.compliance_assistance"]
    assert finding.status == "partial" and "reasonable endeavours" in finding.reason


def test_keyword_traps_are_not_clauses():
    data = _doc("The Customer may carry out a clinical audit of its services; audit logs are kept.",
                "The Supplier does not ensure that data security training is given.",
                "The Supplier shall carry out its own data protection impact assessment of its "
                "internal systems.")
    result = scan_docx(data).by_key()
    assert not result["art28.audit_information"].present
    assert not result["staff.training"].present
    assert not result["art28.compliance_assistance"].present  # its own DPIA helps no customer


def test_a_document_that_is_not_binding_imposes_nothing():
    from tests.contract_corpus import not_binding

    result = scan_docx(not_binding().data)
    assert not any(f.present for f in result.clauses)
    assert "not binding" in result.notes[0]


# --- PDF ---

def test_pdf_contracts_are_read_with_page_locations():
    from tests.contract_corpus import pdf_contract

    contract = pdf_contract()
    result = scan_document(contract.data, filename="contract.pdf")
    found = {f.key for f in result.clauses if f.present}
    assert found == contract.present and result.breach_notification_hours == 48
    assert result.by_key()["breach.notification"].location.startswith("page 2")
    assert "(a)" in result.by_key()["art28.documented_instructions"].location


def test_an_image_only_pdf_says_it_has_no_text_layer():
    from tests.contract_corpus import pdf_from_pages

    with pytest.raises(UnreadableContract, match="no text layer"):
        scan_document(pdf_from_pages([[], []]))
    with pytest.raises(UnreadableContract, match="could not be read"):
        scan_document(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF")
    with pytest.raises(UnreadableContract, match="neither"):
        scan_document(b"plain text")


def test_pdf_page_count_is_bounded(monkeypatch):
    from portal.contracts import pdf
    from portal.contracts.reader import ContractTooLarge
    from tests.contract_corpus import pdf_from_pages

    monkeypatch.setattr(pdf, "MAX_PDF_PAGES", 3)
    with pytest.raises(ContractTooLarge, match="at most 3 pages"):
        scan_document(pdf_from_pages([["The Supplier shall keep records."]] * 4))


# --- bounds and speed (issue 10 item 18) ---

def test_a_small_file_holding_megabytes_of_xml_is_refused_quickly():
    from portal.contracts.reader import ContractTooLarge

    data = _bomb(3_500_000)  # ~21 MB of XML
    assert len(data) < 200_000
    started = time.perf_counter()
    with pytest.raises(ContractTooLarge, match="too large to scan"):
        scan_document(data)
    assert time.perf_counter() - started < 1.0


def test_paragraph_count_is_bounded():
    from portal.contracts.reader import MAX_PARAGRAPHS, ContractTooLarge

    with pytest.raises(ContractTooLarge, match="paragraphs"):
        read_blocks(_bomb(MAX_PARAGRAPHS + 10))


def test_scan_time_is_bounded(monkeypatch):
    from portal.contracts import scanner
    from portal.contracts.reader import ContractTooLarge

    monkeypatch.setattr(scanner, "MAX_SCAN_SECONDS", -1.0)
    with pytest.raises(ContractTooLarge, match="seconds"):
        scan_docx(CORPUS[0].data)


def test_a_sixty_page_contract_scans_in_under_a_second():
    data = sixty_pages()
    words = sum(len(b.text.split()) for b in read_blocks(data))
    assert words > 27_000
    scan_docx(data)  # warm the rule cache
    best = min(_timed(lambda: scan_docx(data)) for _ in range(3))
    assert best < 1.0, f"{best:.2f} s"


def _timed(work) -> float:
    """CPU seconds (the machine is shared: wall-clock time would measure the neighbours)."""
    started = time.process_time()
    work()
    return time.process_time() - started


def test_a_heading_can_carry_the_subject_of_its_sentences():
    data = _doc(("5. Security incidents", "Heading 1"),
                "The Supplier will notify the Customer within 36 hours of becoming aware of one.")
    result = scan_docx(data)
    assert result.by_key()["breach.notification"].present and result.breach_notification_hours == 36
    assert "Security incidents" in result.by_key()["breach.notification"].location
    unrelated = _doc(("5. Invoicing", "Heading 1"), "The Supplier will notify the Customer within 36 "
                     "hours of any change to its prices.")
    assert not scan_docx(unrelated).by_key()["breach.notification"].present


def test_the_regulator_deadline_is_not_the_supplier_window():
    data = _doc("The Supplier shall notify the Customer of a Personal Data Breach without undue delay "
                "so as to enable the Customer to notify the Information Commissioner within 72 hours.")
    result = scan_docx(data)
    assert result.by_key()["breach.notification"].status == "partial"
    assert result.breach_notification_hours is None


def test_the_parties_own_names_decide_whose_duty_it_is():
    data = _doc("This agreement is between Northgate Trust (\"Company\", the customer) and "
                "Vendorly Ltd (\"Vendorly\").",
                *[f"Company shall {duty}." for duty in ("pay invoices", "provide data",
                                                         "appoint a manager")],
                "Company shall notify Vendorly of any security incident within 24 hours.",
                "Vendorly shall notify Company of any personal data breach within 48 hours.",
                "Vendorly maintains business continuity plans and tests them every year.")
    result = scan_docx(data)
    assert result.breach_notification_hours == 48
    assert result.by_key()["continuity.bcdr"].present  # 'Vendorly maintains': its commitment


def test_a_clause_of_its_own_ends_the_list_and_its_lead_in():
    data = _doc("The Supplier shall:", ("keep records of processing;", "List Number"),
                ("The Customer shall pay the charges within 30 days.", "List Number"))
    blocks = read_blocks(data)
    assert blocks[1].lead_in == "The Supplier shall:"
    assert blocks[2].lead_in == ""  # the customer's duty is not one of the supplier's items


def test_megabytes_of_xml_in_styles_or_headers_are_refused_quickly():
    import io
    import zipfile

    from portal.contracts.reader import ContractTooLarge

    source = zipfile.ZipFile(io.BytesIO(CORPUS[0].data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/styles.xml":  # padded with 20 MB of comment
                data = data.replace(b"?>", b"?><!--" + b" " * 20_000_000 + b"-->", 1)
            bomb.writestr(info, data)
    assert len(out.getvalue()) < 300_000
    started = time.perf_counter()
    with pytest.raises(ContractTooLarge, match="all its parts"):
        scan_document(out.getvalue())
    assert time.perf_counter() - started < 1.0
