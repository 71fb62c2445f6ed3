"""The one text check, the one Content-Disposition builder and the one CSV writer."""

from __future__ import annotations

import csv
import io

import pytest

from portal.core.downloads import ascii_fallback, content_disposition, csv_cell, csv_text
from portal.core.text import check_name, is_blank, text_problem


@pytest.mark.parametrize("value", ["a\x00b", "a\x07b", "\x1b[31m", "a\x7fb", "a\x85b", "\ufffe",
                                   "a\ud800b"])
def test_control_characters_are_refused_in_any_text(value):
    assert text_problem(value) is not None
    assert text_problem(value, single_line=True) is not None


def test_free_text_keeps_line_breaks_and_tabs_but_names_do_not():
    assert text_problem("one\n\ttwo\r\n") is None
    for value in ("one\ntwo", "one\ttwo", "one\rtwo", "one\u2028two"):
        assert text_problem(value, single_line=True) is not None


@pytest.mark.parametrize("value", ["", " ", "\u200b", "\u200b\u200c\u200d\u2060\ufeff",
                                   "\u3000\u00a0", "\u00ad", "\u0301"])
def test_invisible_names_are_empty_names(value):
    assert is_blank(value)
    with pytest.raises(ValueError):
        check_name(value)


@pytest.mark.parametrize("value", ["Gwasanaethau ŵ", "Łódź", "Café\u0301", "👩‍⚕️ Clinic",
                                   "مستشفى", "O'Neill & Co."])
def test_real_names_in_any_script_are_fine(value):
    assert check_name(value) == value


def test_content_disposition_is_ascii_with_a_utf8_name_and_a_fallback():
    header = content_disposition("Tystysgrif ŵ Łódź \"x\";\r\n.pdf")
    assert header.isascii() and header.startswith("attachment; ")
    assert 'filename="Tystysgrif w Lodz _x__.pdf"' in header
    assert "filename*=UTF-8''Tystysgrif%20%C5%B5%20%C5%81%C3%B3d%C5%BA%20%22x%22%3B.pdf" in header
    assert content_disposition("a.pdf", inline=True).startswith("inline; ")
    assert ascii_fallback("中文.pdf") == "__.pdf" and ascii_fallback("") == "download"
    header.encode("latin-1")  # what an ASGI server needs


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1",
                                   "=HYPERLINK(\"https://evil.example\")"])
def test_formula_cells_are_neutralised(value):
    assert csv_cell(value) == "'" + value
    text = csv_text(["name", value], [[value, 3], [-2, None]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["name", "'" + value], ["'" + value, "3"], ["-2", ""]]


def test_ordinary_cells_are_left_alone():
    assert [csv_cell(v) for v in ("Acme", "", 5, -5, 1.5, True, None, "a=b")] == \
        ["Acme", "", 5, -5, 1.5, True, None, "a=b"]


@pytest.mark.parametrize("name", ["\u3164", "\u115f", "\uffa0", "\u2800", " \u3164 \u2800"])
def test_names_drawn_as_nothing_are_blank(name):
    with pytest.raises(ValueError, match="invisible"):
        check_name(name)


def test_names_may_not_reorder_themselves():
    with pytest.raises(ValueError, match="override"):
        check_name("Acme\u202eLtd")
    assert check_name("Ysbyty Gwynedd \u0645\u0631\u0643\u0632") == "Ysbyty Gwynedd \u0645\u0631\u0643\u0632"
