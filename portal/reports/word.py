"""Small helpers for Word output with python-docx: page numbers, repeating table headers,
fast table rows (row XML built directly; cell() in a loop is very slow)."""

from __future__ import annotations

import copy
import datetime as dt
import io
from collections.abc import Iterable, Sequence

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt


def new_document(title: str) -> Document:
    document = Document()
    document.core_properties.title = title
    document.core_properties.author = "Supplier assurance portal"
    style = document.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10.5)
    _page_number_footer(document)
    return document


def _field(paragraph, instruction: str) -> None:
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = instruction
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(begin)
    run._r.append(text)
    run._r.append(end)


def _page_number_footer(document) -> None:
    paragraph = document.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("Page ")
    _field(paragraph, "PAGE")
    paragraph.add_run(" of ")
    _field(paragraph, "NUMPAGES")


def stamp(document, when: dt.datetime | None = None) -> str:
    when = when or dt.datetime.now(dt.UTC)
    text = f"Generated {when:%d %B %Y at %H:%M} UTC"
    header = document.sections[0].header.paragraphs[0]
    header.text = text
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return text


def table(document, headers: Sequence[str], rows: Iterable[Sequence[object]], *,
          style: str = "Table Grid"):
    """A table whose header row repeats on every page; rows are cloned from one template row."""
    t = document.add_table(rows=2, cols=len(headers))
    t.style = document.styles[style]
    header_row = t.rows[0]
    for cell, text in zip(header_row.cells, headers, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    tr_pr = header_row._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    tr_pr.append(repeat)
    template = t.rows[1]._tr
    body = t._tbl
    body.remove(template)
    count = 0
    for values in rows:
        tr = copy.deepcopy(template)
        for tc, value in zip(tr.iterchildren(qn("w:tc")), values, strict=False):
            paragraph = tc.find(qn("w:p"))
            run = OxmlElement("w:r")
            text = OxmlElement("w:t")
            text.set(qn("xml:space"), "preserve")
            text.text = "" if value is None else str(value)
            run.append(text)
            paragraph.append(run)
        body.append(tr)
        count += 1
    if count == 0:
        tr = copy.deepcopy(template)
        first = tr.find(qn("w:tc")).find(qn("w:p"))
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "None recorded."
        run.append(text)
        first.append(run)
        body.append(tr)
    return t


def to_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
