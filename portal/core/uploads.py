"""Judging an upload by its content, not its name or the browser's claim (plain Python)."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile

ACCEPTED = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel workbook",
    "text/csv": "CSV file",
    "text/plain": "text file",
}
ACCEPTED_DESCRIPTION = "PDF, PNG, JPEG, Word (.docx), Excel (.xlsx), CSV or plain text"
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024


class RejectedUpload(ValueError):
    pass


def _office_type(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES or sum(i.file_size for i in infos) > MAX_ZIP_UNCOMPRESSED:
                raise RejectedUpload("The document expands to an unreasonable size.")
            names = {i.filename for i in infos}
    except zipfile.BadZipFile:
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if "xl/workbook.xml" in names:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


def sniff(data: bytes, filename: str) -> str:
    """The content type judged from the bytes; raises RejectedUpload for anything else."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"PK\x03\x04"):
        office = _office_type(data)
        if office:
            return office
        raise RejectedUpload(f"Only {ACCEPTED_DESCRIPTION} files are accepted.")
    sample = data[:65536]
    if b"\x00" in sample:
        raise RejectedUpload(f"Only {ACCEPTED_DESCRIPTION} files are accepted.")
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(sample) - 4:  # not just a character cut at the sample's end
            raise RejectedUpload(f"Only {ACCEPTED_DESCRIPTION} files are accepted.") from None
        text = sample[: error.start].decode("utf-8")
    if text.lstrip().lower().startswith(_MARKUP):
        raise RejectedUpload(f"Only {ACCEPTED_DESCRIPTION} files are accepted.")
    if filename.lower().endswith(".csv"):
        return "text/csv"
    return "text/plain"


_MARKUP = ("<!doctype html", "<html", "<svg", "<?xml", "<script")
_BINARY = (b"%PDF-", b"\x89PNG", b"\xff\xd8\xff", b"PK\x03\x04", b"MZ", b"\x7fELF", b"\xd0\xcf\x11\xe0")


def csv_text(data: bytes, *, max_bytes: int) -> str:
    """The text of an uploaded CSV: UTF-8, or Windows-1252 as older Excel saves it. Anything
    else (a workbook, a PDF, a program, a web page) is refused in words a person can act on."""
    from portal.core.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

    if len(data) > max_bytes:
        raise PayloadTooLarge(f"The CSV is larger than {max_bytes // (1024 * 1024)} MB.")
    if not data.strip():
        raise InvalidInput("The file is empty.")
    not_csv = UnsupportedMediaType("The file is not a CSV. In Excel choose File, Save As, "
                                   "'CSV UTF-8 (Comma delimited)', and upload that file.")
    if data.startswith(_BINARY) or b"\x00" in data:
        raise not_csv
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise not_csv from None
    if text.lstrip().lower().startswith(_MARKUP):
        raise not_csv
    return text


def safe_filename(name: str | None, content_type: str) -> str:
    """A display name with no path, control or markup characters, kept short."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFKC", name)
    name = re.sub(r"[^\w.\- ()]", "_", name).strip(" .")
    name = re.sub(r"_+", "_", name)[:120]
    if not name:
        name = "evidence"
    extension = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg",
                 "text/csv": ".csv", "text/plain": ".txt"}.get(content_type)
    if content_type.endswith("wordprocessingml.document"):
        extension = ".docx"
    elif content_type.endswith("spreadsheetml.sheet"):
        extension = ".xlsx"
    if extension and not name.lower().endswith(extension) and not (
            extension == ".jpg" and name.lower().endswith(".jpeg")):
        name = name.rsplit(".", 1)[0] + extension if "." in name else name + extension
    return name


def accept_upload(data: bytes, filename: str | None, *, max_bytes: int,
                  only: tuple[str, ...] | None = None,
                  expected: str = "a Word document (.docx)") -> str:
    """The content type of an acceptable upload, or a PortalError a person understands."""
    from portal.core.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

    if len(data) > max_bytes:
        raise PayloadTooLarge(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    if not data:
        raise InvalidInput("The file is empty.")
    try:
        content_type = sniff(data, filename or "")
    except RejectedUpload as error:
        raise UnsupportedMediaType(str(error)) from None
    if only is not None and content_type not in only:
        raise UnsupportedMediaType(f"Upload the contract as {expected}.")
    return content_type
