"""Every HTML form route (staff workspace and supplier pages), fed hostile bodies.

Generated from the app's own routes, like the permission matrix: a new form handler is
covered the day it is added. Each must answer with a clear 4xx (or its normal redirect)
and never a 5xx, and nothing a hostile body sent may be stored.
"""

from __future__ import annotations

import re

from litestar.routes import HTTPRoute

from models.tables import AuditEvent
from portal.assessments.pages import form_token
from portal.staff.auth import CSRF_COOKIE
from tests.integration.conftest import app, contract_body, staff_session
from tests.integration.journeys import onboard, send

CSRF = "hostile-forms-csrf-value"
NASTY = {
    "name": "<script>alert(1)</script>", "title": "\u202e" + "x" * 20_000,
    "kind": "bogus", "status": "x" * 10_000, "decision": "maybe", "comment": "a\u0000b",
    "date": "99999-99-99", "valid_from": "yesterday", "valid_until": "0000-00-00",
    "expires_on": "2026-02-30", "due_date": "1900-01-01", "contact_id": "abc",
    "questionnaire": "../../etc/passwd", "likelihood": "-1", "impact": "99999999999999999999",
    "score": "NaN", "value": "x" * 100_000, "question_ids": ["", "nope", "x" * 300],
    "username": "' OR 1=1 --", "password": "x" * 10_000, "code": "12345678901234567890",
    "next": "https://evil.example/", "legal_name": "\u0000",
    "state": "{{7*7}}", "present": "perhaps", "toolkit": "1999-00", "dry_run": "maybe",
}


def form_routes():
    for route in app().routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(("/api", "/admin")):
            continue
        for handler in route.route_handlers:
            if "POST" in handler.http_methods:
                yield route.path


def concrete(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{([a-z_]+):(int|str)\}", lambda m: ids.get(m.group(1), "1"), path)


def bodies(csrf_field: str) -> list[dict]:
    return [
        {"data": {}},
        {"data": {"csrf": csrf_field}},
        {"data": {"csrf": csrf_field, **NASTY}},
        {"data": {**NASTY}},  # no CSRF token at all
        {"content": b"%%%&&&=%zz", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
        {"content": b'{"csrf": "x"}', "headers": {"Content-Type": "application/json"}},
        {"content": b"\xff\xfe\x00garbage", "headers": {"Content-Type": "multipart/form-data; boundary=zz"}},
        {"data": {"csrf": csrf_field, "question_id": "legal_name"},
         "files": {"file": ("evil.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")}},
        {"data": {"csrf": csrf_field},
         "files": {"file": ("../../etc/passwd", b"<html><script>1</script>", "text/html")}},
    ]


async def test_every_form_answers_hostile_bodies_with_a_4xx(client, procurement):
    supplier, contact = await onboard(client, procurement)
    contract = await client.post("/api/v1/contracts", headers=procurement,
                                 json=contract_body(supplier["id"]))
    assert contract.status_code == 201, contract.text
    assessment, token = await send(client, procurement, supplier, contact)
    ids = {"supplier_id": str(supplier["id"]), "contract_id": str(contract.json()["id"]),
           "assessment_id": str(assessment["id"]), "question_id": "legal_name",
           "section_id": "identity", "key": "art28.subject_matter", "kind": "dspt",
           "token": token}
    session = await staff_session("admin", username="hostile-admin")
    events_before = await AuditEvent.count()

    problems, checked = [], 0
    # Signing out ends the session the other forms need, so it comes last.
    for path in sorted(form_routes(), key=lambda p: p == "/staff/logout"):
        url = concrete(path, ids)
        supplier_page = path.startswith("/respond")
        for body in bodies(form_token(token) if supplier_page else CSRF):
            client.cookies.clear()
            if not supplier_page:
                client.cookies.set("id", session)
                client.cookies.set(CSRF_COOKIE, CSRF)
            response = await client.post(url, follow_redirects=False, **body)
            checked += 1
            if response.status_code >= 500 or "Traceback" in response.text:
                problems.append(f"POST {path} {str(body)[:80]}: {response.status_code}")
            if response.status_code == 200 and "files" in body:  # a program is not a CSV
                problems.append(f"POST {path} accepted {body['files']['file'][0]}")
    client.cookies.clear()
    assert problems == [], problems
    assert checked >= 100
    # Hostile bodies changed nothing worth an audit event but sign-in attempts, which log none.
    # ("Send a new link", "Chase now" and the notice link's create and revoke take no input:
    # with a valid CSRF token any body is a real request.)
    changed = await AuditEvent.select(AuditEvent.action).where(AuditEvent.id > events_before)
    assert {c["action"] for c in changed} <= {"answer.saved", "assessment.opened",
                                               "assessment.started", "assessment.reissued",
                                               "assessment.chased", "staff.signed_out",
                                               "notice_link.issued", "notice_link.revoked"}, changed


HOSTILE_QUERIES = [
    "page=-1", "page=0", "page=abc", "page=99999999999999999999", "per_page=100000",
    "sort=;drop table supplier", "order=-nonexistent", "q=%00", "q=" + "a" * 5000,
    "rating=purple", "tier=9", "certification=%3Cscript%3E", "overdue=maybe",
    "toolkit=1999-00", "days=-1", "next=https://evil.example/", "notice=%3Cscript%3E",
    "rating=red&rating=green&rating=amber", "limit=-5&offset=abc",
]


def page_routes():
    for route in app().routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(("/api", "/admin", "/static",
                                                                       "/assets", "/schema")):
            continue
        for handler in route.route_handlers:
            if "GET" in handler.http_methods:
                yield route.path


async def test_every_page_answers_hostile_query_strings_with_a_4xx_or_the_page(client, procurement):
    supplier, contact = await onboard(client, procurement)
    contract = await client.post("/api/v1/contracts", headers=procurement,
                                 json=contract_body(supplier["id"]))
    assessment, token = await send(client, procurement, supplier, contact)
    ids = {"supplier_id": str(supplier["id"]), "contract_id": str(contract.json()["id"]),
           "assessment_id": str(assessment["id"]), "section_id": "identity", "token": token}
    session = await staff_session("admin", username="hostile-reader")
    problems, checked = [], 0
    for path in page_routes():
        for query in HOSTILE_QUERIES:
            client.cookies.clear()
            client.cookies.set("id", session)
            response = await client.get(f"{concrete(path, ids)}?{query}", follow_redirects=False)
            checked += 1
            if response.status_code >= 500 or "Traceback" in response.text:
                problems.append(f"GET {path}?{query[:40]}: {response.status_code}")
            location = response.headers.get("location", "")
            if "evil.example" in location:
                problems.append(f"GET {path}?{query[:40]} redirects off-site")
    client.cookies.clear()
    assert problems == [], problems
    assert checked >= 150


UNPRINTABLE = {
    "name": "Acme\x07Health", "title": "\u200b\u200d\u2060", "legal_name": "\x0c",
    "comment": "a\x1bb", "note": "bell\x07", "owner": "\x85", "description": "\ufffe",
    "code": "\u0661\u0662\u0663\u0664\u0665\u0666", "username": "r\u00e9viewer",
    "password": "p\u00e4ssword \u0142 long enough",
}


async def test_every_form_answers_non_ascii_tokens_and_unprintable_text_with_a_4xx(
        client, procurement):
    """Non-ASCII CSRF tokens (field, cookie or both), a non-ASCII signed cookie, other
    scripts' digits as a code, control and invisible-only characters as names."""
    supplier, contact = await onboard(client, procurement)
    contract = await client.post("/api/v1/contracts", headers=procurement,
                                 json=contract_body(supplier["id"]))
    assessment, token = await send(client, procurement, supplier, contact)
    ids = {"supplier_id": str(supplier["id"]), "contract_id": str(contract.json()["id"]),
           "assessment_id": str(assessment["id"]), "question_id": "legal_name",
           "section_id": "identity", "key": "art28.subject_matter", "kind": "dspt",
           "token": token}
    session = await staff_session("admin", username="unicode-admin")
    events_before = await AuditEvent.count()
    latin = "\u00e9" * 43  # what a cookie header can carry (it is read as Latin-1)
    cases = [  # (form csrf field, csrf cookie, pending second-factor cookie)
        ("\u0661" * 43, CSRF, None), (latin, latin, None), (CSRF, latin, None),
        (CSRF, CSRF, None), (CSRF, CSRF, "1.9999999999.\u00e9\u00e9"),
        (CSRF, CSRF, "\u00e9.\u00e9.\u00e9"),
    ]
    problems, checked = [], 0
    for path in sorted(form_routes(), key=lambda p: p == "/staff/logout"):
        url = concrete(path, ids)
        supplier_page = path.startswith("/respond")
        for field, cookie, pending in cases:
            jar = {} if supplier_page else {"id": session, CSRF_COOKIE: cookie}
            if pending:
                jar["portal_mfa"] = pending
            header = "; ".join(f"{k}={v}" for k, v in jar.items()).encode("latin-1")
            csrf = form_token(token) if supplier_page and field == CSRF else field
            client.cookies.clear()
            response = await client.post(url, data={"csrf": csrf, **UNPRINTABLE},
                                         headers={"Cookie": header}, follow_redirects=False)
            checked += 1
            if response.status_code >= 500 or "Traceback" in response.text:
                problems.append(f"POST {path} {field[:3]!r}/{cookie[:3]!r}/{pending}: "
                                f"{response.status_code}")
    assert problems == [], problems
    assert checked >= 60
    changed = await AuditEvent.select(AuditEvent.action).where(AuditEvent.id > events_before)
    assert {c["action"] for c in changed} <= {"assessment.opened", "assessment.started",
                                               "staff.signed_out", "notice_link.issued",
                                               "notice_link.revoked"}, changed
