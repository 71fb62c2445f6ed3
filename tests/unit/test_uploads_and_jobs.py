import datetime as dt

import pytest

from portal.assessments.jobs import reminder_due
from portal.core.uploads import RejectedUpload, safe_filename, sniff


def test_content_decides_the_type_not_the_name():
    assert sniff(b"%PDF-1.7 ...", "x.txt") == "application/pdf"
    assert sniff(b"\x89PNG\r\n\x1a\nrest", "x.pdf") == "image/png"
    assert sniff(b"name,score\nA,1\n", "register.csv") == "text/csv"
    with pytest.raises(RejectedUpload):
        sniff(b"MZ\x90\x00binary\x00", "cert.pdf")
    with pytest.raises(RejectedUpload):
        sniff(b"<svg onload=alert(1)>", "cert.txt")
    with pytest.raises(RejectedUpload):
        sniff(b"PK\x03\x04not really a zip", "x.docx")


def test_file_names_are_made_safe():
    assert safe_filename("../../etc/passwd", "text/plain") == "passwd.txt"
    assert safe_filename('<script>"x".pdf', "application/pdf") == "_script_x_.pdf"
    assert safe_filename("", "image/png") == "evidence.png"
    assert safe_filename("C:\\Users\\me\\cert.JPEG", "image/jpeg") == "cert.JPEG"


@pytest.mark.parametrize("days_left,stage,expected", [
    (10, "", None), (7, "", "due_7"), (5, "due_7", None), (1, "due_7", "due_1"),
    (1, "", "due_1"), (0, "due_1", None), (-1, "due_1", "overdue"), (-3, "overdue", None),
])
def test_reminders_go_once_per_stage(days_left, stage, expected):
    today = dt.date(2026, 11, 21)
    assert reminder_due(today + dt.timedelta(days=days_left), today, stage) == expected


def test_a_csv_upload_is_text_in_either_encoding_excel_saves():
    from portal.core.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
    from portal.core.uploads import csv_text

    assert csv_text("\ufeffname,ods\nCafé Ltd,8AB12\n".encode(), max_bytes=1000).startswith("name")
    assert "£" in csv_text("name,value\nA,£5\n".encode("cp1252"), max_bytes=1000)
    for not_csv in (b"%PDF-1.4 ...", b"PK\x03\x04workbook", b"MZ\x90\x00", b"a,b\n\x00\x01",
                    b"<!DOCTYPE html><script>1</script>"):
        with pytest.raises(UnsupportedMediaType, match="not a CSV"):
            csv_text(not_csv, max_bytes=1000)
    with pytest.raises(InvalidInput):
        csv_text(b"  \n", max_bytes=1000)
    with pytest.raises(PayloadTooLarge):
        csv_text(b"a,b\n" * 1000, max_bytes=100)


@pytest.mark.parametrize(("days_left", "stage", "in_days", "expected"), [
    (30, "", 23, "due_7"), (5, "", 0, "due_7"), (5, "due_7", 4, "due_1"),
    (1, "due_1", 2, "overdue"), (-3, "due_1", 0, "overdue"), (-3, "overdue", None, None),
])
def test_next_reminder_is_the_first_day_the_job_rule_sends_one(days_left, stage, in_days,
                                                                expected):
    from portal.assessments.jobs import next_reminder

    today = dt.date(2026, 3, 2)
    due = today + dt.timedelta(days=days_left)
    found = next_reminder(due, today, stage)
    if expected is None:
        assert found is None
    else:
        assert found == (today + dt.timedelta(days=in_days), expected)
        # and the job's own rule agrees on that day and not the day before
        assert reminder_due(due, found[0], stage) == expected
        if in_days:
            assert reminder_due(due, found[0] - dt.timedelta(days=1), stage) is None
