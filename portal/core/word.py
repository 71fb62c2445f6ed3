"""Small helpers for Word output with python-docx: page numbers, repeating table headers,
fast table rows (row XML built directly; cell() in a loop is very slow)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape as xml_escape

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


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
          style: str = "Table Grid", widths: Sequence[float] = ()):
    """A table whose header row repeats on every page; ``widths`` in centimetres fix the
    columns (wide enough that no word breaks mid-word), otherwise Word shares them equally.

    Body rows are written as XML text and parsed in batches: building them element by element
    (or with cell()) takes minutes for tens of thousands of rows. No row splits across a
    page break (a question and its answer, a clause and its location, are read as one).
    """
    t = document.add_table(rows=2, cols=len(headers))
    t.style = document.styles[style]
    if widths:
        t.autofit = False
        layout = OxmlElement("w:tblLayout")  # fixed: LibreOffice and Word keep the widths
        layout.set(qn("w:type"), "fixed")
        t._tbl.tblPr.append(layout)
        for column, width in zip(t.columns, widths, strict=True):
            column.width = Cm(width)
            for cell in column.cells:  # before the body rows copy the cell properties
                cell.width = Cm(width)
    header_row = t.rows[0]
    for cell, text in zip(header_row.cells, headers, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    tr_pr = header_row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    tr_pr.append(repeat)
    template = t.rows[1]._tr
    cell_props = [etree.tostring(tc.find(qn("w:tcPr")), encoding="unicode")
                  if tc.find(qn("w:tcPr")) is not None else "" for tc in template.iterchildren(qn("w:tc"))]
    body = t._tbl
    body.remove(template)
    # Serialised alone, each element repeats every namespace declaration of the document.
    cell_props = [re.sub(r'\s+xmlns:\w+="[^"]*"', "", c) for c in cell_props]

    opens = [f'<w:tc>{props}<w:p><w:r><w:t xml:space="preserve">' for props in cell_props]
    close = "</w:t></w:r></w:p></w:tc>"

    width = len(opens)

    def row_xml(values: Sequence[object]) -> str:
        # a row is never split across a page break (a page ends between rows)
        texts = ["" if v is None else str(v) for v in values[:width]]
        texts += [""] * (width - len(texts))
        # Most rows hold nothing to escape or drop: one search over the row decides
        # (escaping and cleaning each cell was a fifth of a 10,000-supplier pack, profiled).
        if _NEEDS_WORK.search("".join(texts)):
            texts = [xml_escape(_clean(t)) for t in texts]
        return ("<w:tr><w:trPr><w:cantSplit/></w:trPr>"
                + "".join(start + text + close for start, text in zip(opens, texts, strict=True))
                + "</w:tr>")

    parts = [row_xml(values) for values in rows]
    if not parts:
        parts.append(row_xml(["None recorded."]))
    # Rows are spliced into the saved XML as text (see to_bytes): building or moving tens of
    # thousands of elements through lxml takes seconds to minutes.
    pending = document.__dict__.setdefault("_portal_rows", {})
    marker = f"@@PORTAL-ROWS-{len(pending)}@@"
    pending[marker] = "".join(parts)
    marker_row = t.add_row()
    marker_row.cells[0].text = marker
    return t


_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))
_HAS_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# what escaping (&, <, >) or cleaning (control codes) would change in a cell's text
_NEEDS_WORK = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")


def _clean(value: object) -> object:
    """Characters XML cannot hold (control codes) are dropped, not allowed to break the file.
    (Searched for first: translating every cell was a sixth of a 10,000-supplier pack.)"""
    if isinstance(value, str) and _HAS_CONTROL.search(value):
        return value.translate(_CONTROL)
    return value


def to_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    pending: dict[str, str] = document.__dict__.get("_portal_rows", {})
    if not pending:
        return buffer.getvalue()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    xml = source.read("word/document.xml").decode("utf-8")
    # Each marker row is replaced by its rows in one pass, and the pieces are written to the
    # zip as they come: splicing the whole document string once per table copied it every
    # time (hundreds of MB for a 10,000-supplier pack; most of the pack's time, profiled).
    spans = []
    for marker in pending:
        at = xml.index(marker)
        start = max(xml.rfind("<w:tr>", 0, at), xml.rfind("<w:tr ", 0, at))
        spans.append((start, xml.index("</w:tr>", at) + len("</w:tr>"), marker))
    spans.sort()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for item in source.infolist():
            if item.filename != "word/document.xml":
                target.writestr(item, source.read(item))
                continue
            # Written at the archive's level (1): the ZipInfo read from python-docx's file
            # carries none, so zlib's default (6) applied, 1.3 s of a 10,000-supplier pack.
            info = zipfile.ZipInfo(item.filename, date_time=item.date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            setattr(info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel", 1)
            with target.open(info, "w") as stream:
                done = 0
                for start, end, marker in spans:
                    stream.write(xml[done:start].encode("utf-8"))
                    stream.write(pending[marker].encode("utf-8"))
                    done = end
                stream.write(xml[done:].encode("utf-8"))
    return out.getvalue()
