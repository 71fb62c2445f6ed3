"""Files we hand out: one way to name them (Content-Disposition) and one CSV writer.

Plain Python, used by every download: evidence (from disk or through an S3 presigned URL),
Word reports and schedules, and every CSV export.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

_UNSAFE_ASCII = re.compile(r'[^A-Za-z0-9._ ()\[\]+,-]')
# Letters with no accent to drop (NFKD leaves them whole): their usual ASCII spelling.
_NO_DECOMPOSITION = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d",
                                   "ß": "ss", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe",
                                   "Þ": "Th", "þ": "th", "ı": "i"})


def ascii_fallback(filename: str, default: str = "download") -> str:
    """An ASCII stand-in for a file name, for clients that ignore ``filename*``: accents
    dropped ("ŵ" -> "w", "ł" -> "l"), anything else that could break the header (quotes,
    control characters, slashes, other scripts) becomes "_"."""
    decomposed = unicodedata.normalize("NFKD", filename.translate(_NO_DECOMPOSITION))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = _UNSAFE_ASCII.sub("_", plain).strip(" .")
    return plain[:150] or default


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """RFC 6266: ``attachment; filename="ascii"; filename*=UTF-8''percent-encoded``.

    Always Latin-1-safe (ASCII in fact), so a Welsh or Polish name can't fail the header.
    """
    kind = "inline" if inline else "attachment"
    cleaned = "".join(c for c in filename if unicodedata.category(c)[0] != "C") or "download"
    return f"{kind}; filename=\"{ascii_fallback(cleaned)}\"; filename*=UTF-8''{quote(cleaned, safe='')}"


# A spreadsheet treats a cell starting with one of these as a formula (tab and CR too, which
# some programs strip before looking): "=HYPERLINK(...)" in a supplier's name must stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell as a spreadsheet will show it: text that would start a formula gets a leading
    apostrophe (the OWASP advice); numbers, booleans and empty values are left alone."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_lines(rows: Iterable[Iterable[Any]]) -> str:
    """Rows as CSV text with formula-like cells neutralised (a streamed export's chunk)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def csv_text(header: list[str], rows: Iterable[Iterable[Any]]) -> str:
    """The one CSV writer for every export: formula-like cells neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()
