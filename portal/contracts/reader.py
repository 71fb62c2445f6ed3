"""Reading a contract (.docx) into located blocks of text.

python-docx's ``document.paragraphs`` skips tables, headers and footers, and
``paragraph.text`` skips tracked insertions and content controls; automatic clause numbers
are not in the text at all. So this walks the XML itself: body paragraphs and tables
(nested too) in order, then headers and footers, and works out numbering and headings.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from docx import Document
from docx.oxml.ns import qn

from portal.core.uploads import MAX_ZIP_ENTRIES, MAX_ZIP_UNCOMPRESSED

_EXPLICIT_NUMBER = re.compile(
    r"^\s*((?:clause|section|paragraph|schedule|annex|appendix)\s+[\w.]+|\d+(?:\.\d+)*\.?|\(\w{1,4}\))\s")


class UnreadableContract(ValueError):
    pass


@dataclass(frozen=True)
class Block:
    text: str
    location: str
    in_table: bool = False
    whole_table: bool = False  # every row of one table, for descriptive clauses


def _text(element) -> str:
    parts = []
    for node in element.iter():
        if node.tag == qn("w:t"):
            parts.append(node.text or "")
        elif node.tag in (qn("w:tab"),):
            parts.append(" ")
        elif node.tag in (qn("w:br"), qn("w:cr")):
            parts.append(" ")
    return re.sub(r"\s+", " ", "".join(parts)).strip()


class _Numbering:
    """Counts automatic numbering per list and level, as Word would show it (1, 1.1, …)."""

    def __init__(self) -> None:
        self.counters: dict[str, list[int]] = {}

    def next(self, num_id: str, level: int) -> str:
        counts = self.counters.setdefault(num_id, [0] * 9)
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
    if num_id is None:
        return None
    return num_id.get(qn("w:val")) or "0", int(level.get(qn("w:val")) or 0) if level is not None else 0


def check_archive(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES or sum(i.file_size for i in infos) > MAX_ZIP_UNCOMPRESSED:
                raise UnreadableContract("The document expands to an unreasonable size.")
            if "word/document.xml" not in {i.filename for i in infos}:
                raise UnreadableContract("This is not a Word (.docx) document.")
    except zipfile.BadZipFile:
        raise UnreadableContract("This is not a Word (.docx) document.") from None


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

    def paragraph_block(p, in_table: bool, table_label: str = "") -> None:
        text = _text(p)
        style = _style_name(p, styles).lower()
        num = _num(p)
        number = numbering.next(*num) if num else ""
        if not text:
            return
        explicit = _EXPLICIT_NUMBER.match(text)
        if style.startswith(("heading", "title")):
            state["heading"] = text[:120]
            state["number"] = number or (explicit.group(1).rstrip(".") if explicit else "")
            label = f"{number} {text}".strip() if number else text
            blocks.append(Block(text, label[:200], in_table))
            return
        if explicit:
            number = explicit.group(1).rstrip(".")
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
        blocks.append(Block(text, ", ".join(where)[:200] or "untitled paragraph", in_table))

    def walk(container, in_table: bool = False, table_label: str = "") -> None:
        for child in container.iterchildren():
            if child.tag == qn("w:p"):
                paragraph_block(child, in_table, table_label)
            elif child.tag == qn("w:tbl"):
                whole = " / ".join(t for t in (
                    " | ".join(x for x in (_text(c) for c in r.iterchildren(qn("w:tc"))) if x)
                    for r in child.iterchildren(qn("w:tr"))) if t)
                if whole:
                    where = ", ".join(x for x in [state["heading"], table_label or "table"] if x)
                    blocks.append(Block(whole, where[:200], True, whole_table=True))
                for row_index, row in enumerate(child.iterchildren(qn("w:tr")), start=1):
                    cells = list(row.iterchildren(qn("w:tc")))
                    row_text = " | ".join(_text(c) for c in cells if _text(c))
                    label = f"{table_label + ', ' if table_label else ''}table row {row_index}"
                    if row_text:
                        where = ", ".join(x for x in [state["heading"], label] if x)
                        blocks.append(Block(row_text, where[:200], True))
                    for cell in cells:
                        walk(cell, in_table=True, table_label=label)
            elif child.tag in (qn("w:sdt"), qn("w:customXml"), qn("w:ins"), qn("w:smartTag")):
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
