"""Table rows written as XML text: what a cell holds reads back exactly, whatever it holds."""

import io
import zipfile

import docx

from portal.core.word import new_document, table, to_bytes


def test_cells_read_back_as_given_escaped_cleaned_padded_and_cut():
    document = new_document("Tables")
    rows = [
        ("Plain text", 42, None),
        ("Smith & Jones <Solicitors> Ltd", "a > b", "R&D"),
        ("Bell\x07 and tab\there", "form\x0cfeed", "ok"),
        ("Short row",),
        ("Long", "row", "cut", "here"),
    ]
    table(document, ["Name", "Value", "Note"], rows, widths=(5, 5, 5))
    data = to_bytes(document)
    read = docx.Document(io.BytesIO(data)).tables[0]
    assert [[c.text for c in r.cells] for r in read.rows[1:]] == [
        ["Plain text", "42", ""],
        ["Smith & Jones <Solicitors> Ltd", "a > b", "R&D"],
        ["Bell and tab\there", "formfeed", "ok"],
        ["Short row", "", ""],
        ["Long", "row", "cut"],
    ]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        body = archive.getinfo("word/document.xml")
        assert body.compress_type == zipfile.ZIP_DEFLATED


def test_an_empty_table_says_none_recorded():
    document = new_document("Tables")
    table(document, ["Name"], [])
    read = docx.Document(io.BytesIO(to_bytes(document))).tables[0]
    assert [c.text for c in read.rows[1].cells] == ["None recorded."]
