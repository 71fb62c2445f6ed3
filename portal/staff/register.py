"""Register upkeep in the workspace: add, change and archive suppliers.

Thin, like the rest of the workspace: read the form as text, build the same schema the API
takes, call the one service function (which validates, audits and keeps the score current),
and on refusal show the form again with what was typed and each message beside its field.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template
from pydantic import ValidationError

from portal.certifications import service as certifications
from portal.certifications.schemas import CertificationCreate, CertificationPatch, Scheme
from portal.core.errors import Conflict, InvalidInput, Unprocessable
from portal.core.schemas import MAX_ID
from portal.staff import auth
from portal.staff.forms import (
    Field,
    date_parts,
    date_value,
    field_errors,
    text_values,
    yes_no,
)
from portal.staff.rendering import render
from portal.suppliers import service as suppliers
from portal.suppliers.schemas import (
    TRANSFER_MECHANISM_LABELS,
    ContactCreate,
    ContactPatch,
    ContractCreate,
    ContractPatch,
    DataRole,
    SupplierCreate,
    SupplierPatch,
    SupplierType,
    SystemAccess,
)

WRITE = {"permission": "register.write"}
Id = Annotated[int, Parameter(gt=0, le=MAX_ID)]

SUPPLIER_TYPES = (("it_system", "IT system (software or a hosted system)"),
                  ("it_service", "IT service (managed IT, support, hosting)"),
                  ("non_it", "Not IT (for example confidential waste, couriers, solicitors)"))
SUPPLIER_FLAGS = (("handles_personal_data", "Does the supplier handle personal data?"),
                  ("handles_patient_data", "Does the supplier handle patient data?"),
                  ("affects_care", "Would a failure of this supplier affect patient care?"))
SUPPLIER_TEXT = ("name", "legal_name", "supplier_key", "companies_house_number",
                 "ico_registration_number", "ods_code", "website", "supplier_type", "notes")
SUPPLIER_FIELDS = {
    "name": Field("Enter the supplier's name.",
                  "Enter the supplier's name in ordinary letters, numbers and punctuation.",
                  "The name"),
    "legal_name": Field("", "Enter the legal name in ordinary letters, numbers and punctuation.",
                        "The legal name"),
    "supplier_key": Field("", "The finance system key can only use letters, numbers and . _ : / -",
                          "The finance system key"),
    "companies_house_number": Field(
        "", "Enter a Companies House number of 8 digits, or 2 letters and 6 digits, like SC123456.",
        "The Companies House number"),
    "ico_registration_number": Field(
        "", "Enter an ICO registration number of 6 to 10 letters and numbers, like ZA123456.",
        "The ICO registration number"),
    "ods_code": Field("", "Enter an ODS code of 3 to 10 letters and numbers, like 8JK12.",
                      "The ODS code"),
    "website": Field("", "Enter the website as a full address, like https://www.example.co.uk.",
                     "The website"),
    "supplier_type": Field("Choose the type of supplier.", "Choose the type of supplier."),
    "handles_personal_data": Field("Select yes if the supplier handles personal data.",
                                   "Select yes if the supplier handles personal data."),
    "handles_patient_data": Field(
        "Select yes if the supplier handles patient data.",
        "A supplier that handles patient data handles personal data too: select yes for "
        "personal data, or no for patient data."),
    "affects_care": Field("Select yes if a failure of this supplier would affect patient care.",
                          "Select yes if a failure of this supplier would affect patient care."),
    "notes": Field("", "Enter the notes in ordinary letters, numbers and punctuation.",
                   "The notes"),
    "version": Field("", "Reload the page and make your change again."),
}
PATIENT_NEEDS_PERSONAL = (("patient data is personal data", "handles_patient_data"),)


def _supplier_values(form: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """What was typed (to show again) and the values for the schema."""
    typed = text_values(form, SUPPLIER_TEXT + tuple(f for f, _ in SUPPLIER_FLAGS) + ("version",))
    values: dict[str, Any] = {k: typed[k] for k in SUPPLIER_TEXT if typed[k]}
    if not typed["supplier_key"]:
        values["supplier_key"] = None
    if typed["version"]:
        values["version"] = typed["version"]
    for flag, _ in SUPPLIER_FLAGS:
        chosen = yes_no(typed[flag])
        if chosen is not None:
            values[flag] = chosen
    return typed, values


def _cross_field_errors(values: dict[str, Any]) -> dict[str, str]:
    """The rule between fields, checked here too: the schema only checks it once every field
    is valid, and the person should see every problem at once. The type of supplier is chosen
    explicitly on the page (its first option is "Choose a type"), not left to the default."""
    errors: dict[str, str] = {}
    if "supplier_type" not in values:
        errors["supplier_type"] = SUPPLIER_FIELDS["supplier_type"].missing
    if values.get("handles_patient_data") is True and values.get("handles_personal_data") is False:
        errors["handles_patient_data"] = SUPPLIER_FIELDS["handles_patient_data"].invalid
    return errors


def _supplier_form(request: Request, *, typed: dict[str, str], supplier: dict[str, Any] | None,
                   errors: dict[str, str] | None = None, status_code: int = 200,
                   conflict: str | None = None) -> Template:
    return render(request, "staff/supplier_form.html", status_code=status_code,
                  page_title="Change supplier details" if supplier else "Add a supplier",
                  s=supplier, typed=typed, errors=errors or {}, conflict=conflict,
                  supplier_types=SUPPLIER_TYPES, flags=SUPPLIER_FLAGS)


def _typed_from(supplier: dict[str, Any]) -> dict[str, str]:
    typed = {k: "" if supplier.get(k) is None else str(supplier[k]) for k in SUPPLIER_TEXT}
    for flag, _ in SUPPLIER_FLAGS:
        typed[flag] = "yes" if supplier[flag] else "no"
    typed["version"] = str(supplier["version"])
    return typed


@get("/suppliers/new", opt=WRITE)
async def new_supplier(request: Request) -> Template:
    return _supplier_form(request, typed={"supplier_type": ""}, supplier=None)


@post("/suppliers/new", opt=WRITE, status_code=303)
async def create_supplier(request: Request) -> Response:
    form = await auth.check_csrf(request)
    typed, values = _supplier_values(form)
    values.pop("version", None)
    errors = _cross_field_errors(values)
    try:
        data = SupplierCreate.model_validate(values)
    except ValidationError as error:
        errors = {**field_errors(error, SUPPLIER_FIELDS, PATIENT_NEEDS_PERSONAL), **errors}
    if errors:
        return _supplier_form(request, typed=typed, supplier=None, status_code=400,
                              errors=errors)
    try:
        created = await suppliers.create_supplier(data)
    except Conflict as error:  # the finance system key is taken
        return _supplier_form(request, typed=typed, supplier=None, status_code=409,
                              errors={"supplier_key": error.message})
    return Redirect(f"/staff/suppliers/{created['id']}?notice=added", status_code=303)


@get("/suppliers/{supplier_id:int}/edit", opt=WRITE)
async def edit_supplier(request: Request, supplier_id: Id) -> Template:
    supplier = await suppliers.get_active_supplier(supplier_id)
    return _supplier_form(request, typed=_typed_from(supplier), supplier=supplier)


@post("/suppliers/{supplier_id:int}/edit", opt=WRITE, status_code=303)
async def update_supplier(request: Request, supplier_id: Id) -> Response:
    form = await auth.check_csrf(request)
    supplier = await suppliers.get_active_supplier(supplier_id)
    typed, values = _supplier_values(form)
    # Every field of the form is sent, so a blank box clears the value it held.
    for name in SUPPLIER_TEXT:
        if name not in values and name not in ("name", "supplier_type"):
            values[name] = None if name == "supplier_key" else ""
    errors = _cross_field_errors(values)
    if not typed["version"]:
        errors["version"] = SUPPLIER_FIELDS["version"].invalid
    for flag, _ in SUPPLIER_FLAGS:
        if flag not in values:
            errors[flag] = SUPPLIER_FIELDS[flag].missing
    for name in ("name", "supplier_type"):
        if name not in values:
            errors[name] = SUPPLIER_FIELDS[name].missing
    try:
        patch = SupplierPatch.model_validate(values)
    except ValidationError as error:
        errors = {**field_errors(error, SUPPLIER_FIELDS, PATIENT_NEEDS_PERSONAL), **errors}
    if errors:
        return _supplier_form(request, typed=typed, supplier=supplier, status_code=400,
                              errors=errors)
    try:
        await suppliers.update_supplier(supplier_id, patch)
    except Conflict as error:
        if "someone else" not in error.message:  # the finance system key is taken
            return _supplier_form(request, typed=typed, supplier=supplier, status_code=409,
                                  errors={"supplier_key": error.message})
        return _supplier_form(
            request, typed=typed, supplier=supplier, status_code=409,
            conflict="Someone else changed this supplier while you were editing it, so your "
                     "changes were not saved. What you typed is below; open the latest version, "
                     "then make your changes again.")
    except InvalidInput as error:
        return _supplier_form(request, typed=typed, supplier=supplier, status_code=400,
                              errors={"name": error.message})
    return Redirect(f"/staff/suppliers/{supplier_id}?notice=changed", status_code=303)


@get("/suppliers/{supplier_id:int}/archive", opt=WRITE)
async def confirm_archive_supplier(request: Request, supplier_id: Id) -> Template:
    supplier = await suppliers.get_active_supplier(supplier_id)
    return render(request, "staff/archive_confirm.html", page_title=f"Archive {supplier['name']}",
                  heading=f"Archive {supplier['name']}?",
                  explanation="An archived supplier leaves the supplier list and cannot be sent "
                              "questionnaires. Its history, contracts and audit trail are kept.",
                  action=f"/staff/suppliers/{supplier_id}/archive", button="Archive supplier",
                  back=f"/staff/suppliers/{supplier_id}")


@post("/suppliers/{supplier_id:int}/archive", opt=WRITE, status_code=303)
async def archive_supplier(request: Request, supplier_id: Id) -> Response:
    form = await auth.check_csrf(request)
    if text_values(form, ("confirm",))["confirm"] != "archive":
        raise InvalidInput("Confirm the archive with the button on the confirmation page.")
    await suppliers.get_active_supplier(supplier_id)
    await suppliers.archive_supplier(supplier_id)
    return Redirect(f"/staff/suppliers/{supplier_id}?notice=archived", status_code=303)


# Contacts ----------------------------------------------------------------------------

CONTACT_TEXT = ("name", "email", "role", "phone")
CONTACT_FIELDS = {
    "name": Field("Enter the contact's name.",
                  "Enter the contact's name in ordinary letters, numbers and punctuation.",
                  "The name"),
    "email": Field("Enter the contact's email address.",
                   "Enter an email address in the correct format, like name@example.co.uk."),
    "role": Field("", "Enter the job title in ordinary letters, numbers and punctuation.",
                  "The job title"),
    "phone": Field("", "Enter the phone number in ordinary digits and spaces.",
                   "The phone number"),
    "version": Field("", "Reload the page and make your change again."),
}


def _contact_form(request: Request, *, supplier: dict[str, Any], contact: dict[str, Any] | None,
                  typed: dict[str, str], errors: dict[str, str] | None = None,
                  status_code: int = 200, conflict: str | None = None) -> Template:
    return render(request, "staff/contact_form.html", status_code=status_code,
                  page_title="Change a contact" if contact else "Add a contact", s=supplier,
                  contact=contact, typed=typed, errors=errors or {}, conflict=conflict)


def _contact_values(form: Any) -> tuple[dict[str, str], dict[str, Any]]:
    typed = text_values(form, CONTACT_TEXT + ("version",))
    values: dict[str, Any] = {k: typed[k] for k in CONTACT_TEXT if typed[k]}
    return typed, values


@get("/suppliers/{supplier_id:int}/contacts/new", opt=WRITE)
async def new_contact(request: Request, supplier_id: Id) -> Template:
    supplier = await suppliers.get_active_supplier(supplier_id)
    return _contact_form(request, supplier=supplier, contact=None, typed={})


@post("/suppliers/{supplier_id:int}/contacts/new", opt=WRITE, status_code=303)
async def create_contact(request: Request, supplier_id: Id) -> Response:
    form = await auth.check_csrf(request)
    supplier = await suppliers.get_active_supplier(supplier_id)
    typed, values = _contact_values(form)
    try:
        data = ContactCreate.model_validate(values)
    except ValidationError as error:
        return _contact_form(request, supplier=supplier, contact=None, typed=typed,
                             status_code=400, errors=field_errors(error, CONTACT_FIELDS))
    await suppliers.create_contact(supplier_id, data)
    return Redirect(f"/staff/suppliers/{supplier_id}?notice=contact_added#contacts",
                    status_code=303)


@get("/suppliers/{supplier_id:int}/contacts/{contact_id:int}/edit", opt=WRITE)
async def edit_contact(request: Request, supplier_id: Id, contact_id: Id) -> Template:
    supplier = await suppliers.get_active_supplier(supplier_id)
    contact = await suppliers.get_contact(supplier_id, contact_id)
    typed = {k: str(contact[k] or "") for k in CONTACT_TEXT} | {"version": str(contact["version"])}
    return _contact_form(request, supplier=supplier, contact=contact, typed=typed)


@post("/suppliers/{supplier_id:int}/contacts/{contact_id:int}/edit", opt=WRITE, status_code=303)
async def update_contact(request: Request, supplier_id: Id, contact_id: Id) -> Response:
    form = await auth.check_csrf(request)
    supplier = await suppliers.get_active_supplier(supplier_id)
    contact = await suppliers.get_contact(supplier_id, contact_id)
    typed, values = _contact_values(form)
    errors: dict[str, str] = {}
    for name in ("name", "email"):
        if name not in values:
            errors[name] = CONTACT_FIELDS[name].missing
    for name in ("role", "phone"):
        values.setdefault(name, "")
    if typed["version"]:
        values["version"] = typed["version"]
    else:
        errors["version"] = CONTACT_FIELDS["version"].invalid
    try:
        patch = ContactPatch.model_validate(values)
    except ValidationError as error:
        errors = {**field_errors(error, CONTACT_FIELDS), **errors}
    if errors:
        return _contact_form(request, supplier=supplier, contact=contact, typed=typed,
                             status_code=400, errors=errors)
    try:
        await suppliers.update_contact(supplier_id, contact_id, patch)
    except Conflict:
        return _contact_form(
            request, supplier=supplier, contact=contact, typed=typed, status_code=409,
            conflict="Someone else changed this contact while you were editing it, so your "
                     "changes were not saved. What you typed is below; open the latest version, "
                     "then make your changes again.")
    return Redirect(f"/staff/suppliers/{supplier_id}?notice=contact_changed#contacts",
                    status_code=303)


@get("/suppliers/{supplier_id:int}/contacts/{contact_id:int}/archive", opt=WRITE)
async def confirm_archive_contact(request: Request, supplier_id: Id, contact_id: Id) -> Template:
    await suppliers.get_active_supplier(supplier_id)
    contact = await suppliers.get_contact(supplier_id, contact_id)
    return render(request, "staff/archive_confirm.html", page_title=f"Archive {contact['name']}",
                  heading=f"Archive the contact {contact['name']}?",
                  explanation="An archived contact is no longer offered when sending a "
                              "questionnaire. Questionnaires already sent to them are kept.",
                  action=f"/staff/suppliers/{supplier_id}/contacts/{contact_id}/archive",
                  button="Archive contact", back=f"/staff/suppliers/{supplier_id}#contacts")


@post("/suppliers/{supplier_id:int}/contacts/{contact_id:int}/archive", opt=WRITE,
      status_code=303)
async def archive_contact(request: Request, supplier_id: Id, contact_id: Id) -> Response:
    form = await auth.check_csrf(request)
    if text_values(form, ("confirm",))["confirm"] != "archive":
        raise InvalidInput("Confirm the archive with the button on the confirmation page.")
    await suppliers.get_active_supplier(supplier_id)
    await suppliers.archive_contact(supplier_id, contact_id)
    return Redirect(f"/staff/suppliers/{supplier_id}?notice=contact_archived#contacts",
                    status_code=303)


# Contracts ---------------------------------------------------------------------------

DATA_ROLES = (("processor", "Processor: it handles data on our instructions"),
              ("controller", "Controller: it decides how the data is used"),
              ("joint_controller", "Joint controller: we decide together"),
              ("none", "None: it handles none of our data"))
SYSTEM_ACCESS = (("none", "None"), ("user", "Ordinary user accounts on our systems"),
                 ("remote", "Remote access (support sessions, VPN)"),
                 ("privileged", "Administrator or privileged rights"))
CONTRACT_FLAGS = (("personal_data", "Does the contract involve personal data?"),
                  ("patient_data", "Does it involve patient data?"),
                  ("special_category_data",
                   "Does it involve other special-category data (for example staff health, "
                   "ethnicity, union membership)?"),
                  ("supports_essential_function", "Does the service support an essential "
                                                  "function?"))
# Facts CAF A4.a needs (where data is held, transfers, access, connections): optional yes/no
# questions; left unanswered they stay as they were.
CONTRACT_ASSURANCE_FLAGS = (
    ("access_monitored", "Is the supplier's access to our systems restricted and monitored?"),
    ("third_party_connection", "Do the supplier's systems connect to our network?"),
    ("connection_assured", "Do we hold assurance that the connection meets our security "
                           "requirements?"))
TRANSFER_MECHANISMS = TRANSFER_MECHANISM_LABELS  # the words live with the values
CONTRACT_PARTICULARS = (
    ("processing_subject_matter", "Subject matter of the processing"),
    ("processing_nature_purpose", "Nature and purpose of the processing"),
    ("personal_data_types", "Types of personal data"),
    ("data_subject_categories", "Categories of data subjects"))
CONTRACT_DATES = (("start_date", "Start date"), ("end_date", "End date"),
                  ("notice_date", "Date notice must be given by (optional)"))
CONTRACT_TEXT = ("title", "reference", "products_services", "annual_value", "data_role",
                 "system_access", "data_locations", "transfer_mechanism", "tra_reference"
                 ) + tuple(f for f, _ in CONTRACT_PARTICULARS)
CONTRACT_FIELDS = {
    "title": Field("Enter the contract's title.",
                   "Enter the title in ordinary letters, numbers and punctuation.", "The title"),
    "reference": Field("", "Enter the reference in ordinary letters, numbers and punctuation.",
                       "The reference"),
    "products_services": Field("", "Put each product or service on its own line, at most 100 "
                                   "of them, each up to 200 characters."),
    "start_date": Field("Enter the start date.", "Enter a real start date, like 1 4 2026."),
    "end_date": Field("Enter the end date.", "Enter a real end date on or after the start date, "
                                             "like 31 3 2029."),
    "notice_date": Field("", "Enter a real notice date on or before the end date."),
    "annual_value": Field("", "Enter the annual value in pounds, like 12500 or 12500.50."),
    "data_role": Field("Choose the supplier's data role.", "Choose the supplier's data role."),
    "personal_data": Field("Select yes if the contract involves personal data.",
                           "Select yes if the contract involves personal data."),
    "patient_data": Field("Select yes if the contract involves patient data.",
                          "Patient data is personal data too: select yes for personal data, "
                          "or no for patient data."),
    "system_access": Field("Choose the supplier's access to our systems.",
                           "Choose the supplier's access to our systems."),
    "supports_essential_function": Field(
        "Select yes if the service supports an essential function.",
        "Select yes if the service supports an essential function."),
    "special_category_data": Field("Select yes if it involves other special-category data.",
                                   "Select yes if it involves other special-category data."),
    "data_locations": Field("", "Enter the countries in ordinary letters, up to 300 characters."),
    "transfer_mechanism": Field("", "Choose how our data is protected if it leaves the UK."),
    "tra_reference": Field("", "Enter the reference in ordinary letters and numbers, up to 100 "
                               "characters."),
    **{field: Field("", f"Enter the {label.lower()} in ordinary text, up to 10,000 characters.")
       for field, label in CONTRACT_PARTICULARS},
    **{field: Field("", "Select yes or no.") for field, _ in CONTRACT_ASSURANCE_FLAGS},
    "version": Field("", "Reload the page and make your change again."),
}
CONTRACT_RULES = (("end_date must be", "end_date"), ("notice_date must", "notice_date"),
                  ("patient data is personal data", "patient_data"))


def _contract_values(form: Any) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """What was typed, the values for the schema, and the errors found reading the boxes."""
    assurance = tuple(f for f, _ in CONTRACT_ASSURANCE_FLAGS)
    typed = text_values(form, CONTRACT_TEXT + tuple(f for f, _ in CONTRACT_FLAGS) + assurance
                        + ("version",))
    errors: dict[str, str] = {}
    values: dict[str, Any] = {k: typed[k] for k in ("title", "reference", "data_role",
                                                    "system_access", "transfer_mechanism")
                              if typed[k]}
    # Free text may be cleared: sent empty, it is stored empty.
    values.update({k: typed[k] for k in ("data_locations", "tra_reference")
                   + tuple(f for f, _ in CONTRACT_PARTICULARS) if k in form})
    for flag in assurance:
        if typed[flag]:
            chosen = yes_no(typed[flag])
            if chosen is None:
                errors[flag] = CONTRACT_FIELDS[flag].invalid
            else:
                values[flag] = chosen
    values["products_services"] = [line.strip() for line in
                                   typed["products_services"].splitlines() if line.strip()]
    if typed["annual_value"]:
        values["annual_value"] = typed["annual_value"].replace(",", "").removeprefix("£")
    for flag, _ in CONTRACT_FLAGS:
        chosen = yes_no(typed[flag])
        if chosen is None:
            errors[flag] = CONTRACT_FIELDS[flag].missing
        else:
            values[flag] = chosen
    for field, _ in CONTRACT_DATES:
        parts = date_parts(form, field)
        typed.update(parts)
        iso, ok = date_value(parts, field)
        if not ok:
            errors[field] = CONTRACT_FIELDS[field].invalid
        elif iso:
            values[field] = iso
        elif field != "notice_date":
            errors[field] = CONTRACT_FIELDS[field].missing
    for field in ("data_role", "system_access"):
        if field not in values:
            errors[field] = CONTRACT_FIELDS[field].missing
    if "title" not in values:
        errors["title"] = CONTRACT_FIELDS["title"].missing
    start, end, notice = (values.get(f) for f in ("start_date", "end_date", "notice_date"))
    if start and end and end < start:
        errors.setdefault("end_date", CONTRACT_FIELDS["end_date"].invalid)
    if notice and end and notice > end:
        errors.setdefault("notice_date", CONTRACT_FIELDS["notice_date"].invalid)
    if values.get("patient_data") is True and values.get("personal_data") is False:
        errors["patient_data"] = CONTRACT_FIELDS["patient_data"].invalid
    if typed["version"]:
        values["version"] = typed["version"]
    return typed, values, errors


def _contract_form(request: Request, *, supplier: dict[str, Any],
                   contract: dict[str, Any] | None, typed: dict[str, str],
                   errors: dict[str, str] | None = None, status_code: int = 200,
                   conflict: str | None = None) -> Template:
    return render(request, "staff/contract_form.html", status_code=status_code,
                  page_title="Change a contract" if contract else "Add a contract", s=supplier,
                  c=contract, typed=typed, errors=errors or {}, conflict=conflict,
                  data_roles=DATA_ROLES, system_access=SYSTEM_ACCESS, flags=CONTRACT_FLAGS,
                  dates=CONTRACT_DATES, transfer_mechanisms=TRANSFER_MECHANISMS,
                  particulars=CONTRACT_PARTICULARS, assurance_flags=CONTRACT_ASSURANCE_FLAGS)


def _typed_contract(contract: dict[str, Any]) -> dict[str, str]:
    typed = {"title": contract["title"], "reference": contract["reference"],
             "products_services": "\n".join(contract["products_services"]),
             "annual_value": "" if contract["annual_value"] is None else str(
                 contract["annual_value"]),
             "data_role": contract["data_role"], "system_access": contract["system_access"],
             "data_locations": contract["data_locations"],
             "transfer_mechanism": contract["transfer_mechanism"],
             "tra_reference": contract["tra_reference"],
             **{field: contract[field] for field, _ in CONTRACT_PARTICULARS},
             "version": str(contract["version"])}
    for flag, _ in CONTRACT_FLAGS + CONTRACT_ASSURANCE_FLAGS:
        typed[flag] = "yes" if contract[flag] else "no"
    for field, _ in CONTRACT_DATES:
        day = contract[field]
        if day:
            typed.update({f"{field}-day": str(day.day), f"{field}-month": str(day.month),
                          f"{field}-year": str(day.year)})
    return typed


async def _active_contract(contract_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    contract = await suppliers.get_contract(contract_id)
    if contract["archived_at"] is not None:
        raise Unprocessable("This contract is archived.")
    return contract, await suppliers.get_active_supplier(contract["supplier"])


@get("/suppliers/{supplier_id:int}/contracts/new", opt=WRITE)
async def new_contract(request: Request, supplier_id: Id) -> Template:
    supplier = await suppliers.get_active_supplier(supplier_id)
    return _contract_form(request, supplier=supplier, contract=None, typed={})


@post("/suppliers/{supplier_id:int}/contracts/new", opt=WRITE, status_code=303)
async def create_contract(request: Request, supplier_id: Id) -> Response:
    form = await auth.check_csrf(request)
    supplier = await suppliers.get_active_supplier(supplier_id)
    typed, values, errors = _contract_values(form)
    values.pop("version", None)
    try:
        data = ContractCreate.model_validate({**values, "supplier_id": supplier_id})
    except ValidationError as error:
        errors = {**field_errors(error, CONTRACT_FIELDS, CONTRACT_RULES), **errors}
    if errors:
        return _contract_form(request, supplier=supplier, contract=None, typed=typed,
                              status_code=400, errors=errors)
    created = await suppliers.create_contract(data)
    return Redirect(f"/staff/contracts/{created['id']}?notice=added", status_code=303)


@get("/contracts/{contract_id:int}/edit", opt=WRITE)
async def edit_contract(request: Request, contract_id: Id) -> Template:
    contract, supplier = await _active_contract(contract_id)
    return _contract_form(request, supplier=supplier, contract=contract,
                          typed=_typed_contract(contract))


@post("/contracts/{contract_id:int}/edit", opt=WRITE, status_code=303)
async def update_contract(request: Request, contract_id: Id) -> Response:
    form = await auth.check_csrf(request)
    contract, supplier = await _active_contract(contract_id)
    typed, values, errors = _contract_values(form)
    values.setdefault("notice_date", None)
    values.setdefault("annual_value", None)
    values.setdefault("reference", "")
    if "version" not in values:
        errors["version"] = CONTRACT_FIELDS["version"].invalid
    try:
        patch = ContractPatch.model_validate(values)
    except ValidationError as error:
        errors = {**field_errors(error, CONTRACT_FIELDS, CONTRACT_RULES), **errors}
    if errors:
        return _contract_form(request, supplier=supplier, contract=contract, typed=typed,
                              status_code=400, errors=errors)
    try:
        await suppliers.update_contract(contract_id, patch)
    except Conflict:
        return _contract_form(
            request, supplier=supplier, contract=contract, typed=typed, status_code=409,
            conflict="Someone else changed this contract while you were editing it, so your "
                     "changes were not saved. What you typed is below; open the latest version, "
                     "then make your changes again.")
    return Redirect(f"/staff/contracts/{contract_id}?notice=changed", status_code=303)


@get("/contracts/{contract_id:int}/archive", opt=WRITE)
async def confirm_archive_contract(request: Request, contract_id: Id) -> Template:
    contract, _ = await _active_contract(contract_id)
    return render(request, "staff/archive_confirm.html", page_title=f"Archive {contract['title']}",
                  heading=f"Archive the contract {contract['title']}?",
                  explanation="An archived contract no longer counts towards the supplier's tier "
                              "or clause gaps. Its documents and audit trail are kept.",
                  action=f"/staff/contracts/{contract_id}/archive", button="Archive contract",
                  back=f"/staff/contracts/{contract_id}")


@post("/contracts/{contract_id:int}/archive", opt=WRITE, status_code=303)
async def archive_contract(request: Request, contract_id: Id) -> Response:
    form = await auth.check_csrf(request)
    if text_values(form, ("confirm",))["confirm"] != "archive":
        raise InvalidInput("Confirm the archive with the button on the confirmation page.")
    contract, _ = await _active_contract(contract_id)
    await suppliers.archive_contract(contract_id)
    return Redirect(f"/staff/suppliers/{contract['supplier']}?notice=contract_archived",
                    status_code=303)


# Certifications ----------------------------------------------------------------------

CERT = {"permission": "certifications.write"}
SCHEMES = (("cyber_essentials", "Cyber Essentials"), ("cyber_essentials_plus",
                                                      "Cyber Essentials Plus"),
           ("iso27001", "ISO/IEC 27001"), ("dspt", "Data Security and Protection Toolkit (DSPT)"),
           ("other", "Other"))
CERT_TEXT = ("status", "scheme_name", "certificate_number", "edition", "certification_body",
             "accreditation_body", "legal_entity", "scope", "notes")
CERT_DATES = (("issued_on", "Issued on (optional)"), ("expires_on",
                                                      "Expires on (optional, if stated)"))
CERT_FIELDS = {
    "scheme": Field("Choose a scheme.", "Choose a scheme."),
    "status": Field("", "Enter the DSPT status in ordinary letters, numbers and punctuation.",
                    "The status"),
    "scheme_name": Field("Enter the scheme's name, for example BS EN 15713.",
                         "Enter the scheme's name in ordinary letters, numbers and punctuation.",
                         "The scheme name"),
    "certificate_number": Field("", "Enter the certificate number in ordinary letters and "
                                    "numbers.", "The certificate number"),
    "edition": Field("", "Enter the edition, for example 2022.", "The edition"),
    "certification_body": Field("", "Enter the certification body in ordinary letters, numbers "
                                    "and punctuation.", "The certification body"),
    "accreditation_body": Field("", "Enter the accreditation body, for example UKAS.",
                                "The accreditation body"),
    "legal_entity": Field("", "Enter the legal entity in ordinary letters, numbers and "
                              "punctuation.", "The legal entity"),
    "scope": Field("", "Enter the scope in ordinary letters, numbers and punctuation.",
                   "The scope statement"),
    "issued_on": Field("", "Enter a real date of issue, like 1 4 2026."),
    "expires_on": Field("", "Enter a real expiry date on or after the date of issue."),
    "notes": Field("", "Enter the notes in ordinary letters, numbers and punctuation.",
                   "The notes"),
    "version": Field("", "Reload the page and make your change again."),
}
CERT_RULES = (("expires_on must be", "expires_on"), ("scheme_name", "scheme_name"))


def _cert_values(form: Any, *, scheme: str | None) -> tuple[dict[str, str], dict[str, Any],
                                                               dict[str, str]]:
    typed = text_values(form, CERT_TEXT + ("scheme", "version"))
    if scheme is not None:
        typed["scheme"] = scheme
    values: dict[str, Any] = {k: typed[k] for k in CERT_TEXT}
    errors: dict[str, str] = {}
    if typed["scheme"] not in {s for s, _ in SCHEMES}:
        errors["scheme"] = CERT_FIELDS["scheme"].missing
    elif typed["scheme"] == "other" and not typed["scheme_name"]:
        errors["scheme_name"] = CERT_FIELDS["scheme_name"].missing
    for field, _ in CERT_DATES:
        parts = date_parts(form, field)
        typed.update(parts)
        iso, ok = date_value(parts, field)
        if not ok:
            errors[field] = CERT_FIELDS[field].invalid
        values[field] = iso
    if values["issued_on"] and values["expires_on"] and values["expires_on"] < values["issued_on"]:
        errors.setdefault("expires_on", CERT_FIELDS["expires_on"].invalid)
    if typed["version"]:
        values["version"] = typed["version"]
    return typed, values, errors


def _cert_form(request: Request, *, supplier: dict[str, Any], cert: dict[str, Any] | None,
               typed: dict[str, str], errors: dict[str, str] | None = None,
               status_code: int = 200, conflict: str | None = None) -> Template:
    return render(request, "staff/certification_form.html", status_code=status_code,
                  page_title="Change a certification" if cert else "Add a certification",
                  s=supplier, cert=cert, typed=typed, errors=errors or {}, conflict=conflict,
                  schemes=SCHEMES, dates=CERT_DATES,
                  scheme_words=dict(SCHEMES).get(typed.get("scheme", ""), ""))


async def _active_cert(certification_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    cert = await certifications.get_certification(certification_id)
    if cert["archived_at"] is not None:
        raise Unprocessable("This certification has been withdrawn.")
    return cert, await suppliers.get_active_supplier(cert["supplier"])


@get("/suppliers/{supplier_id:int}/certifications/new", opt=CERT)
async def new_certification(request: Request, supplier_id: Id) -> Template:
    supplier = await suppliers.get_active_supplier(supplier_id)
    return _cert_form(request, supplier=supplier, cert=None, typed={})


@post("/suppliers/{supplier_id:int}/certifications", opt=CERT, status_code=303)
async def add_certification(request: Request, supplier_id: Id) -> Response:
    form = await auth.check_csrf(request)
    supplier = await suppliers.get_active_supplier(supplier_id)
    typed, values, errors = _cert_values(form, scheme=None)
    values.pop("version", None)
    try:
        data = CertificationCreate.model_validate(
            {**values, "scheme": typed["scheme"], "supplier_id": supplier_id})
    except ValidationError as error:
        errors = {**field_errors(error, CERT_FIELDS, CERT_RULES), **errors}
    if errors:
        return _cert_form(request, supplier=supplier, cert=None, typed=typed, status_code=400,
                          errors=errors)
    await certifications.create_certification(data)
    return Redirect(f"/staff/suppliers/{supplier_id}?notice=certification", status_code=303)


def _typed_cert(cert: dict[str, Any]) -> dict[str, str]:
    typed = {k: str(cert[k] or "") for k in CERT_TEXT} | {"scheme": cert["scheme"],
                                                          "version": str(cert["version"])}
    for field, _ in CERT_DATES:
        if cert[field]:
            typed.update({f"{field}-day": str(cert[field].day),
                          f"{field}-month": str(cert[field].month),
                          f"{field}-year": str(cert[field].year)})
    return typed


@get("/certifications/{certification_id:int}/edit", opt=CERT)
async def edit_certification(request: Request, certification_id: Id) -> Template:
    cert, supplier = await _active_cert(certification_id)
    return _cert_form(request, supplier=supplier, cert=cert, typed=_typed_cert(cert))


@post("/certifications/{certification_id:int}/edit", opt=CERT, status_code=303)
async def update_certification(request: Request, certification_id: Id) -> Response:
    form = await auth.check_csrf(request)
    cert, supplier = await _active_cert(certification_id)
    typed, values, errors = _cert_values(form, scheme=cert["scheme"])
    if "version" not in values:
        errors["version"] = CERT_FIELDS["version"].invalid
    try:
        patch = CertificationPatch.model_validate(values)
    except ValidationError as error:
        errors = {**field_errors(error, CERT_FIELDS, CERT_RULES), **errors}
    if errors:
        return _cert_form(request, supplier=supplier, cert=cert, typed=typed, status_code=400,
                          errors=errors)
    try:
        await certifications.update_certification(certification_id, patch)
    except Conflict:
        return _cert_form(
            request, supplier=supplier, cert=cert, typed=typed, status_code=409,
            conflict="Someone else changed this certification while you were editing it, so "
                     "your changes were not saved. What you typed is below; open the latest "
                     "version, then make your changes again.")
    return Redirect(f"/staff/suppliers/{supplier['id']}?notice=certification_changed",
                    status_code=303)


@get("/certifications/{certification_id:int}/withdraw", opt=CERT)
async def confirm_withdraw_certification(request: Request, certification_id: Id) -> Template:
    cert, supplier = await _active_cert(certification_id)
    words = cert["scheme_name"] or dict(SCHEMES)[cert["scheme"]]
    return render(request, "staff/archive_confirm.html", page_title=f"Withdraw {words}",
                  heading=f"Withdraw the {words} certification?",
                  explanation="A withdrawn certification no longer counts towards the supplier's "
                              "score. It stays in the audit trail.",
                  action=f"/staff/certifications/{certification_id}/withdraw",
                  button="Withdraw certification", back=f"/staff/suppliers/{supplier['id']}")


@post("/certifications/{certification_id:int}/withdraw", opt=CERT, status_code=303)
async def withdraw_certification(request: Request, certification_id: Id) -> Response:
    form = await auth.check_csrf(request)
    if text_values(form, ("confirm",))["confirm"] != "archive":
        raise InvalidInput("Confirm with the button on the confirmation page.")
    _, supplier = await _active_cert(certification_id)
    await certifications.archive_certification(certification_id)
    return Redirect(f"/staff/suppliers/{supplier['id']}?notice=certification_withdrawn",
                    status_code=303)


# Risks, disputes and incidents -------------------------------------------------------

RISK = {"permission": "risks.write"}
SEVERITIES = (("low", "Low"), ("medium", "Medium"), ("high", "High"))
RISK_STATUSES = (("open", "Open"), ("mitigated", "Mitigated: the mitigation is in place"),
                 ("closed", "Closed"))
RISK_TEXT = ("title", "description", "severity", "data_security_risk", "owner", "mitigation",
             "status")
RISK_FIELDS = {
    "title": Field("Enter a title.", "Enter the title in ordinary letters, numbers and "
                                     "punctuation.", "The title"),
    "description": Field("", "Enter the description in ordinary letters, numbers and "
                             "punctuation.", "The description"),
    "severity": Field("Choose the severity.", "Choose the severity."),
    "data_security_risk": Field("", "Enter the data security risk in ordinary letters, numbers "
                                    "and punctuation.", "The data security risk"),
    "owner": Field("", "Enter the owner in ordinary letters, numbers and punctuation.",
                   "The owner"),
    "mitigation": Field("", "Enter the mitigation in ordinary letters, numbers and "
                            "punctuation.", "The mitigation"),
    "status": Field("Choose the status.", "Choose the status."),
    "version": Field("", "Reload the page and make your change again."),
}
RISK_CONFLICT = ("Someone else changed this risk while you were working on it, so your changes "
                 "were not saved. Open the latest version, then make your changes again.")


async def _risk(risk_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    from models.tables import Risk
    from portal.core import records

    risk = await records.get_row(Risk, risk_id, what="risk")
    return risk, await suppliers.get_active_supplier(risk["supplier"])


def _risk_form(request: Request, *, supplier: dict[str, Any], risk: dict[str, Any],
               typed: dict[str, str], errors: dict[str, str] | None = None,
               status_code: int = 200, conflict: str | None = None) -> Template:
    return render(request, "staff/risk_form.html", status_code=status_code,
                  page_title=f"Change the {risk['kind']}", s=supplier, r=risk, typed=typed,
                  errors=errors or {}, conflict=conflict, severities=SEVERITIES,
                  statuses=RISK_STATUSES)


@get("/risks/{risk_id:int}/edit", opt=RISK)
async def edit_risk(request: Request, risk_id: Id) -> Template:
    risk, supplier = await _risk(risk_id)
    typed = {k: str(risk[k] or "") for k in RISK_TEXT} | {"version": str(risk["version"])}
    return _risk_form(request, supplier=supplier, risk=risk, typed=typed)


@post("/risks/{risk_id:int}/edit", opt=RISK, status_code=303)
async def update_risk(request: Request, risk_id: Id) -> Response:
    from portal.risks import api as risks

    form = await auth.check_csrf(request)
    risk, supplier = await _risk(risk_id)
    typed = text_values(form, RISK_TEXT + ("version",))
    values: dict[str, Any] = {k: typed[k] for k in RISK_TEXT}
    errors: dict[str, str] = {}
    for name in ("title", "severity", "status"):
        if not values[name]:
            errors[name] = RISK_FIELDS[name].missing
            values.pop(name)
    if typed["version"]:
        values["version"] = typed["version"]
    else:
        errors["version"] = RISK_FIELDS["version"].invalid
    try:
        patch = risks.RiskPatch.model_validate(values)
    except ValidationError as error:
        errors = {**field_errors(error, RISK_FIELDS), **errors}
    if errors:
        return _risk_form(request, supplier=supplier, risk=risk, typed=typed, status_code=400,
                          errors=errors)
    try:
        await risks.update_risk(risk_id, patch)
    except Conflict:
        return _risk_form(request, supplier=supplier, risk=risk, typed=typed, status_code=409,
                          conflict=RISK_CONFLICT)
    return Redirect(f"/staff/suppliers/{supplier['id']}?notice=risk_changed#risks",
                    status_code=303)


@get("/risks/{risk_id:int}/close", opt=RISK)
async def confirm_close_risk(request: Request, risk_id: Id) -> Template:
    risk, supplier = await _risk(risk_id)
    return render(request, "staff/risk_close.html", page_title=f"Close {risk['title']}", r=risk,
                  s=supplier)


@post("/risks/{risk_id:int}/close", opt=RISK, status_code=303)
async def close_risk(request: Request, risk_id: Id) -> Response:
    from portal.risks import api as risks

    form = await auth.check_csrf(request)
    typed = text_values(form, ("confirm", "version"))
    if typed["confirm"] != "close":
        raise InvalidInput("Confirm with the button on the confirmation page.")
    risk, supplier = await _risk(risk_id)
    try:
        patch = risks.RiskPatch.model_validate({"status": "closed", "version": typed["version"]})
    except ValidationError:
        raise InvalidInput("Reload the page and close the risk again.") from None
    try:
        await risks.update_risk(risk_id, patch)
    except Conflict:
        return render(request, "staff/risk_close.html", status_code=409, page_title="Close",
                      r=risk, s=supplier, conflict=RISK_CONFLICT)
    return Redirect(f"/staff/suppliers/{supplier['id']}?notice=risk_closed#risks",
                    status_code=303)


HANDLERS = [new_supplier, create_supplier, edit_supplier, update_supplier,
            confirm_archive_supplier, archive_supplier,
            new_contact, create_contact, edit_contact, update_contact, confirm_archive_contact,
            archive_contact,
            new_contract, create_contract, edit_contract, update_contract,
            confirm_archive_contract, archive_contract,
            new_certification, add_certification, edit_certification, update_certification,
            confirm_withdraw_certification, withdraw_certification,
            edit_risk, update_risk, confirm_close_risk, close_risk]
assert {s for s, _ in SCHEMES} == {s.value for s in Scheme}
assert {r for r, _ in DATA_ROLES} == {r.value for r in DataRole}
assert {a for a, _ in SYSTEM_ACCESS} == {a.value for a in SystemAccess}
assert {t for t, _ in SUPPLIER_TYPES} == {t.value for t in SupplierType}
