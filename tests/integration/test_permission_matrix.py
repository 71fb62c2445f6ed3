"""Every route, every role: generated from the app's own routes and the permission matrix.

A route that forgets its permission fails here (the guard refuses it), and so does a role
that can reach what the matrix says it may not.
"""

from __future__ import annotations

import re

from litestar.routes import HTTPRoute

from portal.assessments.controllers import link_misses
from portal.core import staff
from portal.core.permissions import ROLES, allowed
from tests.integration.conftest import app, staff_session


def concrete(path: str) -> str:
    path = re.sub(r"\{[a-z_]+:int\}", "1", path)
    path = path.replace("{key:str}", "art28.confidentiality")
    path = path.replace("{question_id:str}", "legal_name")
    path = path.replace("{kind:str}", "dspt")
    return re.sub(r"\{[a-z_]+:str\}", "not-a-real-token", path)


def routes():
    for route in app().routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods):
                if method in ("HEAD", "OPTIONS"):
                    continue
                yield route.path, method, handler.opt


async def test_every_route_answers_every_role_as_the_matrix_says(client):
    await link_misses.reset()
    tokens, sessions = {}, {}
    for role in ROLES:
        tokens[role] = (await staff.create_token(name=f"matrix-{role}", role=role)).token
        sessions[role] = await staff_session(role, username=f"matrix-{role}")
    checked = 0
    problems = []
    for path, method, opt in routes():
        is_api, is_staff = path.startswith("/api/"), path.startswith("/staff")
        if not (is_api or is_staff) or path in ("/staff/login", "/staff/login/mfa"):
            continue
        url = concrete(path)
        if opt.get("supplier_link"):
            await link_misses.reset()
            response = await client.request(method, url, json={} if method in ("PUT", "POST") else None)
            if response.status_code != 404:
                problems.append(f"{method} {path} with a wrong link: {response.status_code}")
            checked += 1
            continue
        permission = opt.get("permission")
        if permission is None:
            problems.append(f"{method} {path} declares no permission")
            continue
        client.cookies.clear()
        anonymous = await client.request(method, url, follow_redirects=False)
        expected_anonymous = 401 if is_api else 303
        if anonymous.status_code != expected_anonymous:
            problems.append(f"{method} {path} anonymous: {anonymous.status_code}")
        for role in ROLES:
            client.cookies.clear()
            if is_api:
                response = await client.request(method, url, follow_redirects=False, headers={
                    "Authorization": f"Bearer {tokens[role]}"})
            else:
                client.cookies.set("id", sessions[role])
                response = await client.request(method, url, follow_redirects=False)
            may = allowed(role, permission)
            if may and response.status_code in (401, 403):
                problems.append(f"{method} {path} {role} refused ({response.status_code})")
            if not may and response.status_code != 403:
                problems.append(f"{method} {path} {role} not refused ({response.status_code})")
            if response.status_code >= 500:
                problems.append(f"{method} {path} {role}: server error")
            checked += 1
    client.cookies.clear()
    assert problems == []
    assert checked > 200
