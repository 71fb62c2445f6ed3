"""What the integration tests do through HTTP as a person would: onboard a supplier, send
a questionnaire, answer it through the link, sign in to the workspace or the back office.
Records themselves are built with tests/factories.py; test modules never import each other."""

from __future__ import annotations

import datetime as dt
import re

from portal.core import staff
from tests import factories
from tests.codes import unused_code
from tests.integration.conftest import SUPPLIER, staff_session

CSRF = "test-csrf-token-value"

PASSWORD = "a sensible long password"

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

CORE = "ndg10-supplier-due-diligence"


async def admin_client(client, role: str):
    token = await staff_session(role, username=f"admin-{role}")
    client.cookies.set("id", token)
    client.cookies.set("csrftoken", CSRF)
    return {"X-CSRFToken": CSRF}


async def sign_in(client, role: str) -> None:
    """Sign in through the pages, enrolling an authenticator where the role needs one."""

    await staff.create_user(username=f"{role}1", password=PASSWORD, role=role)
    page = await client.get("/staff/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    response = await client.post("/staff/login", data={
        "csrf": csrf, "username": f"{role}1", "password": PASSWORD, "next": "/staff/"})
    assert response.status_code == 303, response.text
    if response.headers["location"].startswith("/staff/login/mfa"):
        page = await client.get(response.headers["location"])
        secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', page.text).group(1)
        response = await client.post("/staff/login/mfa", data={
            "csrf": csrf, "code": unused_code(secret), "next": "/staff/"})
        assert response.status_code == 303, response.text
    assert response.headers["location"] == "/staff/"


def csrf_of(page) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


async def submitted_assessment(client, procurement):
    supplier, contact = await onboard(client, procurement)
    sent, token = await send(client, procurement, supplier, contact)
    evidence = (await upload(client, token, "cyber_essentials_certificate")).json()
    await answer_everything(client, token, evidence["id"])
    assert (await client.post(f"/api/v1/respond/{token}/submit")).status_code == 200
    return sent["id"], token, evidence


async def onboard(client, headers, name="Meridian Health Records"):
    supplier = (await client.post("/api/v1/suppliers", json={**SUPPLIER, "name": name},
                                  headers=headers)).json()
    contact = (await client.post(f"/api/v1/suppliers/{supplier['id']}/contacts", headers=headers,
                                 json={"name": "Helen Carter", "email": "helen@meridian.example"})
               ).json()
    return supplier, contact


async def send(client, headers, supplier, contact, questionnaire=CORE):
    due = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    response = await client.post("/api/v1/assessments", headers=headers, json={
        "supplier_id": supplier["id"], "contact_id": contact["id"],
        "questionnaire": questionnaire, "due_date": due})
    assert response.status_code == 201, response.text
    body = response.json()
    return body, body["link"].rsplit("/", 1)[1]


def good_answer(question: dict):
    """A compliant-looking answer a careful supplier would give (files are uploaded apart)."""
    return None if question["type"] == "file" else factories.plain_answer(question)


async def answer_everything(client, token, evidence_id):
    for _ in range(5):  # answering can reveal follow-up questions
        view = (await client.get(f"/api/v1/respond/{token}")).json()
        todo = [q for s in view["questionnaire"]["sections"] for q in s["questions"]
                if q["visible"] and q["id"] not in view["answers"]]
        if not todo:
            return view
        for question in todo:
            value = [evidence_id] if question["type"] == "file" else good_answer(question)
            response = await client.put(f"/api/v1/respond/{token}/answers/{question['id']}",
                                        json={"value": value})
            assert response.status_code == 200, (question["id"], response.text)
    return view


async def upload(client, token, question_id, content=PDF, filename="certificate.pdf"):
    return await client.post(f"/api/v1/respond/{token}/evidence",
                             data={"question_id": question_id},
                             files={"file": (filename, content, "application/octet-stream")})
