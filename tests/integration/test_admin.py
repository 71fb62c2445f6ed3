"""The back office at /admin/: same role rules as the API, no hard deletes, audited edits."""

from __future__ import annotations

import json

from models.tables import AuditEvent, Supplier
from tests.integration.conftest import staff_session
from tests.integration.journeys import CSRF, admin_client


async def a_supplier() -> int:
    row = Supplier(name="Northgate Cloud Hosting", handles_personal_data=True)
    await row.save()
    return row.id


async def test_every_staff_role_can_read_the_back_office(client):
    await a_supplier()
    headers = await admin_client(client, "auditor")
    response = await client.get("/admin/api/tables/supplier/", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["rows"][0]["name"] == "Northgate Cloud Hosting"


async def test_auditor_cannot_change_anything_in_the_back_office(client):
    supplier_id = await a_supplier()
    headers = await admin_client(client, "auditor")
    patched = await client.patch(f"/admin/api/tables/supplier/{supplier_id}/",
                                 json={"name": "Changed"}, headers=headers)
    assert patched.status_code == 403
    created = await client.post("/admin/api/tables/supplier/", json={"name": "New"},
                                headers=headers)
    assert created.status_code == 403
    assert (await Supplier.select(Supplier.name).first())["name"] == "Northgate Cloud Hosting"


async def test_nothing_is_hard_deleted_from_the_back_office(client):
    supplier_id = await a_supplier()
    headers = await admin_client(client, "admin")
    response = await client.delete(f"/admin/api/tables/supplier/{supplier_id}/", headers=headers)
    assert response.status_code == 405
    assert await Supplier.count() == 1


async def test_back_office_edits_are_audited_and_versioned(client):
    supplier_id = await a_supplier()
    headers = await admin_client(client, "procurement")
    blind = await client.patch(f"/admin/api/tables/supplier/{supplier_id}/",
                               json={"legal_name": "Overwrites whatever is there"},
                               headers=headers)
    assert blind.status_code == 428 and "version" in blind.text  # last-write-wins refused
    response = await client.patch(f"/admin/api/tables/supplier/{supplier_id}/",
                                  json={"legal_name": "Northgate Cloud Services plc",
                                        "version": 1},
                                  headers=headers)
    assert response.status_code == 200, response.text
    row = await Supplier.select().where(Supplier.id == supplier_id).first()
    assert row["legal_name"] == "Northgate Cloud Services plc"
    assert row["version"] == 2
    # The same service, and so the same audit event, as the API.
    event = await AuditEvent.select().where(AuditEvent.action == "supplier.updated").first()
    assert event["actor"] == "admin-procurement"
    assert json.loads(event["after"]) == {"legal_name": "Northgate Cloud Services plc"}
    assert json.loads(event["before"]) == {"legal_name": ""}


async def test_procurement_cannot_edit_tables_outside_its_role(client):
    headers = await admin_client(client, "procurement")
    response = await client.post("/admin/api/tables/audit_event/",
                                 json={"action": "forged"}, headers=headers)
    assert response.status_code == 405  # no service writes the audit trail by hand
    assert await AuditEvent.count().where(AuditEvent.action == "forged") == 0


async def test_back_office_queries_it_cannot_use_are_400_not_500(client):
    await a_supplier()
    headers = await admin_client(client, "auditor")
    for query in ("?__order=;drop", "?__order=-nonexistent", "?__page=99999999999999999999",
                  "?__page=-1", "?__page_size=abc", "?id=99999999999999999999"):
        response = await client.get(f"/admin/api/tables/supplier/{query}", headers=headers)
        assert response.status_code == 400, (query, response.text)
        assert "Invalid request" in response.json()["detail"]
    huge = await client.get("/admin/api/tables/supplier/99999999999999999999/", headers=headers)
    assert huge.status_code == 400
    fine = await client.get("/admin/api/tables/supplier/?__order=-name&__page=1", headers=headers)
    assert fine.status_code == 200


async def test_back_office_edits_are_atomic_with_their_audit_and_refuse_stale_versions(client):
    supplier_id = await a_supplier()
    headers = await admin_client(client, "procurement")
    first = await client.patch(f"/admin/api/tables/supplier/{supplier_id}/",
                               json={"name": "Renamed once", "version": 1}, headers=headers)
    assert first.status_code == 200, first.text
    stale = await client.patch(f"/admin/api/tables/supplier/{supplier_id}/",
                               json={"name": "Renamed from an old screen", "version": 1},
                               headers=headers)
    # Plain words, which piccolo-admin shows as they are (a JSON object it shows as raw JSON).
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    row = await Supplier.select(Supplier.name, Supplier.version).where(Supplier.id == supplier_id).first()
    assert row == {"name": "Renamed once", "version": 2}
    audited = await AuditEvent.select(AuditEvent.action).where(
        AuditEvent.action == "supplier.updated")
    assert len(audited) == 1  # the refused edit left no event behind
    # A create the database refuses (a duplicate key) leaves no "created" event either.
    await Supplier.update({Supplier.supplier_key: "DUP-1"}).where(Supplier.id == supplier_id)
    duplicate = await client.post("/admin/api/tables/supplier/", headers=headers,
                                  json={"name": "Another", "supplier_key": "DUP-1"})
    assert 400 <= duplicate.status_code < 500, duplicate.text
    assert await AuditEvent.count().where(AuditEvent.action == "supplier.created") == 0
    assert await Supplier.count() == 1


async def test_back_office_never_shows_secret_hashes(client):
    from models.tables import ApiToken
    from portal.core import staff

    await staff.create_token(name="sync", role="procurement")
    headers = await admin_client(client, "admin")
    rows = (await client.get("/admin/api/tables/api_token/", headers=headers)).json()["rows"]
    assert rows and all(not row.get("token_hash") for row in rows)
    assert await ApiToken.count() == 1


async def test_back_office_writes_with_values_the_database_cant_take_are_4xx(client):
    supplier_id = await a_supplier()
    headers = await admin_client(client, "admin")
    bodies = [{"name": None}, {"name": "x" * 5000}, {"handles_personal_data": "maybe"},
              {"created_at": "not a date"}, {"id": supplier_id + 100},
              {"supplier_key": "nul\u0000byte"}, {"name": "x", "version": 99999999999999999}]
    for body in bodies:
        response = await client.patch(f"/admin/api/tables/supplier/{supplier_id}/", json=body,
                                      headers=headers)
        assert 400 <= response.status_code < 500, (body, response.status_code, response.text)
    for body in ({}, {"name": "No legal name", "legal_name": None}):
        response = await client.post("/admin/api/tables/supplier/", json=body, headers=headers)
        assert 400 <= response.status_code < 500, (body, response.status_code, response.text)
    row = await Supplier.select(Supplier.id, Supplier.name, Supplier.supplier_key).first()
    assert row == {"id": supplier_id, "name": "Northgate Cloud Hosting", "supplier_key": None}
    assert await AuditEvent.count().where(AuditEvent.action.like("supplier.%")) == 0


# The gate: one identity, second factor, staff role --------------------------------------

PASSWORD_ONLY_VARIANTS = {
    "quoted": 'id="{t}"',
    "leading blanks": '   id={t}',
    "leading tab": '\tid={t}',
    "two ids": 'id={t}; id=not-a-session',
    "two ids, other first": 'id=not-a-session; id={t}',
    "ID": 'ID={t}',
    "Id": 'Id={t}',
    "plain": 'id={t}',
}


async def test_no_cookie_variant_gets_a_password_only_admin_session_past_the_second_factor(client):
    from models.tables import StaffMember

    await a_supplier()
    token = await staff_session("admin", username="pw-only", second_factor=False)
    target = await staff_session("procurement", username="target")  # noqa: F841
    target_member = await StaffMember.select().where(StaffMember.role == "procurement").first()
    for name, template in PASSWORD_ONLY_VARIANTS.items():
        client.cookies.clear()
        header = {"Cookie": template.format(t=token) + f"; csrftoken={CSRF}", "X-CSRFToken": CSRF}
        read = await client.get("/admin/api/tables/supplier/", headers=header)
        assert read.status_code in (400, 401, 403), (name, read.status_code, read.text)
        assert "Northgate" not in read.text, name
        write = await client.patch(f"/admin/api/tables/staff_member/{target_member['id']}/",
                                   json={"role": "admin"}, headers=header)
        assert write.status_code in (400, 401, 403), (name, write.status_code)
        page = await client.get("/admin/", headers=header, follow_redirects=False)
        assert page.status_code in (303, 400), (name, page.status_code)
    # Ambiguous headers are refused as such, whatever session they carry.
    for name in ("quoted", "two ids", "two ids, other first", "ID", "Id"):
        header = {"Cookie": PASSWORD_ONLY_VARIANTS[name].format(t=token)}
        assert (await client.get("/admin/api/tables/supplier/", headers=header)).status_code == 400
    two_headers = await client.get("/admin/api/tables/supplier/", headers=[
        ("cookie", f"id={token}"), ("cookie", "id=x")])
    assert two_headers.status_code == 400
    assert (await StaffMember.select(StaffMember.role).where(
        StaffMember.id == target_member["id"]).first())["role"] == "procurement"


async def test_the_same_variants_with_a_verified_session_read_but_ambiguity_is_still_refused(client):
    await a_supplier()
    token = await staff_session("admin", username="verified")
    for name in ("leading blanks", "leading tab", "plain"):
        header = {"Cookie": PASSWORD_ONLY_VARIANTS[name].format(t=token)}
        response = await client.get("/admin/api/tables/supplier/", headers=header)
        assert response.status_code == 200, (name, response.text)
        assert response.headers["cache-control"] == "no-store"
    quoted = await client.get("/admin/api/tables/supplier/",
                              headers={"Cookie": f'id="{token}"'})
    assert quoted.status_code == 400


async def test_a_session_without_an_active_staff_role_gets_nothing_anywhere(client, ):
    from piccolo.apps.user.tables import BaseUser
    from piccolo_api.session_auth.tables import SessionsBase

    from models.tables import StaffMember

    await a_supplier()
    roleless = await BaseUser.create_user(username="roleless", password="long enough pass 1",
                                          email="r@example.org", active=True, admin=True)
    bare = (await SessionsBase.create_session(user_id=roleless.id)).token
    gone = await staff_session("procurement", username="leaver")
    leaver = await BaseUser.select(BaseUser.id).where(BaseUser.username == "leaver").first()
    await BaseUser.update({BaseUser.active: False}).where(BaseUser.id == leaver["id"])
    assert await StaffMember.exists().where(StaffMember.user == leaver["id"])
    for token in (bare, gone):
        client.cookies.clear()
        client.cookies.set("id", token)
        for url in ("/admin/api/tables/supplier/", "/admin/api/tables/", "/admin/api/user/",
                    "/api/v1/suppliers"):
            response = await client.get(url)
            assert response.status_code in (401, 403), (url, response.status_code)
        assert (await client.get("/staff/", follow_redirects=False)).status_code in (303, 403)


async def test_piccolos_own_login_form_signs_no_one_in(client):
    from piccolo_api.session_auth.tables import SessionsBase

    from portal.core import staff

    await staff.create_user(username="buyer", password="correct horse battery staple",
                            role="procurement")
    client.cookies.set("csrftoken", CSRF)
    posted = await client.post("/admin/public/login/", headers={"X-CSRFToken": CSRF},
                               json={"username": "buyer", "password": "correct horse battery staple"})
    assert posted.status_code == 403 and "/staff/login" in posted.text
    assert await SessionsBase.count() == 0
    page = await client.get("/admin/public/login/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/staff/login?next=/admin/"
    assert (await client.get("/admin/", follow_redirects=False)).headers["location"] \
        == "/staff/login?next=/admin/"


async def test_back_office_sessions_last_no_longer_than_workspace_sessions(client):
    import datetime as dt
    import re

    from piccolo_api.session_auth.tables import SessionsBase

    from portal.core import staff

    await staff.create_user(username="buyer", password="correct horse battery staple",
                            role="procurement")
    page = await client.get("/staff/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]
    signed_in = await client.post("/staff/login", follow_redirects=False, data={
        "csrf": csrf, "username": "buyer", "password": "correct horse battery staple",
        "next": "/admin/"})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/admin/"
    before = await SessionsBase.select().first()
    eight_hours = dt.timedelta(hours=8, minutes=1)
    assert before["expiry_date"] - dt.datetime.now() < eight_hours
    assert before["max_expiry_date"] - dt.datetime.now() < eight_hours
    for _ in range(3):
        assert (await client.get("/admin/api/tables/supplier/")).status_code == 200
    after = await SessionsBase.select().first()
    assert after["expiry_date"] == before["expiry_date"]  # use doesn't stretch it


# The auth table and the staff table: no writes, no secrets -------------------------------


async def test_the_back_office_writes_no_user_or_staff_row_and_shows_no_secret(client):
    from piccolo.apps.user.tables import BaseUser

    from models.tables import StaffMember

    headers = await admin_client(client, "admin")
    await StaffMember.update({StaffMember.totp_secret: "sealed-secret"}).where(
        StaffMember.id > 0)
    member = await StaffMember.select().first()
    user = await BaseUser.select(BaseUser.id).first()
    attempts = [
        ("post", "/admin/api/tables/piccolo_user/", {"username": "sneaky", "password": "x" * 20,
                                                     "email": "s@x.org", "superuser": True}),
        ("patch", f"/admin/api/tables/piccolo_user/{user['id']}/", {"superuser": True}),
        ("patch", f"/admin/api/tables/staff_member/{member['id']}/", {"totp_secret": ""}),
        ("patch", f"/admin/api/tables/staff_member/{member['id']}/", {"role": "admin",
                                                                      "totp_secret": ""}),
        ("put", f"/admin/api/tables/staff_member/{member['id']}/", {"role": "auditor"}),
        ("delete", f"/admin/api/tables/staff_member/{member['id']}/", None),
        ("post", "/admin/api/change-password/", {"current_password": "x", "new_password": "y"}),
    ]
    for method, url, body in attempts:
        response = await client.request(method, url, json=body, headers=headers)
        assert response.status_code in (403, 405), (url, response.status_code, response.text)
    assert await BaseUser.count() == 1
    assert (await StaffMember.select().first())["totp_secret"] == "sealed-secret"
    assert await AuditEvent.count().where(AuditEvent.target_type == "staff_member") == 0
    for url in ("/admin/api/tables/staff_member/", f"/admin/api/tables/staff_member/{member['id']}/",
                "/admin/api/tables/staff_member/schema/", "/admin/api/tables/piccolo_user/",
                f"/admin/api/tables/piccolo_user/{user['id']}/", "/admin/api/tables/piccolo_user/schema/"):
        text = (await client.get(url, headers=headers)).text
        assert "sealed-secret" not in text and "totp" not in text and "pbkdf2" not in text, url
        assert '"password"' not in text, url


# Reads follow the matrix per table and column --------------------------------------------


async def test_reads_follow_the_role_per_table_and_column(client):
    from models.tables import OutboundEmail

    await OutboundEmail(to_address="a@example.org", subject="Questionnaire",
                        body="https://portal/respond/secret-link").save()
    email = await OutboundEmail.select(OutboundEmail.id).first()
    headers = await admin_client(client, "auditor")
    tables = (await client.get("/admin/api/tables/", headers=headers)).json()
    assert "supplier" in tables and "audit_event" in tables
    assert not {"outbound_email", "api_token", "staff_member", "piccolo_user"} & set(tables)
    grouped = (await client.get("/admin/api/tables/grouped/", headers=headers)).json()
    assert "outbound_email" not in json.dumps(grouped)
    for rest in ("", f"{email['id']}/", "schema/", "ids/", "count/", "new/"):
        response = await client.get(f"/admin/api/tables/outbound_email/{rest}", headers=headers)
        assert response.status_code == 403, (rest, response.status_code)
    for table in ("api_token", "staff_member", "piccolo_user"):
        assert (await client.get(f"/admin/api/tables/{table}/", headers=headers)).status_code == 403
    # Nobody reads mail bodies, or finds them out by filtering or ordering.
    client.cookies.clear()
    headers = await admin_client(client, "admin")
    for url in ("/admin/api/tables/outbound_email/", f"/admin/api/tables/outbound_email/{email['id']}/",
                "/admin/api/tables/outbound_email/schema/"):
        response = await client.get(url, headers=headers)
        assert response.status_code == 200 and "secret-link" not in response.text
        assert '"body"' not in response.text, url
    for query in ("?body=https%3A%2F%2Fportal%2Frespond%2Fsecret-link", "?body__operator=contains&body=x",
                  "?__order=body", "?__order=-body", "?__visible_fields=id,body",
                  "?__visible_fields=user.password"):
        response = await client.get(f"/admin/api/tables/outbound_email/{query}", headers=headers)
        assert response.status_code == 400, query
    assert (await client.get("/admin/api/openapi.json", headers=headers)).status_code == 404


async def test_every_tables_schema_describes_every_column_its_list_draws(client):
    """piccolo-admin looks each visible column up in the schema; one it can't find blanked the
    whole list (TypeError reading 'type' at isBoolean)."""
    headers = await admin_client(client, "admin")
    for table in (await client.get("/admin/api/tables/", headers=headers)).json():
        schema = (await client.get(f"/admin/api/tables/{table}/schema/", headers=headers)).json()
        extra = schema["extra"]
        for name in extra["visible_column_names"]:
            assert name in schema["properties"] or (
                name == extra["primary_key_name"] == extra["link_column_name"]), (table, name)


async def test_the_answer_list_works_with_numeric_answers(client):
    from models.tables import Answer, Assessment, QuestionnaireDefinition, SupplierContact

    supplier_id = await a_supplier()
    definition = QuestionnaireDefinition(key="q", version="1", title="Q", content_hash="h" * 64)
    await definition.save()
    contact = SupplierContact(supplier=supplier_id, name="C", email="c@example.org")
    await contact.save()
    assessment = Assessment(supplier=supplier_id, contact=contact.id, definition=definition.id)
    await assessment.save()
    for n, value in enumerate(['"text"', "5", "2.5", "true", "[1, 2]", "null"]):
        await Answer(assessment=assessment.id, question_id=f"q{n}", value=value).save()
    headers = await admin_client(client, "auditor")
    response = await client.get("/admin/api/tables/answer/?__readable=true", headers=headers)
    assert response.status_code == 200, response.text
    assert len(response.json()["rows"]) == 6


# Writes go through the services ------------------------------------------------------------


async def test_a_back_office_create_uses_the_service_and_audits_the_real_id(client):
    headers = await admin_client(client, "procurement")
    response = await client.post("/admin/api/tables/supplier/", headers=headers, json={
        "name": "  Harbour Analytics  ", "legal_name": "", "supplier_key": None,
        "companies_house_number": "", "ico_registration_number": "", "ods_code": "",
        "website": "", "handles_personal_data": False, "handles_patient_data": False,
        "affects_care": False, "notes": "", "archived_at": None})
    assert response.status_code == 201, response.text
    new_id = response.json()[0]["id"]
    assert (await Supplier.select(Supplier.name).where(Supplier.id == new_id).first())["name"] \
        == "Harbour Analytics"  # the service's validation stripped it
    event = await AuditEvent.select().where(AuditEvent.action == "supplier.created").first()
    assert event["target_id"] == str(new_id)
    # The service's rules apply: patient data without personal data is refused, in the form.
    refused = await client.post("/admin/api/tables/supplier/", headers=headers, json={
        "name": "Bad", "handles_personal_data": False, "handles_patient_data": True,
        "affects_care": False})
    assert refused.status_code == 422 and "personal data" in refused.text


async def test_an_unchanged_save_changes_nothing_and_a_back_office_edit_moves_the_tier(client):
    from models.tables import SupplierScore

    supplier_id = await a_supplier()
    headers = await admin_client(client, "admin")
    row = (await client.get(f"/admin/api/tables/supplier/{supplier_id}/", headers=headers)).json()
    unchanged = await client.patch(f"/admin/api/tables/supplier/{supplier_id}/", json=row,
                                   headers=headers)
    assert unchanged.status_code == 200, unchanged.text
    assert (await Supplier.select(Supplier.version).first())["version"] == 1
    assert await AuditEvent.count().where(AuditEvent.action == "supplier.updated") == 0
    edited = await client.patch(f"/admin/api/tables/supplier/{supplier_id}/", headers=headers,
                                json={**row, "affects_care": True, "handles_patient_data": True})
    assert edited.status_code == 200, edited.text
    score = await SupplierScore.select().where(SupplierScore.supplier == supplier_id).first()
    assert score is not None and score["tier"] == "critical", score
    event = await AuditEvent.select().where(AuditEvent.action == "supplier.updated").first()
    assert json.loads(event["after"]) == {"affects_care": True, "handles_patient_data": True}
    archived = await client.patch(f"/admin/api/tables/supplier/{supplier_id}/", headers=headers,
                                  json={"archived_at": "2026-01-01T00:00:00Z", "version": 2})
    assert archived.status_code == 200, archived.text
    assert await AuditEvent.count().where(AuditEvent.action == "supplier.archived") == 1


async def test_a_form_save_as_piccolo_admin_sends_it_text_and_all(client):
    """piccolo-admin sends every field, as text ("true", "1"), with the timestamps it loaded."""
    supplier_id = await a_supplier()
    headers = await admin_client(client, "admin")
    form = {k: (str(v).lower() if isinstance(v, bool) else str(v) if isinstance(v, int) else v)
            for k, v in (await client.get(f"/admin/api/tables/supplier/{supplier_id}/",
                                          headers=headers)).json().items()}
    assert form["version"] == "1" and form["handles_personal_data"] == "true"
    saved = await client.patch(f"/admin/api/tables/supplier/{supplier_id}/", headers=headers,
                               json={**form, "legal_name": "Northgate Cloud Services plc"})
    assert saved.status_code == 200, saved.text
    stale = await client.patch(f"/admin/api/tables/supplier/{supplier_id}/", headers=headers,
                               json={**form, "legal_name": "From the same old screen"})
    assert stale.status_code == 409, stale.text
    row = await Supplier.select(Supplier.legal_name, Supplier.version).first()
    assert row == {"legal_name": "Northgate Cloud Services plc", "version": 2}


async def test_every_editable_table_takes_a_new_row_from_its_add_form(client):
    """The add form starts from /new/ and sends every field back as text; each table with a
    service creates through it, audited under the new row's real id."""
    headers = await admin_client(client, "admin")
    filled = {"name": "Added in the back office", "title": "Added in the back office",
              "email": "added@example.org", "scheme": "iso27001", "kind": "risk",
              "start_date": "2025-01-01", "end_date": "2026-01-01", "data_role": "processor"}
    supplier_id = None
    for table, action in (("supplier", "supplier.created"), ("supplier_contact", "contact.created"),
                          ("contract", "contract.created"),
                          ("certification", "certification.created"), ("risk", "risk.logged")):
        new = (await client.get(f"/admin/api/tables/{table}/new/", headers=headers)).json()
        body = {k: str(v).lower() if isinstance(v, bool) else v for k, v in new.items()}
        body.update({k: v for k, v in filled.items() if k in body})
        if "supplier" in body:
            body["supplier"] = str(supplier_id)
        response = await client.post(f"/admin/api/tables/{table}/", json=body, headers=headers)
        assert response.status_code == 201, (table, response.text)
        new_id = response.json()[0]["id"]
        supplier_id = supplier_id or new_id
        event = await AuditEvent.select().where(AuditEvent.action == action).first()
        assert event is not None and event["target_id"] == str(new_id), (table, event)
    for table in ("contract_clause", "organisation", "product_service", "dspt_register_entry",
                  "clause_definition", "answer", "assessment", "audit_event", "outbound_email"):
        response = await client.post(f"/admin/api/tables/{table}/", json={}, headers=headers)
        assert response.status_code == 405, table


def test_every_secret_column_is_hidden_from_the_back_office():
    """A new secret column (secret=True in models/tables.py) must be named in admin/policy.py."""
    from piccolo.apps.user.tables import BaseUser

    from admin.policy import hidden_columns
    from models.tables import ALL_TABLES

    for table in [*ALL_TABLES, BaseUser]:
        for column in table._meta.columns:
            if column._meta.secret:
                assert column._meta.name in hidden_columns(table._meta.tablename), (
                    table._meta.tablename, column._meta.name)


async def test_staff_names_for_owner_and_reviewer_dropdowns_but_not_the_accounts(client):
    """A supplier's owner and an assessment's reviewer are staff accounts: every role's forms
    list their usernames, but only admins read the accounts themselves."""
    headers = await admin_client(client, "procurement")
    names = await client.get("/admin/api/tables/piccolo_user/ids/", headers=headers)
    assert names.status_code == 200, names.text
    assert "admin-procurement" in names.text and "pbkdf2" not in names.text
    rows = await client.get("/admin/api/tables/piccolo_user/", headers=headers)
    assert rows.status_code == 403
    one = await client.get("/admin/api/tables/piccolo_user/1/", headers=headers)
    assert one.status_code == 403
