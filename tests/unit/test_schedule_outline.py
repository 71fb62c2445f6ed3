"""The schedule's outline on plain values: parties by role, terms defined, nothing left undefined."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from portal.contracts.library import KEYS, library
from portal.schedules.document import (
    PROPER_NAMES,
    TERMS,
    Draft,
    Gap,
    outline,
    particulars_problem,
    placeholder,
)

GENERIC = {"UK", "GDPR", "Article", "Articles", "Chapter", "Annex", "Annexes", "Schedule", "Law",
           "NHS", "England", "United", "Kingdom", "Data", "Protection", "Act", "PPN", "Crown",
           "Commercial", "Service", "Open", "Government", "Licence", "Process", "Processed",
           "Processing", "Working", "Days", "Plus", "Office", "Commissioner's", "ICO", "V",
           "Joint", "Controllers", "Independent", "Controller", "CCS", "Regulation", "General",
           "Lawful", "Review", "Toolkit", "December", "September", "English",
           "Procurement", "Policy", "Note", "Addendum", "Agreement"}  # names and titles


def _base(word: str) -> set[str]:
    """The word and what it is a plural or possessive of."""
    return {word, re.sub(r"'s$|’s$", "", word), re.sub(r"e?s$", "", word)}


def draft(kind: str, **overrides) -> Draft:
    clauses = library()
    values = dict(
        kind=kind, contract_title="records service", contract_reference="ref-1",
        start_date=dt.date(2025, 4, 1), end_date=None, customer="the trust",
        supplier="the firm", particulars={
            "processing_subject_matter": "records", "processing_nature_purpose": "storage",
            "personal_data_types": "names", "data_subject_categories": "patients"},
        special_category="", data_locations="", transfer="not known yet", tra_reference="",
        certifications=[], answers=[], answers_source="", sub_processors=[],
        gaps=[Gap(k, clauses[k].title, clauses[k].legal_reference, clauses[k].legal_basis,
                  clauses[k].model_clause, "missing") for k in KEYS],
        generated=dt.datetime(2026, 12, 2, tzinfo=dt.UTC))
    values.update(overrides)
    return Draft(**values)


def _texts(blocks) -> list[str]:
    return [b.text for b in blocks if b.kind in ("para", "note", "heading", "mark")]


@pytest.mark.parametrize("kind,supplier_role", [
    ("article_28", "Processor"), ("data_sharing_agreement", "Independent Controller"),
    ("article_26_arrangement", "Joint Controller")])
def test_parties_are_named_by_their_role(kind, supplier_role):
    blocks = outline(draft(kind))
    parties = next(b for b in blocks if b.kind == "table")
    assert ("Supplier", "the firm", supplier_role) in parties.rows
    assert blocks[0].text.startswith("Draft for legal review")


@pytest.mark.parametrize("kind", ["article_28", "data_sharing_agreement", "article_26_arrangement"])
@pytest.mark.parametrize("wording", ["portal", "national"])
def test_every_capitalised_word_is_a_defined_term_or_a_name(kind, wording):
    """Record values are lower case here, so any capital left is the document's own words."""
    blocks = outline(draft(kind, wording=wording))
    definitions = next(b for b in blocks if b.kind == "table" and b.headers == ("Term", "Meaning"))
    defined = {row[0] for row in definitions.rows}
    allowed = set(GENERIC) | {w for t in defined for w in t.split()} | {
        w for name in PROPER_NAMES for w in name.split()}
    for text in _texts(blocks):
        for sentence in re.split(r"(?<=[.:;])\s+|\(", text):
            words = re.findall(r"[A-Za-z][\w'’-]*", sentence)
            for word in words[1:]:
                if word[0].isupper() and not word.isupper():
                    assert _base(word) & allowed, (word, text)
    body = " ".join(_texts(blocks))
    for term in TERMS:
        if re.search(rf"(?<![\w-]){re.escape(term)}(?:e?s|'s)?(?![\w-])", body):
            assert term in defined, term


def test_article_28_terms_only_in_the_processor_schedule():
    sharing = " ".join(_texts(outline(draft("data_sharing_agreement", gaps=[]))))
    assert "documented instructions" not in sharing and "Lawful basis" in sharing
    processor = " ".join(_texts(outline(draft("article_28"))))
    assert "documented instructions" in processor


def test_national_wording_cites_paragraphs_for_processor_terms_only():
    processor = " ".join(_texts(outline(draft("article_28", wording="national"))))
    assert "Joint Schedule 11 paragraph 4" in processor  # infringing instructions
    assert "Data Security and Protection Toolkit" in processor  # no national equivalent
    sharing = " ".join(_texts(outline(draft("data_sharing_agreement", wording="national"))))
    assert "paragraphs 14-15" not in sharing
    assert "Independent Controllers" in sharing


def test_annexes_say_not_recorded_rather_than_inventing():
    blocks = outline(draft("article_28", gaps=[]))
    annex = next(b for b in blocks if b.kind == "table" and b.headers == ("Item", "Detail"))
    rows = dict(annex.rows)
    assert rows["Where the data is held"] == "Not recorded"
    assert rows["Types of Personal Data"] == "names"
    assert "until the end of the Contract" in rows["Duration of the processing"]
    assert any("already contains every clause" in t for t in _texts(blocks))


# Names that are written in capitals but are not terms of this document.
ACRONYM_NAMES = {"UK", "GDPR", "NHS", "CHECK", "CREST", "EU", "V", "IT"}


@pytest.mark.parametrize("kind", ["article_28", "data_sharing_agreement", "article_26_arrangement"])
@pytest.mark.parametrize("wording", ["portal", "national"])
def test_every_abbreviation_is_defined(kind, wording):
    """The legal bases in the "Why" notes and the base text say DSPT, NDG, CAF, PPN, ICO, IDTA:
    a lawyer reads each as a capitalised term, so each is defined (or is a name)."""
    blocks = outline(draft(kind, wording=wording))
    definitions = next(b for b in blocks if b.kind == "table" and b.headers == ("Term", "Meaning"))
    defined = {row[0] for row in definitions.rows}
    for text in _texts(blocks):
        for word in re.findall(r"\b[A-Z][A-Z]+\b", text):
            assert word in defined or word in ACRONYM_NAMES, (word, text)


def _definitions(blocks) -> dict[str, str]:
    table = next(b for b in blocks if b.kind == "table" and b.headers == ("Term", "Meaning"))
    return dict(table.rows)


def test_schedule_1_of_the_act_does_not_define_schedule_as_this_document():
    """'Schedule 1 of the Data Protection Act 2018' in the lawful basis section is a name: it
    must not make "Schedule" ("this document") a defined term of a data sharing agreement."""
    blocks = outline(draft("data_sharing_agreement", gaps=[]))
    assert any("Schedule 1 of the Data Protection Act 2018" in t for t in _texts(blocks))
    assert "Schedule" not in _definitions(blocks)
    assert "Schedule" in _definitions(outline(draft("article_28", gaps=[])))  # "this Schedule"


@pytest.mark.parametrize("kind", ["data_sharing_agreement", "article_26_arrangement"])
def test_between_controllers_a_sub_processor_is_not_the_customers(kind):
    clauses = library()
    training = Gap("staff.training", clauses["staff.training"].title, "", "",
                   clauses["staff.training"].model_clause, "missing")  # uses Supplier Personnel
    meanings = _definitions(outline(draft(kind, gaps=[training])))
    assert "Sub-processor" in meanings
    assert "on behalf of the Customer" not in meanings["Sub-processor"]
    processor = _definitions(outline(draft("article_28", gaps=[training])))
    assert "on behalf of the Customer" in processor["Sub-processor"]


def test_no_sub_processor_on_record_is_not_an_authorised_list():
    """Annex 3 empty: the schedule must not say 'the Sub-processors listed in Annex 3 are
    authorised' of a list that lists none."""
    clauses = library()
    gap = Gap("art28.sub_processors", clauses["art28.sub_processors"].title, "", "",
              clauses["art28.sub_processors"].model_clause, "missing")
    empty = " ".join(_texts(outline(draft("article_28", gaps=[gap]))))
    assert "listed in Annex 3 are authorised" not in empty
    assert "show no Sub-processor, so none is authorised" in empty
    listed = " ".join(_texts(outline(draft("article_28", gaps=[gap], sub_processors=[
        ("Skyhost", "Hosting", "Records", "Ireland", "Adequacy", "1 Apr 2025")]))))
    assert "listed in Annex 3 are authorised" in listed


def test_a_data_sharing_annex_gives_the_sharing_period_not_a_processors_exit():
    annex = dict(next(b for b in outline(draft("data_sharing_agreement", gaps=[]))
                      if b.kind == "table" and b.headers == ("Item", "Detail")).rows)
    assert "Duration of the processing" not in annex
    assert "returned or deleted" not in annex["Duration of the sharing"]


@pytest.mark.parametrize("label,value,vague", [
    ("Types of Personal Data", "Personal data", True),
    ("Types of Personal Data", "  personal DATA. ", True),
    ("Categories of Data Subjects", "Data subjects", True),
    ("Subject matter of the processing", "TBC", True),
    ("Nature and purpose of the processing", "N/A", True),
    ("Subject matter of the processing", "—", True),
    ("Types of Personal Data", "Names, NHS numbers, clinical notes", False),
    ("Categories of Data Subjects", "Patients", False),
    ("Nature and purpose of the processing", "Storage", False),
])
def test_a_particular_that_only_repeats_its_heading_is_a_placeholder(label, value, vague):
    assert placeholder(label, value) is vague


def test_particulars_problem_lists_empty_and_placeholder_particulars_in_words():
    values = {"processing_subject_matter": "", "processing_nature_purpose": "Storage",
              "personal_data_types": "Personal data", "data_subject_categories": "Patients"}
    problem = particulars_problem(values)
    assert "these are empty: Subject matter of the processing" in problem
    assert 'Types of Personal Data ("Personal data")' in problem
    assert particulars_problem({**values, "processing_subject_matter": "Records",
                                "personal_data_types": "Names"}) == ""


def test_a_scan_note_about_the_uploaded_contract_does_not_read_as_this_schedule():
    """The scanner says "Refers to Annex 1, which is not in this document"; in the schedule,
    which has its own Annex 1, that must name the uploaded Contract."""
    clauses = library()
    gap = Gap("art28.subject_matter", clauses["art28.subject_matter"].title, "", "UK GDPR Article 28(3)",
              clauses["art28.subject_matter"].model_clause, "missing", "clause 2.1",
              "Refers to Annex 1, which is not in this document: upload the schedule too")
    notes = [t for t in _texts(outline(draft("article_28", gaps=[gap]))) if t.startswith("Why:")]
    assert notes and "not in this document" not in notes[0]
    assert "Refers to Annex 1, which is not in the uploaded Contract" in notes[0]
