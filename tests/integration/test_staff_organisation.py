"""The organisation's settings in the workspace: admins change the profile, what the supplier
pages say and how submissions are assigned, through the service behind
PATCH /api/v1/organisation (audited); a refused form keeps what was typed; other roles can't."""

from __future__ import annotations

import pytest

from models.tables import AuditEvent, Organisation
from tests.integration.journeys import csrf_of, sign_in

FORM = {"name": "Royal County Hospital NHS Trust", "ods_code": "rx1", "dspt_category": "1",
        "ig_lead_name": "Asha Patel", "ig_lead_email": "asha.patel@rch.nhs.uk",
        "siro_name": "Tom Reid", "siro_email": "tom.reid@rch.nhs.uk",
        "address": "1 Hospital Road\nCounty Town", "contact_details": "Email ig@rch.nhs.uk.",
        "accessibility_statement": "We aim for WCAG 2.2 AA.\n\nTell us what does not work.",
        "privacy_notice": "We use your answers only to assess you.",
        "review_assignment": "unassigned", "review_team_email": "ig-team@rch.nhs.uk",
        "schedule_wording": "national"}


async def test_an_admin_changes_the_settings_and_suppliers_and_the_api_see_them(client):
    await Organisation.insert(Organisation(name="Old name"))
    await sign_in(client, "admin")
    page = await client.get("/staff/organisation")
    assert 'href="/staff/organisation/settings"' in page.text
    form = await client.get("/staff/organisation/settings")
    assert form.status_code == 200 and 'value="Old name"' in form.text
    saved = await client.post("/staff/organisation/settings",
                              data={**FORM, "csrf": csrf_of(form)}, follow_redirects=False)
    assert saved.status_code == 303
    page = await client.get(saved.headers["location"])
    assert "The organisation&#39;s settings were saved" in page.text \
        or "The organisation's settings were saved" in page.text
    assert "Left unassigned for the team" in page.text and "ig-team@rch.nhs.uk" in page.text
    row = await Organisation.select().first()
    assert row["name"] == FORM["name"] and row["ods_code"] == "RX1"
    assert row["review_assignment"] == "unassigned" and row["dspt_category"] == 1
    assert row["schedule_wording"] == "national"
    assert "The national wording (Crown Commercial Service model clauses) as base text" in page.text
    api = (await client.get("/api/v1/organisation")).json()
    assert api["review_team_email"] == "ig-team@rch.nhs.uk"
    assert api["privacy_notice"] == FORM["privacy_notice"]
    statement = await client.get("/supplier-information/accessibility")
    assert "Tell us what does not work." in statement.text
    event = await AuditEvent.select(AuditEvent.actor, AuditEvent.before, AuditEvent.after).where(
        AuditEvent.action == "organisation.updated").first()
    assert event["actor"] == "admin1"
    assert "Old name" in str(event["before"]) and "unassigned" in str(event["after"])


async def test_a_refused_form_names_each_problem_beside_its_field_and_keeps_what_was_typed(client):
    await Organisation.insert(Organisation(name="Royal County Hospital NHS Trust"))
    await sign_in(client, "admin")
    form = await client.get("/staff/organisation/settings")
    bad = {**FORM, "name": "", "ig_lead_email": "not an email", "dspt_category": "7",
           "review_assignment": "whoever", "csrf": csrf_of(form)}
    refused = await client.post("/staff/organisation/settings", data=bad)
    assert refused.status_code == 400
    for anchor in ("#name", "#ig_lead_email", "#dspt_category", "#review_assignment"):
        assert f'href="{anchor}"' in refused.text
    assert "Enter the organisation&#39;s name." in refused.text \
        or "Enter the organisation's name." in refused.text
    assert "Enter an email address in the correct format" in refused.text
    assert 'value="not an email"' in refused.text and "Tell us what does not work." in refused.text
    assert "ig_lead_email:" not in refused.text and "Traceback" not in refused.text
    row = await Organisation.select().first()
    assert row["name"] == "Royal County Hospital NHS Trust" and row["ig_lead_email"] == ""
    assert await AuditEvent.count().where(AuditEvent.action == "organisation.updated") == 0


@pytest.mark.parametrize("role", ["procurement", "reviewer", "auditor"])
async def test_only_admins_change_the_settings(client, role):
    await Organisation.insert(Organisation(name="Royal County Hospital NHS Trust"))
    await sign_in(client, role)
    page = await client.get("/staff/organisation")
    assert 'href="/staff/organisation/settings"' not in page.text
    assert (await client.get("/staff/organisation/settings")).status_code == 403
    refused = await client.post("/staff/organisation/settings",
                                data={**FORM, "csrf": csrf_of(page)})
    assert refused.status_code == 403
    assert (await Organisation.select(Organisation.name).first())["name"] \
        == "Royal County Hospital NHS Trust"


async def test_the_api_refuses_a_wrong_assignment_policy_and_keeps_the_row(client, credentials):
    await Organisation.insert(Organisation(name="Royal County Hospital NHS Trust"))
    admin = await credentials.headers("admin")
    wrong = await client.patch("/api/v1/organisation", headers=admin,
                               json={"review_assignment": "whoever"})
    assert wrong.status_code == 400
    assert (await Organisation.select(Organisation.review_assignment).first())[
        "review_assignment"] == "round_robin"
    right = await client.patch("/api/v1/organisation", headers=admin,
                               json={"review_team_email": "t@rch.nhs.uk"})
    assert right.status_code == 200 and right.json()["review_team_email"] == "t@rch.nhs.uk"
