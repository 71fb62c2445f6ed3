"""Reading a contract (.docx) into located blocks of text: the document model the scanner reads.

python-docx's ``document.paragraphs`` skips tables, headers and footers, and
``paragraph.text`` skips tracked insertions and content controls; automatic clause numbers
are not in the text at all. So this walks the XML itself: body paragraphs and tables
(nested too) in order, then headers and footers, and works out numbering and headings.

What is kept of the structure:
- headings and clause numbers become the location ("5 Data protection, clause 5.5");
- a list item keeps its lead-in ("The Processor shall:" + "(a) …"), nested lead-ins too;
- tables are read row by row and whole (a particulars table is evidence on its own);
- tracked changes are read as the live text: insertions in, deletions and moved-from text
  out, and struck-through wording (how a variation shows what it deletes) out.

The read is bounded (XML size, paragraph count, text length): past a bound the document is
refused with a clear message rather than scanned for a minute.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from docx import Document
from docx.oxml.ns import qn

from portal.core.uploads import MAX_ZIP_ENTRIES, MAX_ZIP_UNCOMPRESSED

_EXPLICIT_NUMBER = re.compile(
    r"^\s*((?:clause|section|paragraph|schedule|annex|appendix)\s+[\w.]+|\d+(?:\.\d+)*\.?|\(\w{1,4}\))\s")
# A list marker typed as text: "(a)", "a)", "(iv)", "iv.", "1)", "•", "-".
_MARKER = re.compile(r"^\s*(?:\(([a-z]{1,2}|[ivxl]{1,5}|\d{1,2})\)|([a-z]|[ivxl]{1,5})[.)]|(\d{1,2})\)|"
                     r"[•▪◦·●○■\-–—*])\s+", re.IGNORECASE)
# A paragraph that starts with its own subject and verb is a clause, not a list item.
_INDEPENDENT = re.compile(
    r"^\s*(?:\(?\w{1,4}[.)]\s+|\d+(?:\.\d+)*\.?\s+)?(?:the\s+|each\s+|either\s+|neither\s+)?"
    r"[A-Z][\w&-]*(?:\s+[A-Z][\w&-]*)?\s+(?:shall|must|will|may|agrees|is|are)\b")
_ROMAN = re.compile(r"^[ivxl]{1,5}$", re.IGNORECASE)

# Bounds on what one scan reads (issue 10 item 18: 20 MB of XML in a 70 KB file took 63 s).
# A 60-page contract is well under 1 MB of XML, some 1,500 paragraphs and 200,000 characters.
MAX_DOCUMENT_XML = 8 * 1024 * 1024
# every XML part python-docx parses (styles, headers, footers, numbering...) counts too: a
# 60 MB styles.xml took 20 s to refuse when only the body was bounded
MAX_ALL_XML = 12 * 1024 * 1024
MAX_PARAGRAPHS = 20_000
MAX_TEXT_CHARS = 2_000_000


class UnreadableContract(ValueError):
    pass


class ContractTooLarge(UnreadableContract):
    """Past a bound on size, paragraph count or scanning time (refused as a 4xx)."""


TOO_LARGE = ("The document is too large to scan: at most {what}. Split it into the contract "
             "and its schedules, or upload the parts that carry the data protection terms.")


@dataclass(frozen=True)
class Block:
    text: str
    location: str
    in_table: bool = False
    whole_table: bool = False  # every row of one table, for descriptive clauses
    lead_in: str = ""          # the words that introduce this list item ("The Supplier shall:")
    heading: bool = False
    section: str = ""          # the heading this block sits under


class LeadIns:
    """Carries a list's lead-in to its items, nested levels too.

    ``see(text, level)``: ``level`` is None for an ordinary paragraph, else the item's depth.
    Returns the lead-in for the paragraph ("" if none).
    """

    def __init__(self) -> None:
        self.leads: dict[int, str] = {}

    def reset(self) -> None:
        self.leads = {}

    def see(self, text: str, level: int | None) -> str:
        if level is not None and self.leads and _INDEPENDENT.match(text):
            level = None  # "6. The Supplier shall …": a clause of its own, the list is over
        if level is None:
            self.leads = {-1: text} if text.rstrip().endswith((":", "—", "–")) else {}
            return ""
        lead = " ".join(self.leads[k] for k in sorted(self.leads) if k < level)
        for deeper in [k for k in self.leads if k >= level]:
            del self.leads[deeper]
        if text.rstrip().endswith((":", "—")):
            self.leads[level] = text
        return lead[-600:]


def marker_level(text: str) -> int | None:
    """The depth a typed list marker implies, or None when the text starts with none."""
    match = _MARKER.match(text)
    if not match:
        return None
    token = next((g for g in match.groups() if g), "")
    if token.isdigit():
        return 0
    if _ROMAN.match(token) and token.lower() != "i":
        return 2  # (ii), iv. … ("i" alone is read as a letter)
    return 1  # a letter or a bullet


def _struck(run) -> bool:
    rpr = run.find(qn("w:rPr"))
    if rpr is None:
        return False
    for tag in ("w:strike", "w:dstrike"):
        node = rpr.find(qn(tag))
        if node is not None and (node.get(qn("w:val")) or "true").lower() not in ("0", "false", "off"):
            return True
    return False


_SKIP = {qn("w:del"), qn("w:moveFrom"), qn("w:delText"), qn("w:instrText")}


def _text(element) -> str:
    parts: list[str] = []

    def visit(node) -> None:
        tag = node.tag
        if tag in _SKIP:
            return
        if tag == qn("w:r") and _struck(node):
            return
        if tag == qn("w:t"):
            parts.append(node.text or "")
        elif tag in (qn("w:tab"), qn("w:br"), qn("w:cr")):
            parts.append(" ")
        for child in node:
            visit(child)

    visit(element)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


class _Numbering:
    """Counts automatic numbering per list and level, as Word would show it (1, 1.1, …)."""

    def __init__(self) -> None:
        self.counters: dict[str, list[int]] = {}

    def next(self, num_id: str, level: int) -> str:
        counts = self.counters.setdefault(num_id, [0] * 9)
        level = max(0, min(level, 8))
        counts[level] += 1
        for deeper in range(level + 1, 9):
            counts[deeper] = 0
        return ".".join(str(c) for c in counts[: level + 1] if c) or str(counts[level])


def _style_name(paragraph, styles: dict[str, str]) -> str:
    ppr = paragraph.find(qn("w:pPr"))
    if ppr is None:
        return ""
    style = ppr.find(qn("w:pStyle"))
    if style is None:
        return ""
    style_id = style.get(qn("w:val")) or ""
    return styles.get(style_id, style_id)


def _num(paragraph) -> tuple[str, int] | None:
    ppr = paragraph.find(qn("w:pPr"))
    num_pr = ppr.find(qn("w:numPr")) if ppr is not None else None
    if num_pr is None:
        return None
    num_id = num_pr.find(qn("w:numId"))
    level = num_pr.find(qn("w:ilvl"))
    if num_id is None or (num_id.get(qn("w:val")) or "0") == "0":
        return None
    try:
        depth = int(level.get(qn("w:val")) or 0) if level is not None else 0
    except ValueError:
        depth = 0
    return num_id.get(qn("w:val")) or "0", depth


def check_archive(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES or sum(i.file_size for i in infos) > MAX_ZIP_UNCOMPRESSED:
                raise ContractTooLarge("The document expands to an unreasonable size.")
            by_name = {i.filename: i for i in infos}
            if "word/document.xml" not in by_name:
                raise UnreadableContract("This is not a Word (.docx) document.")
            if by_name["word/document.xml"].file_size > MAX_DOCUMENT_XML:
                raise ContractTooLarge(TOO_LARGE.format(
                    what=f"{MAX_DOCUMENT_XML // (1024 * 1024)} MB of document text and markup"))
            if sum(i.file_size for i in infos
                   if i.filename.endswith((".xml", ".rels"))) > MAX_ALL_XML:
                raise ContractTooLarge(TOO_LARGE.format(
                    what=f"{MAX_ALL_XML // (1024 * 1024)} MB of text and markup in all its parts"))
    except zipfile.BadZipFile:
        raise UnreadableContract("This is not a Word (.docx) document.") from None


class _Budget:
    def __init__(self) -> None:
        self.paragraphs = 0
        self.chars = 0



def read_blocks(data: bytes) -> list[Block]:
    check_archive(data)
    try:
        document = Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises several kinds on damaged files
        raise UnreadableContract("The Word document could not be read; it may be damaged.") from error
    styles = {s.style_id: s.name for s in document.styles if getattr(s, "style_id", None)}
    numbering = _Numbering()
    blocks: list[Block] = []
    state = {"heading": "", "number": ""}
    leads = LeadIns()
    budget = _Budget()

    def paragraph_block(p, in_table: bool, table_label: str = "") -> None:
        budget.paragraphs += 1
        if budget.paragraphs > MAX_PARAGRAPHS:
            raise ContractTooLarge(TOO_LARGE.format(what=f"{MAX_PARAGRAPHS:,} paragraphs"))
        text = _text(p)
        style = _style_name(p, styles).lower()
        num = _num(p)
        number = numbering.next(*num) if num else ""
        if not text:
            return
        budget.chars += len(text)
        if budget.chars > MAX_TEXT_CHARS:
            raise ContractTooLarge(TOO_LARGE.format(what=f"{MAX_TEXT_CHARS:,} characters of text"))
        explicit = _EXPLICIT_NUMBER.match(text)
        if style.startswith(("heading", "title")) and len(text) < 200:
            state["heading"] = text[:120]
            state["number"] = number or (explicit.group(1).rstrip(".") if explicit else "")
            label = f"{number} {text}".strip() if number else text
            leads.reset()
            blocks.append(Block(text, label[:200], in_table, heading=True))
            return
        if explicit:
            number = explicit.group(1).rstrip(".")
        typed = marker_level(text)
        if typed is not None:
            level: int | None = typed
        elif num is not None and (num[1] > 0 or style.startswith("list") or leads.leads):
            level = num[1] + 1
        elif style.startswith("list"):
            level = 1
        else:
            level = None
        lead_in = "" if in_table and level is None else leads.see(text, level)
        where = []
        if state["heading"]:
            heading = state["heading"]
            if state["number"] and not heading.startswith(state["number"]):
                heading = f"{state['number']} {heading}"
            where.append(heading)
        if table_label:
            where.append(table_label)
        if number:
            where.append(f"clause {number}" if number[0].isdigit() else number)
        blocks.append(Block(text, ", ".join(where)[:200] or "untitled paragraph", in_table,
                            lead_in=lead_in, section=state["heading"]))

    def walk(container, in_table: bool = False, table_label: str = "") -> None:
        for child in container.iterchildren():
            if child.tag == qn("w:p"):
                paragraph_block(child, in_table, table_label)
            elif child.tag == qn("w:tbl"):
                leads.reset()
                rows = list(child.iterchildren(qn("w:tr")))
                row_texts = [" | ".join(x for x in (_text(c) for c in r.iterchildren(qn("w:tc"))) if x)
                             for r in rows]
                whole = " / ".join(t for t in row_texts if t)
                if whole:
                    budget.chars += len(whole)
                    where = ", ".join(x for x in [state["heading"], table_label or "table"] if x)
                    blocks.append(Block(whole, where[:200], True, whole_table=True))
                for row_index, (row, row_text) in enumerate(zip(rows, row_texts, strict=True), start=1):
                    label = f"{table_label + ', ' if table_label else ''}table row {row_index}"
                    if row_text:
                        where = ", ".join(x for x in [state["heading"], label] if x)
                        blocks.append(Block(row_text, where[:200], True, section=state["heading"]))
                    for cell in row.iterchildren(qn("w:tc")):
                        walk(cell, in_table=True, table_label=label)
                leads.reset()
            elif child.tag in (qn("w:sdt"), qn("w:customXml"), qn("w:ins"), qn("w:smartTag"),
                               qn("w:moveTo")):
                content = child.find(qn("w:sdtContent"))
                walk(content if content is not None else child, in_table, table_label)

    walk(document.element.body)
    for number, section in enumerate(document.sections, start=1):
        for kind, part in (("header", section.header), ("footer", section.footer)):
            if part is None or part.is_linked_to_previous and number > 1:
                continue
            for p in part._element.iter(qn("w:p")):
                text = _text(p)
                if text:
                    blocks.append(Block(text, f"{kind} (section {number})"))
    return blocks


def located_paragraphs(paragraphs: Iterable[tuple[str, str, bool]]) -> list[Block]:
    """Blocks from (text, location, is_heading) read from a plain text layer (a PDF's pages)."""
    leads = LeadIns()
    blocks = []
    section = ""
    for text, location, heading in paragraphs:
        if heading:
            leads.reset()
            section = text[:120]
            blocks.append(Block(text, location[:200], heading=True))
            continue
        lead_in = leads.see(text, marker_level(text))
        number = _EXPLICIT_NUMBER.match(text)
        where = location
        if number:
            label = number.group(1).rstrip(".")
            where = f"{location}, clause {label}" if label[0].isdigit() else f"{location}, {label}"
        blocks.append(Block(text, where[:200], lead_in=lead_in, section=section))
    return blocks
