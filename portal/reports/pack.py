"""The DSPT evidence pack as a Word document: what the organisation answers for its category
and toolkit year (NDG standard 10 items, or CAF A4.a), with the records behind every answer.

Plain Python over plain values (the readiness evaluation, the portfolio rows, the action plan
and approvals): the service loads them, this module lays them out. No raw keys reach the page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from docx.shared import Cm

from portal.core.word import new_document, table, to_bytes
from portal.reports import frameworks
from portal.reports.answers import local_bar
from portal.reports.facts import in_scope
from portal.reports.readiness import Readiness

DATA_ROLES = {"processor": "Processor", "controller": "Independent controller",
              "joint_controller": "Joint controller", "none": "No personal data"}
TIERS = {"critical": "Critical", "elevated": "Elevated", "baseline": "Baseline"}
VERIFICATION = {"self_declared": "Self-declared", "evidence_uploaded": "Evidence uploaded",
                "reviewer_checked": "Checked by a reviewer",
                "register_verified": "Verified against the public register"}
SCHEMES = {"dspt": "DSPT", "cyber_essentials": "Cyber Essentials",
           "cyber_essentials_plus": "Cyber Essentials Plus", "iso27001": "ISO/IEC 27001",
           "other": "Other"}
TRANSFERS = {"uk": "Stays in the UK", "adequacy": "UK adequacy regulations", "idta": "IDTA",
             "uk_addendum": "UK Addendum to the EU SCCs", "none": "No safeguard",
             "unknown": "Not recorded"}
ACCESS = {"none": "None", "user": "User", "remote": "Remote", "privileged": "Privileged"}
LEVEL_NAMES = {"not_achieved": "Not achieved statements (any true: not achieved)",
               "partially_achieved": "Partially achieved statements (all must be true)",
               "achieved": "Achieved statements (all must be true)"}
WIDTH = 17.0  # cm between the margins
RECORD_NAMES = {"subprocessors": "Sub-processors", "clauses": "Contract clauses",
                "products": "Products and services", "scores": "Scores",
                "assessments": "Assessments", "certifications": "Certifications",
                "contacts": "Contacts", "contracts": "Contracts", "risks": "Risks, disputes and incidents",
                "suppliers": "Suppliers"}


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass
class PackInputs:
    organisation: dict[str, Any]
    toolkit: str
    readiness: Readiness
    annex: Readiness | None
    data: dict[str, Any]
    as_at: dt.date | None
    generated_at: dt.datetime
    version: str
    manifest: list[tuple[str, int, str]]
    plan_rows: list[tuple[str, str, str, str, str]]
    approvals: list[tuple[str, str, str, str]]  # role, name, decision, date
    approval_note: str
    clause_title: Callable[[str], str]
    validity_of: Callable[..., tuple[str, str]]  # (cert, supplier, known verdict) -> (expires, counts)
    unaudited: dict[str, int] = field(default_factory=dict)
    records_begin: dt.date | None = None  # UK date of the first audited record (as-at packs)
    recorded_later: dict[str, int] = field(default_factory=dict)  # see snapshot._recorded_later


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _and(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


LATER = {"contracts": ("contract that had started", "contracts that had started"),
         "certifications": ("certificate issued", "certificates issued"),
         "subprocessors": ("sub-processor engaged", "sub-processors engaged"),
         "risks": ("risk, dispute or incident opened", "risks, disputes or incidents opened")}


def before_records(as_at: dt.date, records_begin: dt.date | None,
                   recorded_later: dict[str, int], *, framework: str = "ndg") -> list[str]:
    """What the cover of an as-at pack says about records the portal did not hold that day:
    none at all (the day is before its first record) and those entered later that describe
    that earlier time. Plain sentences; [] when there is nothing to say."""
    out = []
    if records_begin is None or as_at < records_begin:
        begins = (f"The portal's records begin on {records_begin:%d %B %Y}, so as at "
                  f"{as_at:%d %B %Y} it held none" if records_begin else
                  f"The portal holds no records yet, so as at {as_at:%d %B %Y} it held none")
        out.append(begins + (
            ". Items are answered \u201cNo\u201d because nothing was recorded by then, not "
            "because a supplier fell short." if framework == "ndg" else
            ". The statements are \u201cUnknown\u201d: there were no records and no IG lead's "
            "attestations to judge them by (unknown never counts as true)."))
    later = [f"{_plural(n, *LATER[k])} by {as_at:%d %B %Y}" if i == 0 else
             f"{_plural(n, *LATER[k])} by then"
             for i, (k, n) in enumerate((k, recorded_later[k]) for k in LATER
                                        if recorded_later.get(k))]
    if later:
        out.append("Entered in the portal after that day, so not counted here although they "
                   "describe that time: " + _and(later) + ".")
    return out


def _d(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return f"{value:%d %b %Y %H:%M} UTC"
    return value.strftime("%d %b %Y") if value else "–"


def _widths(*parts: float) -> list[float]:
    total = sum(parts)
    return [round(WIDTH * p / total, 2) for p in parts]


def _t(document, headers: Sequence[str], rows, parts: Sequence[float]):
    return table(document, headers, rows, widths=_widths(*parts))


def _para(document, text: str, *, bold: bool = False, italic: bool = False):
    p = document.add_paragraph()
    run = p.add_run(text)
    run.bold, run.italic = bold, italic
    return p


SECTIONS_NDG = ["Readiness summary", "Standard 10 item by item", "Register of suppliers",
                "Certifications", "Contract clause coverage", "Action plan", "Approval",
                "Manifest of records"]
SECTIONS_CAF = ["Readiness summary", "CAF A4.a statement by statement", "Register of suppliers",
                "Certifications", "Contract clause coverage", "Action plan", "Approval",
                "Manifest of records"]


def build(p: PackInputs) -> bytes:
    r = p.readiness
    view = r.view
    document = new_document(f"DSPT evidence pack {p.toolkit}")
    section = document.sections[0]
    section.left_margin = section.right_margin = Cm(2)
    header = section.header.paragraphs[0]
    header.text = (f"{p.organisation['name']} · DSPT {p.toolkit} evidence · version {p.version} · "
                   f"as at {_d(p.as_at or p.generated_at.date())}")

    # Cover ------------------------------------------------------------------------------
    document.add_heading("Data Security and Protection Toolkit: supplier evidence", level=0)
    org = p.organisation
    _t(document, ["This pack", "Details"], [
        ("Organisation", org["name"] + (f" (ODS {org['ods_code']})" if org.get("ods_code") else "")),
        ("DSPT organisation category", str(org.get("dspt_category", 1))),
        ("Toolkit year", f"{p.toolkit} (deadline {_d(view.deadline)})"),
        ("Framework answered", view.label),
        ("Source", f"{view.source} ({view.source_date})"),
        ("Records as at", (f"end of {_d(p.as_at)}: rebuilt from the audit trail as the records "
                           "stood that day") if p.as_at else "the moment of generation"),
        ("Version", p.version),
        ("Generated", _d(p.generated_at)),
    ], (1, 2.6))
    if p.as_at:
        _para(document, f"This pack is rebuilt from the audit trail as the records stood at the "
                        f"end of {p.as_at:%d %B %Y} (UK time); every figure is judged as at that "
                        "day.", bold=True)
    if p.as_at:
        for sentence in before_records(p.as_at, p.records_begin, p.recorded_later,
                                       framework=view.framework):
            _para(document, sentence, bold=True)
    if p.unaudited:
        _para(document, "Records with no audit history appear as they are now: "
              + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(p.unaudited.items())) + ".",
              italic=True)
    notes = list(view.notes) + (list(p.annex.view.notes) if p.annex else [])
    if notes:
        document.add_heading("Cover note for the IG lead", level=2)
        _para(document, "Before submission, check the following against the published toolkit. "
                        "These notes are about the mapping, not about the answers.")
        for note in dict.fromkeys(notes):
            document.add_paragraph(note, style="List Bullet")

    # Contents ---------------------------------------------------------------------------
    document.add_heading("Contents", level=1)
    sections = SECTIONS_CAF if view.framework == "caf" else SECTIONS_NDG
    if p.annex:
        sections = [*sections, f"Annex A: {p.annex.view.label} (for information)"]
    for i, name in enumerate(sections, 1):
        document.add_paragraph(f"{i}. {name}")

    _summary(document, r, new_page=True)
    if view.framework == "caf":
        _caf_sections(document, r, number="2")
    else:
        _ndg_sections(document, r, number="2")
    _register(document, r, number="3")
    _certifications(document, r, p, number="4")
    _clauses(document, r, p, number="5")

    document.add_heading("6. Action plan", level=1)
    _para(document, "Each action closes one or more gaps above; the owner is the role the fix "
                    "needs, the priority follows the supplier's tier and the due date the priority.")
    _t(document, ["Supplier", "Action", "Owner", "Priority", "Due"], p.plan_rows,
       (2.0, 5.2, 2.6, 1.3, 1.6))

    document.add_heading("7. Approval", level=1)
    _para(document, p.approval_note)
    _t(document, ["Role", "Name", "Decision", "Date"], p.approvals, (1.4, 2.4, 2.6, 1.6))

    document.add_heading("8. Manifest of records", level=1)
    _para(document, "SHA-256 of each set of records this pack summarises "
                    + (f"as they stood at the end of {_d(p.as_at)}" if p.as_at else "at generation")
                    + ". Recomputing it from the same records gives the same digests.")
    _t(document, ["Records", "Rows", "SHA-256"],
       [(RECORD_NAMES.get(n, n.replace("_", " ").capitalize()), c, h) for n, c, h in p.manifest],
       (1.8, 0.7, 5.0))

    if p.annex:
        annex = document.add_heading(f"Annex A: {p.annex.view.label}", level=1)
        annex.paragraph_format.page_break_before = True
        _para(document, f"For information only: {p.annex.view.info} This annex shows the other "
                        "view of the same records; the answers above are the organisation's.",
              italic=True)
        _summary(document, p.annex, number="A.1", heading=False)
        if p.annex.view.framework == "caf":
            _caf_sections(document, p.annex, number="A.2")
        else:
            _ndg_sections(document, p.annex, number="A.2")
    return to_bytes(document)


def _summary(document, r: Readiness, *, number: str = "1", heading: bool = True,
             new_page: bool = False) -> None:
    title = document.add_heading(f"{number}. Readiness summary" if heading else f"{number} Summary",
                                 level=1)
    title.paragraph_format.page_break_before = new_page
    _para(document, r.headline, bold=True)
    if r.caf is not None:
        _t(document, ["Statement", "Level", "Result", "Decided by"], [
            (f"{x.statement.id}: {x.statement.text}", frameworks.LEVEL_LABELS[x.statement.level],
             x.shown, x.basis) for x in r.caf.results], (5.0, 1.7, 1.6, 2.5))
        _para(document, "Outcome: " + r.caf.level_label + ". " + " ".join(
            s[0].upper() + s[1:] + "." for s in r.caf.reasons))
    else:
        _t(document, ["Item", "Mandatory for Standards Met", "Answer", "Figure"], [
            (a.item.ref, "Yes" if a.item.mandatory else "No", a.answer, a.figure)
            for a in r.answers], (1.0, 1.6, 1.0, 4.4))


def _ndg_sections(document, r: Readiness, *, number: str) -> None:
    document.add_heading(f"{number}. Standard 10 item by item", level=1)
    for a in r.answers:
        document.add_heading(f"{a.item.ref}: {a.answer}", level=2)
        _para(document, a.item.text, italic=True)
        _para(document, f"Assertion {a.item.assertion}. Answer type: "
                        f"{'yes or no' if a.item.answer == 'yes_no' else 'text'}; "
                        f"{'mandatory' if a.item.mandatory else 'not mandatory'} for Standards Met.")
        _para(document, f"Answer: {a.answer}. {a.figure}", bold=True)
        _para(document, f"Suppliers counted: {a.rule}")
        if a.evidence:
            _t(document, ["Supplier", "Accepted certification held"], a.evidence, (2, 3))
        if a.gaps:
            _para(document, "Gaps (each is in the action plan):")
            _t(document, ["Supplier", "Gap", "What closes it"],
               [(g.supplier, g.what[0].upper() + g.what[1:], g.fix) for g in a.gaps], (2, 3.4, 2.6))
        if a.item.measure == "certification":
            met, of, short = local_bar(r.suppliers)
            bar = frameworks.local_bar()
            document.add_heading(f"{a.item.ref}: the local bar, shown separately", level=3)
            _para(document, f"{bar['title']}: {bar['text']} This is not the toolkit's test; "
                            f"{met} of {of} IT suppliers meet it.")
            if short:
                _t(document, ["Supplier", "Short of the local bar"], short, (2, 4))


def _caf_sections(document, r: Readiness, *, number: str) -> None:
    a = r.caf
    document.add_heading(f"{number}. CAF A4.a {a.outcome.title}, statement by statement", level=1)
    _para(document, a.outcome.outcome, italic=True)
    _para(document, f"Source: {a.outcome.source} ({a.outcome.source_date}).")
    _para(document, f"Outcome level: {a.level_label}. NHS England's expected level: "
                    f"{a.expected_label}. {a.outcome.expected_by}", bold=True)
    _para(document, "How the level is reached: not achieved if any not-achieved statement is "
                    "true; otherwise achieved if every achieved statement is true; otherwise "
                    "partially achieved if every partially-achieved statement is true; otherwise "
                    "not achieved. Unknown never counts as true: an unknown not-achieved "
                    "statement does not hold, and an unknown partially-achieved or achieved "
                    "statement is not met.")
    for level in frameworks.LEVELS:
        document.add_heading(LEVEL_NAMES[level], level=2)
        for x in (x for x in a.results if x.statement.level == level):
            document.add_heading(f"{x.statement.id}: {x.shown}", level=3)
            _para(document, x.statement.text, italic=True)
            _para(document, f"Decided by: {x.basis}.")
            if x.attestation:
                att = x.attestation
                _para(document, f"Attested {'true' if att.value else 'false'} by {att.attested_by} "
                                f"({att.role}) on {_d(att.attested_at)}"
                                + (f": {att.note}" if att.note else "."))
            if x.records:
                _t(document, ["Supplier", "Record behind the result"],
                   [(n, _sentence(w)) for n, w in x.records], (2, 5))


def _transfer(row: dict) -> str:
    """The transfer safeguard in words, with its transfer risk assessment reference."""
    words = TRANSFERS.get(row.get("transfer_mechanism") or "unknown", "Not recorded")
    tra = (row.get("tra_reference") or "").strip()
    return f"{words}; transfer risk assessment {tra}" if tra else words


def _register(document, r: Readiness, *, number: str) -> None:
    document.add_heading(f"{number}. Register of suppliers handling personal information", level=1)
    _para(document, "Every supplier in scope, with or without a current contract.")
    rows = []
    for v in in_scope(r.suppliers):
        contracts = v.current or v.contracts
        rows.append((v.name, "; ".join(v.products) or "–",
                     "; ".join(f"{c['name']}, {c['email']}" for c in v.contacts) or "–",
                     "; ".join(c["title"] for c in contracts) or "None recorded",
                     _d(min((c["start_date"] for c in contracts if c.get("start_date")), default=None)),
                     _d(max((c["end_date"] for c in contracts if c.get("end_date")), default=None)),
                     "Current" if v.current else ("Ended" if v.contracts else "No contract")))
    _t(document, ["Supplier", "Products and services", "Contacts", "Contracts", "Start", "End",
                  "Contract"], rows, (2.9, 2.5, 3.1, 3.1, 1.5, 1.5, 1.9))  # cm: names unbroken
    document.add_heading("Where our data is held and who else handles it", level=2)
    rows = []
    for v in in_scope(r.suppliers):
        for c in v.current:
            rows.append((v.name, c["title"], DATA_ROLES.get(c.get("data_role") or "none", "Not recorded"),
                         c.get("data_locations") or "Not recorded",
                         _transfer(c),
                         ACCESS.get(c.get("system_access") or "none", "None")
                         + (", monitored" if c.get("access_monitored") else "")))
        for s in v.subprocessors:
            rows.append((v.name, f"Sub-processor: {s['name']}", s.get("service") or "–",
                         s.get("location") or "Not recorded",
                         _transfer(s), "–"))
    _t(document, ["Supplier", "Contract or sub-processor", "Role or service", "Data held in",
                  "Transfer safeguard", "Access to our systems"], rows, (2.2, 2.6, 2, 1.8, 1.9, 1.6))


def _certifications(document, r: Readiness, p: PackInputs, *, number: str) -> None:
    document.add_heading(f"{number}. Certifications", level=1)
    rows = []
    for v in in_scope(r.suppliers):
        supplier = {"name": v.name, "legal_name": v.legal_name}
        for c in v.certifications:
            expires, counts = p.validity_of(c, supplier, v.validity.get(c.get("id")))
            label = c.get("scheme_name") if c.get("scheme") == "other" and c.get("scheme_name") \
                else SCHEMES.get(c.get("scheme"), "Other")
            rows.append((v.name, label, c.get("status") or c.get("certificate_number") or "–",
                         expires, counts, VERIFICATION.get(c.get("verification") or "", "Not recorded")))
    _t(document, ["Supplier", "Scheme", "Status or number", "Expires", "Counts", "Verification"],
       rows, (2.2, 1.9, 2.0, 1.3, 1.9, 1.9))


def _clauses(document, r: Readiness, p: PackInputs, *, number: str) -> None:
    document.add_heading(f"{number}. Contract clause coverage", level=1)
    _para(document, "The terms each current contract must carry follow from the supplier type, "
                    "the data role and the services supplied (the clause library's rule).")
    rows = []
    for v in in_scope(r.suppliers):
        if not v.current:
            rows.append((v.name, "No current contract", "–", "–", "–", "A contract is needed"))
        for c in v.current:
            required = v.required.get(c["id"], [])
            gaps = v.clause_gaps.get(c["id"], [])
            rows.append((v.name, c["title"], DATA_ROLES.get(c.get("data_role") or "none", "Not recorded"),
                         str(len(required)), str(len(required) - len(gaps)),
                         "; ".join(p.clause_title(k) for k in gaps) or "None"))
    _t(document, ["Supplier", "Contract", "Data role", "Required", "Present", "Missing or partial"],
       rows, (2.7, 3.0, 2.9, 2.1, 2.0, 4.3))  # in cm: "Independent", "administration", "Required" unbroken

