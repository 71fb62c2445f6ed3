"""The data protection schedule as a document: plain values in, an outline of blocks, Word out.

Which document depends on the contract's data role (portal.contracts.rules.agreement):
Article 28 terms for a processor, a data sharing agreement outline between independent
controllers, an Article 26 arrangement outline for joint controllers. Every capitalised term
the text uses is defined in it; the parties are named by their real roles; the annexes come
from the records (processing particulars, security measures, sub-processors). It is always a
draft for legal review. The outline is plain data, so tests read it without Word.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt, RGBColor

from portal.core.word import new_document, table, to_bytes

NATIONAL_FILE = Path(__file__).parent / "national.yaml"
WORDINGS = ("portal", "national")
DRAFT_MARK = "Draft for legal review"


@lru_cache(maxsize=1)
def national() -> dict:
    return yaml.safe_load(NATIONAL_FILE.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Gap:
    """A required clause the contract lacks (or carries only in part)."""

    key: str
    title: str
    reference: str
    legal_basis: str
    model_clause: str
    status: str  # missing or partial
    location: str = ""
    note: str = ""  # what the scan or the reviewer said about it


@dataclass(frozen=True)
class Draft:
    kind: str  # article_28, data_sharing_agreement, article_26_arrangement
    contract_title: str
    contract_reference: str
    start_date: dt.date | None
    end_date: dt.date | None
    customer: str
    supplier: str
    particulars: dict[str, str]  # the four Article 28(3) particulars, by field name
    special_category: str  # "" or what special-category data is involved
    data_locations: str
    transfer: str  # the safeguard in words
    tra_reference: str
    certifications: list[tuple[str, str, str, str]]  # scheme, status/number, expires, verification
    answers: list[tuple[str, str, str]]  # measure asked, answer, how it is backed
    answers_source: str  # which questionnaire and when it was accepted
    sub_processors: list[tuple[str, str, str, str, str, str]]
    gaps: list[Gap]
    wording: str = "portal"
    generated: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


# --- the outline ------------------------------------------------------------------------

@dataclass(frozen=True)
class Block:
    kind: str  # title, heading, para, note, table, mark, page
    text: str = ""
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    widths: tuple[float, ...] = ()  # column widths in cm (no column so narrow a word breaks)


TITLES = {"article_28": "Data Protection Schedule",
          "data_sharing_agreement": "Data Sharing Agreement (outline)",
          "article_26_arrangement": "Joint Controller Arrangement (outline)"}
ROLES = {"article_28": ("Controller", "Processor"),
         "data_sharing_agreement": ("Independent Controller", "Independent Controller"),
         "article_26_arrangement": ("Joint Controller", "Joint Controller")}
PARTICULARS = (("processing_subject_matter", "Subject matter of the processing"),
               ("processing_nature_purpose", "Nature and purpose of the processing"),
               ("personal_data_types", "Types of Personal Data"),
               ("data_subject_categories", "Categories of Data Subjects"))

# What a processing particular must say more than: values that only repeat the heading or hold
# a place ("Types of personal data: Personal data") tell a lawyer nothing, so the schedule is
# refused until the records say what the data actually is.
PLACEHOLDER_WORDS = frozenset({
    "tbc", "tbd", "tba", "to be confirmed", "to be agreed", "to be decided", "n/a", "na",
    "none", "not applicable", "not known", "unknown", "various", "misc", "other", "see contract",
    "as per contract", "per contract", "see the contract", "see schedule", "as above", "-", "x",
    "data", "personal data", "personal information", "information", "data subjects",
    "individuals", "people", "processing", "the processing", "services", "the services",
    "service", "the service", "purpose", "purposes", "subject matter"})


def placeholder(label: str, value: str) -> bool:
    """Whether a particular's value is empty or says nothing but its own heading or a
    stand-in: "Personal data" for the types of personal data, "TBC", "N/A"."""
    words = " ".join(re.sub(r"[^\w/\- ]+", " ", value.lower()).split()).strip(" -")
    return not words or words in PLACEHOLDER_WORDS or words == label.lower() \
        or re.fullmatch(r"[\W_]*", value) is not None


def particulars_problem(contract) -> str:
    """Why Annex 1 can't be written from a contract's processing particulars (a mapping of the
    PARTICULARS field names), in words that say what to record; "" when it can."""
    empty = [label for name, label in PARTICULARS if not (contract[name] or "").strip()]
    vague = [f"{label} (\"{' '.join(contract[name].split())}\")" for name, label in PARTICULARS
             if (contract[name] or "").strip() and placeholder(label, contract[name])]
    if not (empty or vague):
        return ""
    said = []
    if empty:
        said.append("these are empty: " + "; ".join(empty))
    if vague:
        said.append(("these say only their heading or a stand-in, not what the data is: "
                     if len(vague) > 1 else "this says only its heading or a stand-in, not what "
                     "the data is: ") + "; ".join(vague))
    return ("The schedule's Annex 1 is written from the contract's processing particulars, and "
            + ", and ".join(said) + ". Record them on the contract (Change contract details, "
            "Processing particulars) and try again.")


# Every capitalised term a schedule may use, with its meaning; a document defines the ones
# it uses (tests check nothing capitalised is left undefined).
TERMS: dict[str, str] = {
    "AI": "artificial intelligence",
    "Annex": "an annex to this document; the annexes form part of it",
    "CAF": "the Cyber Assessment Framework of the National Cyber Security Centre, as NHS "
           "England applies it in the Data Security and Protection Toolkit",
    "CCS": "the Crown Commercial Service",
    "Contract": "the contract named in paragraph 1 between the Customer and the Supplier",
    "Controller": "has the meaning given in Article 4(7) of the UK GDPR",
    "Customer": "{customer}",
    "Customer Data": "all data, including Personal Data, that the Customer or its users "
                     "provide to the Supplier, or that the Supplier generates for the Customer, "
                     "under the Contract",
    "Cyber Essentials Plus": "the government-backed certification scheme of that name "
                             "(National Cyber Security Centre), at its Plus level",
    "Data Protection Impact Assessment": "an assessment of the impact of processing on the "
                                         "protection of Personal Data under Article 35 of the "
                                         "UK GDPR",
    "Data Protection Legislation": "the UK GDPR, the Data Protection Act 2018 and all other "
                                   "law on the processing of personal data that applies in "
                                   "the United Kingdom",
    "Data Security and Protection Toolkit": "NHS England's annual online self-assessment of "
                                            "data security and protection against the "
                                            "National Data Guardian's standards",
    "Data Subject": "has the meaning given in Article 4(1) of the UK GDPR",
    "DSPT": "the Data Security and Protection Toolkit",
    "ICO": "the Information Commissioner's Office",
    "IDTA": "the international data transfer agreement issued by the Information Commissioner "
            "under section 119A of the Data Protection Act 2018",
    "Independent Controller": "a Controller of Personal Data that decides the purposes and "
                              "means of its own processing independently of the other party",
    "Information Commissioner": "the UK Information Commissioner and the Information "
                                "Commissioner's Office",
    "Joint Controller": "a Controller that determines the purposes and means of processing "
                        "jointly with another Controller under Article 26 of the UK GDPR",
    "MFA": "multi-factor authentication",
    "Law": "any law of the United Kingdom, or of a part of it, that applies to the Supplier",
    "National Data Guardian": "the National Data Guardian for Health and Social Care",
    "NDG": "the National Data Guardian for Health and Social Care",
    "NHS England": "NHS England, including its cyber security operations centre that issues "
                   "cyber alerts",
    "Personal Data": "has the meaning given in Article 4(1) of the UK GDPR",
    "Personal Data Breach": "has the meaning given in Article 4(12) of the UK GDPR",
    "PPN": "a Procurement Policy Note issued by the Cabinet Office",
    "Processing": "has the meaning given in Article 4(2) of the UK GDPR, and \"Process\" and "
                  "\"Processed\" are read accordingly",
    "Processor": "has the meaning given in Article 4(8) of the UK GDPR",
    "Schedule": "this document",
    "Services": "the products and services the Supplier provides under the Contract",
    "Shared Data": "the Personal Data described in Annex 1 that one party discloses to the "
                   "other for the purpose set out in this document",
    "Standards Met": "the Data Security and Protection Toolkit status of that name (or a "
                     "higher one)",
    "Sub-processor": "any third party the Supplier appoints to Process Personal Data on "
                     "behalf of the Customer",
    "Supplier": "{supplier}",
    "Supplier Personnel": "the employees, agents and contractors of the Supplier and of its "
                          "Sub-processors who take part in delivering the Services",
    "Term": "the period during which the Contract is in force",
    "UK GDPR": "the General Data Protection Regulation ((EU) 2016/679) as it forms part of "
               "the law of the United Kingdom",
    "Working Day": "a day other than a Saturday, a Sunday or a public holiday in England",
}
# Where a term means something else in a document between controllers: a sub-processor there
# works for the Supplier as its own processor, not "on behalf of the Customer".
TERMS_BY_KIND: dict[str, dict[str, str]] = {
    "data_sharing_agreement": {
        "Sub-processor": "any Processor the Supplier appoints to Process the Shared Data on its "
                         "own behalf",
    },
    "article_26_arrangement": {
        "Sub-processor": "any Processor either party appoints to Process the jointly "
                         "controlled Personal Data on its behalf",
    },
}


def meaning(term: str, d: Draft) -> str:
    """What a defined term means in this document (by its kind), parties filled in."""
    text = TERMS_BY_KIND.get(d.kind, {}).get(term, TERMS[term])
    return text.format(customer=d.customer, supplier=d.supplier)


# Capitalised words that are names, not defined terms (checked by the tests).
PROPER_NAMES = ("CHECK", "CREST", "Centre for Effective Dispute Resolution", "Article",
                "Articles", "Chapter", "Schedule 1", "Open Government Licence", "Crown",
                "Commercial Service", "Joint Schedule", "Joint Schedule 11")


def _date(day: dt.date | None, fallback: str) -> str:
    return day.strftime("%-d %B %Y") if day else fallback


def _clause(text: str) -> str:
    return " ".join(text.split())


def _national_for(key: str) -> dict | None:
    return national()["clauses"].get(key)


def outline(d: Draft) -> list[Block]:
    """The document as blocks, paragraph numbers included (plain data)."""
    customer_role, supplier_role = ROLES[d.kind]
    title = TITLES[d.kind]
    reference = f" (reference {d.contract_reference})" if d.contract_reference else ""
    blocks = [Block("mark", f"{DRAFT_MARK}: generated from the portal's records on "
                            f"{d.generated:%-d %B %Y}; not agreed terms and not legal advice."),
              Block("title", title)]
    body: list[Block] = []
    n = 0

    def section(heading: str, *paragraphs: str) -> None:
        nonlocal n
        n += 1
        body.append(Block("heading", f"{n}. {heading}"))
        for i, text in enumerate(paragraphs, start=1):
            body.append(Block("para", f"{n}.{i} {text}"))

    relation = {
        "article_28": "The Customer is the Controller and the Supplier is its Processor of the "
                      "Personal Data described in Annex 1. This Schedule sets out the terms "
                      "Article 28(3) of the UK GDPR requires and prevails over the rest of the "
                      "Contract in relation to the Processing of Personal Data.",
        "data_sharing_agreement": "Each party is an Independent Controller of the Shared Data: "
                                  "neither Processes it on the other's behalf, so Article 28 "
                                  "processor terms do not apply. This outline records what the "
                                  "parties agree about sharing it, following the Information "
                                  "Commissioner's data sharing code of practice.",
        "article_26_arrangement": "The parties are Joint Controllers: they determine together "
                                  "the purposes and means of the Processing described in "
                                  "Annex 1. This outline is the arrangement Article 26 of the "
                                  "UK GDPR requires, setting out their respective "
                                  "responsibilities.",
    }[d.kind]
    section("Parties and roles",
            f"This document forms part of the Contract \"{d.contract_title}\"{reference} between "
            f"{d.customer} (the \"Customer\") and {d.supplier} (the \"Supplier\").",
            relation)
    body.append(Block("table", headers=("Party", "Name", "Role"), rows=(
        ("Customer", d.customer, customer_role), ("Supplier", d.supplier, supplier_role)),
        widths=(3.5, 7.5, 5.5)))
    defs_at = len(body)  # definitions go here once the text is known
    n += 1
    defs_number = n
    if d.wording == "national":
        source = national()
        base = {"article_28": "",  # the source itself, said in 3.1
                "data_sharing_agreement": source["independent_controllers"],
                "article_26_arrangement": source["joint_controllers"]}[d.kind]
        section("Base text",
                "The Customer has chosen the national wording as the base text: "
                + _clause(source["source"]) + " This document does not reproduce that text; "
                "insert it from the published source and use the annexes below as its "
                "annexes. Where it has no equivalent to a term below, the portal's model "
                "clause is given instead.",
                (_clause(base) + " " + _clause(source["version_note"])).strip())
    else:
        section("Base text",
                "The terms below are the portal's own model clauses, written in plain English "
                "for the terms this Contract lacks. The Customer may choose the national "
                "wording (the Crown Commercial Service model data protection clauses, from "
                "PPN 03/17) as the base text instead.")

    gaps = list(d.gaps)
    if d.kind == "article_28":
        _processor_terms(d, gaps, section)
    elif d.kind == "data_sharing_agreement":
        _sharing_terms(d, gaps, section)
    else:
        _joint_terms(d, gaps, section, body)
    _gap_terms(d, gaps, section, body)
    _annexes(d, body)

    text = " ".join(b.text + " " + " ".join(" ".join(r) for r in b.rows) for b in blocks + body)
    used = _terms_used(text, d)
    definitions = [Block("heading", f"{defs_number}. Definitions"),
                   Block("para", f"{defs_number}.1 In this document the following capitalised "
                                 "terms have these meanings:")]
    definitions.append(Block("table", headers=("Term", "Meaning"), rows=tuple(
        (t, meaning(t, d)) for t in used),
        widths=(4.5, 12.0)))
    return blocks + body[:defs_at] + definitions + body[defs_at:]


def _mentions(term: str, text: str) -> bool:
    # plurals and possessives count ("Data Subjects", "the Supplier's")
    return re.search(rf"(?<![\w-]){re.escape(term)}(?:e?s|'s)?(?![\w-])", text) is not None


def _without_names(text: str) -> str:
    """The text with the names in it taken out: "Schedule 1" (of the Data Protection Act 2018)
    and "Joint Schedule 11" are not this document's defined term "Schedule"."""
    for name in sorted(PROPER_NAMES, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", " ", text)
    return text


def _terms_used(text: str, d: Draft) -> list[str]:
    """The defined terms the text uses, and those their meanings use in turn."""
    text = _without_names(text)
    used = {t for t in TERMS if _mentions(t, text)}
    while True:
        meanings = _without_names(" ".join(meaning(t, d) for t in used))
        more = {t for t in TERMS if t not in used and _mentions(t, meanings)}
        if not more:
            return sorted(used)
        used |= more


def _processor_terms(d: Draft, gaps: list[Gap], section) -> None:
    keys = {g.key for g in gaps}
    if "art28.sub_processors" not in keys:
        return
    # the authorisation the sub-processor clause asks for is given by name in Annex 3
    if d.sub_processors:
        text = ("The Sub-processors listed in Annex 3 are authorised by the Customer at the date "
                "of this Schedule; any other needs its prior written authorisation as set out "
                "below.")
    else:
        text = ("The Customer's records show no Sub-processor, so none is authorised at the date "
                "of this Schedule; any Sub-processor needs the Customer's prior written "
                "authorisation as set out below.")
    section("Sub-processors authorised at the date of this Schedule", text)


def _sharing_terms(d: Draft, gaps: list[Gap], section) -> None:
    purpose = d.particulars["processing_nature_purpose"]
    section("Purpose of the sharing",
            f"The parties share the Shared Data only for this purpose: {purpose}",
            "Neither party shall use the Shared Data for a purpose incompatible with it.")
    section("Lawful basis",
            "Each party shall identify and record its lawful basis under Article 6 of the UK "
            "GDPR and, for special category data, its condition under Article 9 and Schedule 1 "
            "of the Data Protection Act 2018, before the sharing starts. To be completed by each "
            "party before signature.")
    section("Transparency and Data Subject rights",
            "Each party is responsible for telling Data Subjects about its own Processing and "
            "for answering requests made to it.",
            "A party that receives a request about Shared Data the other holds shall pass it on "
            "within five Working Days and co-operate in answering it.")
    section("Security",
            "Each party shall protect the Shared Data by appropriate technical and "
            "organisational measures under Article 32 of the UK GDPR. The Supplier's measures "
            "known to the Customer are recorded in Annex 2.")
    section("Personal Data Breaches",
            "Each party shall tell the other without undue delay, and in any event within "
            "twenty-four (24) hours of becoming aware, of a Personal Data Breach affecting the "
            "Shared Data, and the parties shall co-operate in notifying the Information "
            "Commissioner and Data Subjects where Articles 33 and 34 of the UK GDPR require.")
    section("Retention and deletion",
            "Each party shall keep the Shared Data no longer than its purpose needs and then "
            "delete it securely, unless Law requires it to be kept.")
    _transfer_section(d, section)
    section("Review and ending",
            "The parties shall review this arrangement at least once a year and when the "
            "Contract changes.",
            "The Customer may end the sharing at once by notice if the Supplier breaches this "
            "document or the Data Protection Legislation in relation to the Shared Data.")
    gaps[:] = [g for g in gaps if g.key not in ("breach.notification", "transfers.international")]


def _joint_terms(d: Draft, gaps: list[Gap], section, body: list[Block]) -> None:
    purpose = d.particulars["processing_nature_purpose"]
    section("Purposes and means",
            f"The parties jointly determine the purposes and means of this Processing: {purpose}")
    section("Respective responsibilities",
            "The parties allocate the duties of the UK GDPR between them as in the table below. "
            "Where a row is still to be agreed, each party remains responsible until it is.")
    agree = "To be agreed"
    body.append(Block("table", headers=("Duty", "UK GDPR", "Responsible party"), rows=(
        ("Privacy information to Data Subjects", "Articles 13 and 14", agree),
        ("Contact point for Data Subjects", "Article 26(1)", agree),
        ("Answering Data Subject requests", "Articles 15 to 22", agree),
        ("Security of the Processing", "Article 32", "Each party for its own systems"),
        ("Notifying Personal Data Breaches to the Information Commissioner and Data Subjects",
         "Articles 33 and 34", agree),
        ("Data Protection Impact Assessment", "Article 35", agree),
        ("Records of Processing", "Article 30", "Each party"),
        ("International transfers", "Chapter V", agree)), widths=(7.5, 3.5, 5.5)))
    section("Information for Data Subjects",
            "The parties shall make the essence of this arrangement available to Data Subjects "
            "(Article 26(2) of the UK GDPR).",
            "Data Subjects may exercise their rights against either party (Article 26(3)).")
    section("Personal Data Breaches between the parties",
            "Each party shall tell the other without undue delay, and in any event within "
            "twenty-four (24) hours of becoming aware, of a Personal Data Breach affecting the "
            "jointly controlled Personal Data.")
    _transfer_section(d, section)
    gaps[:] = [g for g in gaps if g.key not in ("breach.notification", "transfers.international")]


def _transfer_section(d: Draft, section) -> None:
    where = d.data_locations or "not recorded"
    tra = f" Transfer risk assessment: {d.tra_reference}." if d.tra_reference else ""
    section("International transfers",
            f"The Customer's records show the data held in: {where}. Safeguard for any transfer "
            f"outside the United Kingdom: {d.transfer}.{tra}",
            "No party shall transfer the Personal Data outside the United Kingdom except with "
            "appropriate safeguards under Chapter V of the UK GDPR and after telling the other.")


def _gap_terms(d: Draft, gaps: list[Gap], section, body: list[Block]) -> None:
    if not gaps:
        section("Additional terms",
                "The Contract already contains every clause required for it; no additional "
                "terms are needed. The annexes record the particulars and measures as the "
                "Customer's records stand.")
        return
    for gap in gaps:
        # the national clause numbers are processor terms: only an Article 28 schedule cites them
        national_entry = _national_for(gap.key) if (
            d.wording == "national" and d.kind == "article_28") else None
        if national_entry:
            section(gap.title,
                    f"Insert the national wording, Joint Schedule 11 {national_entry['where']}: "
                    f"{national_entry['says']}.")
        else:
            section(gap.title, _clause(gap.model_clause))
        status = "missing" if gap.status == "missing" else "present only in part"
        found = "; ".join(x.rstrip(".") for x in (gap.location, _about_contract(gap.note)) if x)
        body.append(Block("note", f"Why: {gap.legal_basis}. In the current Contract: "
                                  f"{status}" + (f" ({found})" if found else "") + "."))


def _about_contract(note: str) -> str:
    """A scan's note speaks of the uploaded contract as "this document" ("Refers to Annex 1,
    which is not in this document"); here "this document" is the schedule, which has its own
    Annex 1, so the note names the uploaded Contract instead."""
    return re.sub(r"\bthis document\b", "the uploaded Contract", note)


def _annexes(d: Draft, body: list[Block]) -> None:
    particular_title = "Shared Data" if d.kind == "data_sharing_agreement" else "Processing particulars"
    body.append(Block("page"))
    body.append(Block("heading", f"Annex 1: {particular_title}"))
    start = _date(d.start_date, "the start of the Contract")
    end = _date(d.end_date, "the end of the Contract")
    rows = [(label, d.particulars[name]) for name, label in PARTICULARS]
    if d.kind == "data_sharing_agreement":
        rows.insert(1, ("Duration of the sharing", f"From {start} until {end}; each party then "
                                                   "keeps what it received only as long as its "
                                                   "own purpose and the Law need"))
    else:
        rows.insert(1, ("Duration of the processing", f"From {start} until {end}, and any exit "
                                                      "period in which Personal Data is "
                                                      "returned or deleted"))
    rows.append(("Special category data", d.special_category or "None recorded"))
    rows.append(("Where the data is held", d.data_locations or "Not recorded"))
    rows.append(("Safeguard for transfers outside the UK",
                 d.transfer + (f" (transfer risk assessment {d.tra_reference})"
                               if d.tra_reference else "")))
    body.append(Block("table", headers=("Item", "Detail"), rows=tuple(rows), widths=(5.0, 11.5)))

    body.append(Block("heading", "Annex 2: Security measures"))
    body.append(Block("para", "The Supplier's certifications as the Customer's records hold "
                              "them, and what the Supplier stated in its accepted due diligence "
                              "answers. They describe the measures at the date of this "
                              "document; they are not a complete security specification."))
    body.append(Block("table", headers=("Certification", "Status or number", "Expires",
                                        "Checked"), rows=tuple(d.certifications),
                      widths=(4.5, 5.0, 3.0, 4.0)))
    if d.answers:
        body.append(Block("para", f"Accepted answers: {d.answers_source}."))
        body.append(Block("table", headers=("Measure asked about", "Supplier's answer",
                                            "Backed by"), rows=tuple(d.answers),
                          widths=(9.0, 4.0, 3.5)))
    else:
        body.append(Block("para", "No accepted due diligence answers from the last twelve "
                                  "months are recorded."))

    label = "Sub-processors" if d.kind == "article_28" else "Processors the Supplier uses"
    body.append(Block("heading", f"Annex 3: {label}"))
    body.append(Block("table", headers=("Name", "Service", "Data processed", "Location",
                                        "Transfer safeguard", "Since"),
                      rows=tuple(d.sub_processors), widths=(3.0, 3.0, 3.0, 2.5, 3.0, 2.0)))


# --- Word --------------------------------------------------------------------------------

def render(d: Draft) -> bytes:
    blocks = outline(d)
    document = new_document(TITLES[d.kind] + f": {d.contract_title}")
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)  # A4, not Word's US Letter
    section.left_margin = section.right_margin = Cm(2.2)
    header = section.header.paragraphs[0]
    header.text = f"{DRAFT_MARK} · {TITLES[d.kind]} · generated {d.generated:%-d %B %Y}"
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for block in blocks:
        if block.kind == "page":
            document.add_page_break()
        elif block.kind == "title":
            document.add_heading(block.text, level=0)
        elif block.kind == "mark":
            run = document.add_paragraph().add_run(block.text)
            run.bold = True
            run.font.color.rgb = RGBColor(0xA0, 0x00, 0x00)
            run.font.size = Pt(11)
        elif block.kind == "heading":
            document.add_heading(block.text, level=1)
        elif block.kind == "para":
            document.add_paragraph(block.text)
        elif block.kind == "note":
            document.add_paragraph().add_run(block.text).italic = True
        elif block.kind == "table":
            table(document, block.headers, block.rows, widths=block.widths)
            document.add_paragraph()
    return to_bytes(document)


def filename(d: Draft) -> str:
    stem = {"article_28": "data-protection-schedule", "data_sharing_agreement":
            "data-sharing-agreement", "article_26_arrangement": "joint-controller-arrangement"}[d.kind]
    safe = re.sub(r"[^A-Za-z0-9-]+", "-", d.contract_title).strip("-")[:60] or "contract"
    return f"{stem}-{safe}-{d.generated:%Y%m%d}.docx"
