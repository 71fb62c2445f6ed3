"""Reading a contract PDF into located blocks: text with page numbers as locations.

Most signed contracts arrive as PDF. pypdf (pure Python, no native code, no downloads) reads
the text layer page by page; lines are joined back into paragraphs (a new paragraph starts at
a clause number, a list marker, a heading-like line or after a line that ends a sentence), page
numbers and the running headers and footers repeated on most pages are dropped. A scanned,
image-only PDF has no text layer: it is refused with that message, never read as empty.
"""

from __future__ import annotations

import io
import re
import time
from collections import Counter

from portal.contracts.reader import (
    _EXPLICIT_NUMBER,
    _MARKER,
    MAX_TEXT_CHARS,
    TOO_LARGE,
    Block,
    ContractTooLarge,
    UnreadableContract,
    located_paragraphs,
)

MAX_PDF_PAGES = 400
NO_TEXT_LAYER = ("This PDF has no text layer (it looks like a scanned image), so its clauses "
                 "can't be read. Upload the Word document or a PDF saved from it, or record the "
                 "clauses by hand.")
_PAGE_NUMBER = re.compile(r"^\s*(page\s+)?\d{1,4}(\s*(of|/)\s*\d{1,4})?\s*$", re.IGNORECASE)


def _is_heading(line: str) -> bool:
    words = line.split()
    if not words or len(line) > 90 or line.rstrip().endswith((".", ",", ";", ":")):
        return False
    letters = [w for w in words if w[:1].isalpha()]
    if not letters:
        return False
    capitalised = sum(1 for w in letters if w[:1].isupper() or w.lower() in ("and", "of", "the", "to", "for", "in", "on"))
    return line.isupper() or capitalised == len(letters)


def _paragraphs(lines: list[str]) -> list[tuple[str, bool]]:
    """(text, is_heading) from a page's lines."""
    out: list[tuple[str, bool]] = []
    current = ""
    for raw in lines:
        line = re.sub(r"\s+", " ", raw).strip()
        if not line:
            if current:
                out.append((current, False))
                current = ""
            continue
        number = _EXPLICIT_NUMBER.match(line)
        starts_new = bool(number or _MARKER.match(line))
        if number is not None and "." not in number.group(1).strip("."):
            rest = line[number.end():]  # "4. End of the contract": a numbered heading
            heading = (len(rest) < 60 and not rest.rstrip().endswith((".", ",", ";", ":"))
                       and not re.search(r"\b(shall|must|will|may|is|are)\b", rest, re.IGNORECASE))
        else:
            heading = _is_heading(line) and not starts_new
        ended = current.rstrip().endswith((".", ":", ";", "!", "?"))
        if current and (starts_new or heading or (ended and line[:1].isupper())):
            out.append((current, False))
            current = ""
        if heading:
            out.append((line, True))
            continue
        if current.endswith("-") and line[:1].islower():
            current = current[:-1] + line
        else:
            current = f"{current} {line}".strip()
    if current:
        out.append((current, False))
    return out


def read_pdf_blocks(data: bytes, *, deadline: float | None = None) -> list[Block]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    deadline = deadline if deadline is not None else time.monotonic() + 10.0
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableContract("This PDF is password-protected: upload a copy without a password.")
        pages = reader.pages
        count = len(pages)
    except UnreadableContract:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as error:
        raise UnreadableContract("The PDF could not be read; it may be damaged.") from error
    if count > MAX_PDF_PAGES:
        raise ContractTooLarge(TOO_LARGE.format(what=f"{MAX_PDF_PAGES} pages"))
    page_lines: list[list[str]] = []
    chars = 0
    for number in range(count):
        if time.monotonic() > deadline:
            raise ContractTooLarge(TOO_LARGE.format(what="10 seconds of reading"))
        try:
            text = pages[number].extract_text() or ""
        except Exception:  # pypdf raises many kinds on damaged content streams
            text = ""
        chars += len(text)
        if chars > MAX_TEXT_CHARS:
            raise ContractTooLarge(TOO_LARGE.format(what=f"{MAX_TEXT_CHARS:,} characters of text"))
        page_lines.append(text.splitlines())
    if sum(len(re.sub(r"\s", "", " ".join(lines))) for lines in page_lines) < 40:
        raise UnreadableContract(NO_TEXT_LAYER)
    # Running headers and footers: the same line on most pages.
    repeated: set[str] = set()
    if count >= 3:
        seen = Counter(line.strip() for lines in page_lines for line in set(lines) if line.strip())
        repeated = {line for line, n in seen.items() if n >= max(3, count * 0.6)}
    paragraphs: list[tuple[str, str, bool]] = []
    heading = ""
    for number, lines in enumerate(page_lines, start=1):
        kept = [ln for ln in lines if ln.strip() not in repeated and not _PAGE_NUMBER.match(ln)]
        for text, is_heading in _paragraphs(kept):
            if is_heading:
                heading = text[:120]
            location = f"page {number}" + (f", {heading}" if heading and not is_heading else "")
            paragraphs.append((text, location, is_heading))
    return located_paragraphs(paragraphs)
