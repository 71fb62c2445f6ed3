"""The organisation's settings in the workspace (admins): its profile and DSPT category, what
the supplier pages say in their footer, and how the work queue assigns submissions.

Thin: read the form, validate it with the API's own schema, and save it through
`update_organisation`, the service behind PATCH /api/v1/organisation (audited there). A refused
form comes back with each message beside its field and everything that was typed."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template
from pydantic import ValidationError

from portal.core.organisation import (
    FIELDS,
    OrganisationPatch,
    get_organisation,
    update_organisation,
)
from portal.staff import auth
from portal.staff.forms import Field, field_errors, text_values
from portal.staff.rendering import render

WRITE = {"permission": "organisation.write"}
EMAIL = "Enter an email address in the correct format, like name@example.nhs.uk."
SETTINGS_FIELDS = {
    "name": Field("Enter the organisation's name.",
                  "Enter the name in ordinary letters, numbers and punctuation.", "The name"),
    "ods_code": Field("", "Enter an ODS code of 3 to 10 letters and numbers, like RX1.",
                      "The ODS code"),
    "dspt_category": Field("Choose the organisation's DSPT category.",
                           "Choose the organisation's DSPT category."),
    "ig_lead_name": Field("", "Enter the name in ordinary letters, numbers and punctuation.",
                          "The IG lead's name"),
    "ig_lead_email": Field("", EMAIL),
    "siro_name": Field("", "Enter the name in ordinary letters, numbers and punctuation.",
                       "The SIRO's name"),
    "siro_email": Field("", EMAIL),
    "address": Field("", "Enter the address in ordinary letters, numbers and punctuation.",
                     "The address"),
    "contact_details": Field("", "Enter the contact details in ordinary letters, numbers and "
                             "punctuation.", "The contact details"),
    "accessibility_statement": Field("", "Enter the statement in ordinary letters, numbers and "
                                     "punctuation.", "The accessibility statement"),
    "privacy_notice": Field("", "Enter the notice in ordinary letters, numbers and punctuation.",
                            "The privacy notice"),
    "review_assignment": Field("Choose how submitted questionnaires are assigned.",
                               "Choose how submitted questionnaires are assigned."),
    "review_team_email": Field("", EMAIL),
    "schedule_wording": Field("Choose the base text of generated data protection schedules.",
                              "Choose the base text of generated data protection schedules."),
}
REQUIRED = ("name", "dspt_category", "review_assignment", "schedule_wording")


def _typed(row: dict[str, Any]) -> dict[str, str]:
    return {k: str(row.get(k) if row.get(k) is not None else "") for k in FIELDS}


def _settings(request: Request, typed: dict[str, str], *, status_code: int = 200,
              errors: dict[str, str] | None = None) -> Template:
    return render(request, "staff/organisation_settings.html", status_code=status_code,
                  page_title="Change the organisation's settings", typed=typed,
                  errors=errors or {})


@get("/organisation/settings", opt=WRITE)
async def settings_page(request: Request) -> Template:
    return _settings(request, _typed(await get_organisation()))


@post("/organisation/settings", opt=WRITE, status_code=303)
async def save_settings(request: Request) -> Response:
    form = await auth.check_csrf(request)
    typed = text_values(form, FIELDS)
    # Every field is on the form, so a blank box clears it; the required ones may not be blank.
    errors = {name: SETTINGS_FIELDS[name].missing for name in REQUIRED if not typed[name]}
    values: dict[str, Any] = {k: v for k, v in typed.items() if k not in errors}
    if values.get("dspt_category") in ("1", "2", "3", "4"):
        values["dspt_category"] = int(values["dspt_category"])
    try:
        patch = OrganisationPatch.model_validate(values)
    except ValidationError as error:
        errors = {**field_errors(error, SETTINGS_FIELDS), **errors}
    if errors:
        ordered = {k: errors[k] for k in FIELDS if k in errors}
        return _settings(request, typed, status_code=400, errors=ordered)
    await update_organisation(patch)
    return Redirect("/staff/organisation?notice=settings", status_code=303)


HANDLERS = [settings_page, save_settings]
