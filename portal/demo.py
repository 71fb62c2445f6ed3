"""Demo organisation and synthetic data: `portal demo` (idempotent) and `portal seed`."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import secrets
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from piccolo.apps.user.tables import BaseUser
from piccolo.engine.postgres import PostgresEngine

from models.tables import Assessment, Certification, Contract, Organisation, StaffMember, Supplier
from portal.certifications import service as certifications
from portal.certifications.schemas import CertificationCreate, Scheme
from portal.core import audit, dates, staff
from portal.core.db import engine, insert_many, write_transaction
from portal.core.permissions import needs_mfa
from portal.staff.auth import seal
from portal.suppliers import service as suppliers
from portal.suppliers.schemas import (
    ContactCreate,
    ContractCreate,
    DataRole,
    SubProcessorCreate,
    SupplierCreate,
    SupplierType,
)

DEMO_ORGANISATION = dict(
    name="Riverside Community Health NHS Trust (demo)",
    ods_code="RZZ",  # fictitious: no real trust has this code
    dspt_category=1,
    ig_lead_name="Priya Shah",
    ig_lead_email="ig.lead@riverside-demo.nhs.uk",
    siro_name="Dr Martin Hughes",
    siro_email="siro@riverside-demo.nhs.uk",
    address="1 River Road, Riverside, RV1 1AA",
)

DEMO_ROLES = ("admin", "procurement", "reviewer", "auditor")


@dataclass
class DemoSupplier:
    key: str
    name: str
    legal_name: str
    contract: str
    products: list[str]
    personal: bool = True
    patient: bool = False
    care: bool = False
    role: DataRole = DataRole.processor
    ods: str = ""
    contact: tuple[str, str, str] = ("", "", "Data protection officer")
    # (scheme, status, issued days ago, expires in days or None, edition)
    certs: list[tuple[Scheme, str, int, int | None, str]] = field(default_factory=list)
    ends_in_days: int = 700
    value: int = 50_000


def _suppliers() -> list[DemoSupplier]:
    ce, ce_plus, iso, dspt = (Scheme.cyber_essentials, Scheme.cyber_essentials_plus,
                              Scheme.iso27001, Scheme.dspt)
    s = DemoSupplier
    return [
        s("DEMO-01", "Meridian Health Records", "Meridian Health Records Ltd",
          "Electronic patient record system", ["Meridian EPR", "EPR hosting and support"],
          patient=True, care=True, ods="8JD12",
          contact=("Helen Carter", "dpo@meridian-demo.co.uk", "Data protection officer"),
          certs=[(dspt, "24/25 Standards Exceeded", 200, None, ""),
                 (ce_plus, "", 100, None, ""), (iso, "", 400, 700, "2022")],
          ends_in_days=1400, value=1_250_000),
        s("DEMO-02", "Pathlink Diagnostics Systems", "Pathlink Diagnostics Systems Ltd",
          "Laboratory information management system", ["Pathlink LIMS", "Order comms"],
          patient=True, care=True, ods="8KF45",
          contact=("Graham Okafor", "compliance@pathlink-demo.co.uk", "Head of compliance"),
          certs=[(dspt, "24/25 Standards Met", 220, None, ""),
                 (iso, "", 900, 200, "2013")], ends_in_days=75, value=310_000),
        s("DEMO-03", "Northgate Cloud Hosting", "Northgate Cloud Services plc",
          "Infrastructure hosting", ["Private cloud hosting", "Managed backup"], patient=True,
          contact=("Amira Haddad", "security@northgate-demo.co.uk", "CISO"),
          certs=[(iso, "", 300, 795, "2022"), (ce_plus, "", 30, None, ""),
                 (dspt, "24/25 Standards Met", 180, None, "")], value=420_000),
        s("DEMO-04", "Ledger Payroll Bureau", "Ledger Payroll Bureau Ltd",
          "Payroll bureau service", ["Payroll processing", "Payslip portal"],
          contact=("Tom Whitfield", "privacy@ledger-demo.co.uk", "Privacy lead"),
          certs=[(ce, "", 400, None, "")], ends_in_days=45, value=95_000),
        s("DEMO-05", "SecureShred Confidential Waste", "SecureShred UK Ltd",
          "Confidential waste collection and destruction", ["On-site shredding", "Certificates of destruction"],
          patient=True, contact=("Karen Doyle", "karen.doyle@secureshred-demo.co.uk", "Account manager"),
          certs=[(ce, "", 60, None, "")], value=28_000),
        s("DEMO-06", "CareCall Telehealth", "CareCall Digital Health Ltd",
          "Remote consultation app", ["CareCall video consultations", "Patient app"],
          patient=True, care=True, ods="8HX71",
          contact=("Dr Sam Patel", "cso@carecall-demo.co.uk", "Clinical safety officer"),
          certs=[(dspt, "23/24 Standards Met", 560, None, ""), (ce, "", 200, None, "")],
          ends_in_days=25, value=140_000),
        s("DEMO-07", "Brightway Cleaning Services", "Brightway Facilities Ltd",
          "Ward and office cleaning", ["Cleaning services"], personal=False,
          role=DataRole.none, contact=("Lee Morgan", "contracts@brightway-demo.co.uk", "Contracts manager"),
          certs=[], value=600_000),
        s("DEMO-08", "Imaging Partners PACS", "Imaging Partners Ltd",
          "Picture archiving and communication system", ["PACS", "Radiology reporting"],
          patient=True, care=True, ods="8AB33",
          contact=("Ruth Ellis", "ig@imagingpartners-demo.co.uk", "IG manager"),
          certs=[(dspt, "24/25 Approaching Standards", 150, None, ""), (ce_plus, "", 250, None, "")],
          value=520_000),
        s("DEMO-09", "RotaMaster Workforce", "RotaMaster Software Ltd",
          "E-rostering", ["RotaMaster e-rostering"],
          contact=("Nia Roberts", "dpo@rotamaster-demo.co.uk", "Data protection officer"),
          certs=[(ce, "", 90, None, ""), (iso, "", 500, 595, "2022")], value=88_000),
        s("DEMO-10", "PharmaTrack Medicines", "PharmaTrack Ltd",
          "Electronic prescribing and medicines administration", ["ePMA"],
          patient=True, care=True, ods="8QP10",
          contact=("Oliver Grant", "safety@pharmatrack-demo.co.uk", "Clinical safety officer"),
          certs=[(dspt, "24/25 Standards Met", 160, None, ""), (iso, "", 100, 995, "2022")],
          value=390_000),
        s("DEMO-11", "Courier Link Logistics", "Courier Link Ltd",
          "Specimen and records transport", ["Specimen courier", "Health records transport"],
          patient=True, contact=("Jo Bennett", "ops@courierlink-demo.co.uk", "Operations director"),
          certs=[], ends_in_days=55, value=60_000),
        s("DEMO-12", "Horizon Transcription", "Horizon Dictation Services Ltd",
          "Digital dictation and transcription", ["Digital dictation", "Outsourced typing"],
          patient=True, contact=("Claire Wong", "dpo@horizon-demo.co.uk", "Data protection officer"),
          certs=[(ce, "", 300, None, "")], value=75_000),
        s("DEMO-13", "ClearView Patient Portal", "ClearView Health Technologies Ltd",
          "Patient engagement portal", ["Appointments portal", "Patient letters online"],
          patient=True, care=True, ods="8CV22",
          contact=("Ben Ahmed", "privacy@clearview-demo.co.uk", "Privacy officer"),
          certs=[(dspt, "24/25 Standards Met", 120, None, ""), (ce_plus, "", 340, None, "")],
          value=160_000),
        s("DEMO-14", "DataSafe Backup", "DataSafe Backup Ltd", "Offsite backup",
          ["Immutable backup service"], patient=True,
          contact=("Fiona Reid", "fiona.reid@datasafe-demo.co.uk", "Service manager"),
          certs=[(iso, "", 200, 895, "2022")], value=110_000),
        s("DEMO-15", "Estates FM Maintenance", "Estates FM Ltd", "Building maintenance",
          ["Planned maintenance"], personal=False, role=DataRole.none,
          contact=("Ian Price", "helpdesk@estatesfm-demo.co.uk", "Helpdesk"), value=230_000),
        s("DEMO-16", "NetConnect Networks", "NetConnect Communications Ltd",
          "Wide area network", ["WAN", "Internet breakout"], personal=False, role=DataRole.none,
          contact=("Priti Nair", "noc@netconnect-demo.co.uk", "Network operations"),
          certs=[(ce_plus, "", 150, None, ""), (iso, "", 100, 995, "2022")], value=300_000),
        s("DEMO-17", "Learning Hub", "Learning Hub Online Ltd", "Staff e-learning platform",
          ["Mandatory training platform"],
          contact=("Ava Clarke", "dpo@learninghub-demo.co.uk", "Data protection officer"),
          certs=[(ce, "", 20, None, "")], value=35_000),
        s("DEMO-18", "Fresh Plate Catering", "Fresh Plate Catering Ltd", "Patient and staff catering",
          ["Catering"], personal=False, role=DataRole.none,
          contact=("Mo Hussain", "accounts@freshplate-demo.co.uk", "Accounts"), value=410_000),
        s("DEMO-19", "WorkWell Occupational Health", "WorkWell OH Services Ltd",
          "Occupational health service", ["OH assessments", "Vaccination programme"],
          patient=True, contact=("Dr Lucy Grey", "lucy.grey@workwell-demo.co.uk", "Clinical lead"),
          certs=[(dspt, "24/25 Standards Met", 140, None, ""), (ce, "", 330, None, "")],
          ods="8WW01", ends_in_days=85, value=130_000),
        s("DEMO-20", "LanguageLine Interpreting", "Lingua Health Interpreting Ltd",
          "Interpreting and translation", ["Telephone interpreting", "Document translation"],
          patient=True, contact=("Marta Nowak", "dpo@lingua-demo.co.uk", "Data protection officer"),
          certs=[(ce, "", 380, None, "")], value=70_000),
        s("DEMO-21", "Switchboard Telecoms", "Switchboard Telecoms Ltd",
          "Telephony and call recording", ["Hosted telephony", "Call recording"],
          contact=("Gary Holt", "gary.holt@switchboard-demo.co.uk", "Account director"),
          certs=[(ce, "", 100, None, "")], value=150_000),
        s("DEMO-22", "Print & Post Hybrid Mail", "PrintPost Hybrid Mail Ltd",
          "Hybrid mail for patient letters", ["Letter printing", "Postal dispatch"], patient=True,
          contact=("Sophie Lang", "compliance@printpost-demo.co.uk", "Compliance manager"),
          certs=[(iso, "", 1000, 95, "2022"), (ce, "", 340, None, "")], value=90_000),
        s("DEMO-23", "FlowBoard Bed Management", "FlowBoard Analytics Ltd",
          "Patient flow and bed management", ["FlowBoard"], patient=True, care=True, ods="8FB09",
          contact=("Rhys Evans", "rhys.evans@flowboard-demo.co.uk", "Product owner"),
          certs=[(dspt, "24/25 Standards Met", 90, None, "")], value=115_000),
        s("DEMO-24", "VitalLink Device Integration", "VitalLink Medical Ltd",
          "Medical device integration", ["Observations integration"], patient=True, care=True,
          contact=("Hannah Boyd", "hannah.boyd@vitallink-demo.co.uk", "Clinical safety officer"),
          certs=[(ce_plus, "", 380, None, "")], value=98_000),
        s("DEMO-25", "Harbour Legal LLP", "Harbour Legal LLP", "Legal advice",
          ["Clinical negligence advice"], patient=True, role=DataRole.controller,
          contact=("Edward Shaw", "eshaw@harbourlegal-demo.co.uk", "Partner"),
          certs=[(ce, "", 50, None, "")], value=200_000),
    ]


# Suppliers judged by their own schemes, not IT certificates (domain.md §4).
_NON_IT = {"DEMO-05", "DEMO-07", "DEMO-11", "DEMO-15", "DEMO-18", "DEMO-20", "DEMO-25"}
_IT_SYSTEMS = {"DEMO-01", "DEMO-02", "DEMO-06", "DEMO-08", "DEMO-09", "DEMO-10", "DEMO-13",
               "DEMO-17", "DEMO-23", "DEMO-24"}

# What CAF A4.a asks about each contract: where our data is held and how a transfer is
# protected, the supplier's access to our systems, connections to our network, and the
# processing particulars. Left out, a contract's facts stay "unknown" (as a real register's do).
_PARTICULARS = dict(
    processing_subject_matter="Provision of the contracted service to the Trust",
    processing_nature_purpose="Storage, retrieval and use of records to deliver the service",
    personal_data_types="Names, contact details, NHS numbers, health records",
    data_subject_categories="Patients and their representatives; Trust staff")
_CONTRACT_FACTS: dict[str, dict] = {
    "DEMO-01": dict(data_locations="United Kingdom", transfer_mechanism="uk",
                    system_access="privileged", access_monitored=True,
                    third_party_connection=True, connection_assured=True,
                    supports_essential_function=True, **_PARTICULARS),
    "DEMO-02": dict(data_locations="United Kingdom", transfer_mechanism="uk",
                    system_access="remote", access_monitored=True,
                    supports_essential_function=True, **_PARTICULARS),
    "DEMO-03": dict(data_locations="United Kingdom, Ireland", transfer_mechanism="adequacy",
                    third_party_connection=True, connection_assured=True, **_PARTICULARS),
    "DEMO-06": dict(data_locations="United Kingdom, India", transfer_mechanism="none",
                    system_access="remote", access_monitored=False, **_PARTICULARS),
    "DEMO-08": dict(data_locations="United Kingdom", transfer_mechanism="uk",
                    system_access="remote", access_monitored=True,
                    third_party_connection=True, connection_assured=False,
                    supports_essential_function=True),
    "DEMO-10": dict(data_locations="United Kingdom", transfer_mechanism="uk",
                    supports_essential_function=True, **_PARTICULARS),
    "DEMO-13": dict(data_locations="United Kingdom, United States", transfer_mechanism="idta",
                    tra_reference="TRA-2025-013", **_PARTICULARS),
    "DEMO-14": dict(data_locations="United Kingdom", transfer_mechanism="uk", **_PARTICULARS),
}
# (name, service, location, transfer mechanism)
_SUBPROCESSORS: dict[str, list[tuple[str, str, str, str]]] = {
    "DEMO-01": [("Northgate Cloud Services plc", "Hosting", "United Kingdom", "uk")],
    "DEMO-03": [("Emerald Data Centres Ltd", "Secondary data centre", "Ireland", "adequacy")],
    "DEMO-06": [("Bharat Support Services Pvt Ltd", "Out-of-hours technical support", "India",
                 "none")],
    "DEMO-13": [("Atlas Cloud Inc", "Cloud hosting", "United States", "idta"),
                ("Letterbox Print Ltd", "Letter printing", "United Kingdom", "uk")],
}


def _current_toolkit_status(status: str, today: dt.date) -> str:
    """Shift the demo's DSPT years so "24/25" means "the latest publication" and "23/24" the one
    before, whatever today's date: the demo stays believable as time passes."""
    if not status[:5].replace("/", "").isdigit():
        return status
    latest_end = today.year if today.month >= 7 else today.year - 1
    age = 25 - int(status[3:5])  # 0 for the latest, 1 for the one before
    end = latest_end - age
    return f"{(end - 1) % 100:02d}/{end % 100:02d}{status[5:]}"


@dataclass
class DemoResult:
    created_suppliers: int
    credentials: dict[str, str]
    credentials_file: Path
    authenticator_keys: dict[str, str] = field(default_factory=dict)


def _demo_key(data_dir: Path, username: str) -> str:
    """A stable authenticator key per demo user, kept beside the demo password."""
    from portal.core import totp

    path = data_dir / f"demo-totp-{username}"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(totp.new_secret())
    return path.read_text().strip()


def _credentials_file(data_dir: Path) -> Path:
    return data_dir / "demo-credentials.txt"


def _load_or_make_password(data_dir: Path) -> str:
    path = _credentials_file(data_dir)
    if path.exists():
        for line in path.read_text().splitlines():
            if line.startswith("password="):
                return line.split("=", 1)[1]
    data_dir.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"# demo staff logins for /admin/ (development only)\npassword={password}\n")
    return password


def history_day(today: dt.date) -> dt.date:
    """Spring before the last 30 June deadline: the day the demo's register was first entered,
    so that the last toolkit year's pack "as at" its deadline has records to rebuild."""
    deadline_year = today.year if (today.month, today.day) > (6, 30) else today.year - 1
    return dt.date(deadline_year, 4, 15)


@contextlib.contextmanager
def _clock_at(day: dt.date):
    """Audit events and record stamps read portal.core.dates.now: set it to a working morning
    of `day`, a second further at each reading, so the trail is in order."""
    tick = itertools.count()
    start = dt.datetime.combine(day, dt.time(9, 0), tzinfo=dt.UTC)
    real = dates.now
    dates.now = lambda: start + dt.timedelta(seconds=next(tick))
    try:
        yield
    finally:
        dates.now = real


# Changed after the register was first entered (so the as-at pack differs from today's):
# the transfer safeguard (an IDTA with its transfer risk assessment) recorded later.
_SAFEGUARD_ADDED_LATER = {"DEMO-13"}


async def load_demo(*, data_dir: Path, today: dt.date | None = None) -> DemoResult:
    today = today or dt.date.today()
    password = _load_or_make_password(data_dir)
    first_entered = history_day(today)
    # Part of the register was entered in the spring (the clock seam set to then): the
    # organisation, and each supplier whose contract had started by then, with the
    # certificates it held then. The rest, and every change since, is entered today.
    if not await Organisation.exists():
        with _clock_at(first_entered):
            async with write_transaction():
                row = Organisation(**DEMO_ORGANISATION)
                await row.save()
                saved = await Organisation.select().where(Organisation.id == row.id).first()
                await audit.record("organisation.created", target_type="organisation",
                                   target_id=row.id, after=saved)
    created = 0
    earlier = [d for d in _suppliers() if _contract_start(d, today) <= first_entered]
    with _clock_at(first_entered):
        for demo in earlier:
            if await _create_demo_supplier(demo, today, entered=first_entered):
                created += 1
    credentials = {}
    authenticator_keys = {}
    for role in DEMO_ROLES:
        username = f"demo-{role}"
        if not await BaseUser.exists().where(BaseUser.username == username):
            user_id = await staff.create_user(username=username, password=password, role=role,
                                              email=f"{username}@riverside-demo.nhs.uk")
            if needs_mfa(role):
                # Pre-enrolled so a person trying the demo can add the key to an app (or run
                # `portal demo-code demo-reviewer`) instead of meeting the enrolment step.
                await StaffMember.update({StaffMember.totp_secret: seal(_demo_key(data_dir, username))}).where(
                    StaffMember.user == user_id)
        credentials[username] = password
        if needs_mfa(role):
            authenticator_keys[username] = _demo_key(data_dir, username)

    for demo in _suppliers():
        if await _create_demo_supplier(demo, today, entered=today):
            created += 1
    if created:
        # certificates issued after the spring entry of their supplier, entered today
        for demo in earlier:
            await _create_demo_certificates(demo, today, after=first_entered)
        await _safeguards_added(today)
        await _demo_assurance(today)
    from portal.scoring.service import recompute_all

    await recompute_all(today=today)
    return DemoResult(created_suppliers=created, credentials=credentials,
                      credentials_file=_credentials_file(data_dir),
                      authenticator_keys=authenticator_keys)


def _contract_start(demo: DemoSupplier, today: dt.date) -> dt.date:
    return today - dt.timedelta(days=max(30, 1095 - demo.ends_in_days))


async def _safeguards_added(today: dt.date) -> None:
    from portal.suppliers.schemas import ContractPatch

    for key in _SAFEGUARD_ADDED_LATER:
        supplier = await Supplier.select(Supplier.id).where(Supplier.supplier_key == key).first()
        contract = supplier and await Contract.select(Contract.id, Contract.transfer_mechanism).where(
            Contract.supplier == supplier["id"]).first()
        facts = _CONTRACT_FACTS[key]
        if contract and contract["transfer_mechanism"] == "unknown":
            await suppliers.update_contract(contract["id"], ContractPatch(
                transfer_mechanism=facts["transfer_mechanism"], tra_reference=facts["tra_reference"]))


async def _create_demo_supplier(demo: DemoSupplier, today: dt.date, *, entered: dt.date) -> bool:
    """The supplier, its contact, contract and sub-processors, and the certificates issued by
    `entered` (all of them when entered today). False if it exists already."""
    if await Supplier.exists().where(Supplier.supplier_key == demo.key):
        return False
    supplier = await suppliers.create_supplier(SupplierCreate(
        name=demo.name, legal_name=demo.legal_name, supplier_key=demo.key,
        ods_code=demo.ods, handles_personal_data=demo.personal or demo.patient,
        handles_patient_data=demo.patient, affects_care=demo.care,
        supplier_type=SupplierType.non_it if demo.key in _NON_IT else (
            SupplierType.it_system if demo.key in _IT_SYSTEMS else SupplierType.it_service),
        website=f"https://www.{demo.contact[1].split('@')[1]}" if demo.contact[1] else "",
    ))
    if demo.contact[0]:
        await suppliers.create_contact(supplier["id"], ContactCreate(
            name=demo.contact[0], email=demo.contact[1], role=demo.contact[2]))
    start = _contract_start(demo, today)
    facts = dict(_CONTRACT_FACTS.get(demo.key, {}))
    if demo.key in _SAFEGUARD_ADDED_LATER and entered < today:
        facts.update(transfer_mechanism="unknown", tra_reference="")
    await suppliers.create_contract(ContractCreate(
        supplier_id=supplier["id"], title=demo.contract,
        reference=f"RCH-{demo.key[-2:]}-{start.year}", products_services=demo.products,
        start_date=start, end_date=today + dt.timedelta(days=demo.ends_in_days),
        notice_date=today + dt.timedelta(days=max(1, demo.ends_in_days - 90)),
        annual_value=Decimal(demo.value), data_role=demo.role,
        personal_data=demo.personal or demo.patient, patient_data=demo.patient,
        **facts))
    for name, service, location, mechanism in _SUBPROCESSORS.get(demo.key, []):
        await suppliers.create_subprocessor(supplier["id"], SubProcessorCreate(
            name=name, service=service, location=location, transfer_mechanism=mechanism,
            data_processed="Records processed under the contract",
            since=start))
    await _create_demo_certificates(demo, today, supplier_id=supplier["id"],
                                    until=entered)
    return True


async def _create_demo_certificates(demo: DemoSupplier, today: dt.date, *,
                                    supplier_id: int | None = None, until: dt.date | None = None,
                                    after: dt.date | None = None) -> None:
    """The demo certificates issued by `until`, or (for a supplier entered earlier) those
    issued after `after`, entered now."""
    if supplier_id is None:
        row = await Supplier.select(Supplier.id).where(Supplier.supplier_key == demo.key).first()
        if row is None:
            return
        supplier_id = row["id"]
    for scheme, status, issued_ago, expires_in, edition in demo.certs:
        issued = today - dt.timedelta(days=issued_ago)
        if (until is not None and issued > until) or (after is not None and issued <= after):
            continue
        number = "" if scheme == Scheme.dspt else \
            f"{scheme.value[:3].upper()}-{uuid.uuid5(uuid.NAMESPACE_DNS, demo.key + scheme.value).hex[:8].upper()}"
        if after is not None and await Certification.exists().where(
                (Certification.supplier == supplier_id) & (Certification.scheme == scheme.value)
                & (Certification.issued_on == issued)):
            continue
        status = _current_toolkit_status(status, today)
        await certifications.create_certification(CertificationCreate(
            supplier_id=supplier_id, scheme=scheme, status=status, certificate_number=number,
            edition=edition, legal_entity=demo.legal_name,
            certification_body="IASME" if scheme in (Scheme.cyber_essentials, Scheme.cyber_essentials_plus) else ("BSI" if scheme == Scheme.iso27001 else ""),
            accreditation_body="UKAS" if scheme == Scheme.iso27001 else "",
            scope="Whole organisation", issued_on=issued,
            expires_on=today + dt.timedelta(days=expires_in) if expires_in else None,
            ods_code=demo.ods if scheme == Scheme.dspt else ""))


# Clause coverage, questionnaires and risks, so the demo shows every state a portfolio has.
_CLAUSES_COMPLETE = {"DEMO-01", "DEMO-03", "DEMO-10", "DEMO-13", "DEMO-19", "DEMO-23"}
_CLAUSES_MOSTLY = {"DEMO-02", "DEMO-08", "DEMO-09", "DEMO-14", "DEMO-22", "DEMO-04", "DEMO-17"}
_ACCEPTED = {"DEMO-01": 1.0, "DEMO-03": 1.0, "DEMO-10": 0.9, "DEMO-13": 1.0, "DEMO-19": 0.95,
             "DEMO-23": 1.0, "DEMO-09": 0.8, "DEMO-17": 1.0, "DEMO-04": 0.7}
_SUBMITTED = {"DEMO-02", "DEMO-08"}
_OVERDUE = {"DEMO-06", "DEMO-11"}


def _answer_for(question: dict, good: bool):
    values = [o["value"] for o in question["options"]]
    kind = question["type"]
    if kind == "yes_no":
        return ("yes" if good else "no") if "yes" in values else values[0]
    if kind == "single_choice":
        return values[0] if good else values[-1]
    if kind == "multi_choice":
        return values[:1]
    if kind == "number":
        return 24
    if kind == "date":
        return (dt.date.today() + dt.timedelta(days=500)).isoformat()
    return "Described in our information security policy, available on request."


async def _answer_all(token: str, share: float) -> None:
    from portal.assessments import service as assessments

    pdf = b"%PDF-1.4\n% demo certificate\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    for _ in range(4):
        view = await assessments.supplier_view(token)
        todo = [q for sec in view["questionnaire"]["sections"] for q in sec["questions"]
                if q["visible"] and q["id"] not in view["answers"] and q["required"]]
        if not todo:
            return
        for index, question in enumerate(todo):
            if question["type"] == "file":
                evidence = await assessments.add_evidence(token, question["id"],
                                                          filename="certificate.pdf", data=pdf)
                value = [evidence["id"]]
            else:
                value = _answer_for(question, good=(index % 10) < share * 10)
            await assessments.save_answer(token, question["id"], value=value)


def _demo_contract_docx(title: str, keys: list[str], breach: str) -> bytes:
    """A contract drafted from our model clauses: numbered, with headings, like a real one."""
    import io

    from docx import Document

    from portal.contracts.library import library

    clauses = library()
    document = Document()
    document.add_heading(title, level=0)
    document.add_paragraph("This agreement is made between the Customer and the Supplier.")
    document.add_heading("1. Definitions", level=1)
    document.add_paragraph('1.1 "Personal Data" has the meaning given in the UK GDPR.')
    document.add_heading("2. Obligations", level=1)
    for number, key in enumerate(dict.fromkeys(keys), start=1):
        text = " ".join(clauses[key].model_clause.split())
        if key == "breach.notification" and breach == "undue":
            text = text.replace(", and in any event within twenty-four (24) hours,", "")
        elif key == "breach.notification" and breach == "72":
            text = text.replace("twenty-four (24)", "seventy-two (72)")
        document.add_paragraph(f"2.{number} {text}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


async def _demo_assurance(today: dt.date) -> None:
    from models.tables import Risk, SupplierContact
    from portal.assessments import service as assessments
    from portal.contracts import service as contract_service
    from portal.contracts.rules import required_for
    from portal.core import records

    rows = await Supplier.select(Supplier.id, Supplier.supplier_key, Supplier.affects_care,
                                 Supplier.supplier_type).where(
        Supplier.supplier_key.like("DEMO-%"))
    for supplier in rows:
        key = supplier["supplier_key"]
        for contract in await Contract.select().where(Contract.supplier == supplier["id"]):
            required = list(required_for(contract, supplier))
            if key in _CLAUSES_COMPLETE:
                keys, breach = [*required, "liability.insurance", "disputes.resolution"], "24"
            elif key in _CLAUSES_MOSTLY:
                keys = [k for i, k in enumerate(required) if i % 5 != 3] + ["disputes.resolution"]
                breach = "undue"
            else:
                keys, breach = ["art28.confidentiality", "liability.insurance",
                                "disputes.resolution"], "72"
            # A real .docx, scanned like any uploaded contract.
            await contract_service.upload_document(
                contract["id"], filename=f"{contract['reference'] or 'contract'}.docx",
                data=_demo_contract_docx(contract["title"], keys, breach), actor="demo")
        contact = await SupplierContact.select(SupplierContact.id).where(
            SupplierContact.supplier == supplier["id"]).first()
        if contact is None:
            continue
        if key in _ACCEPTED or key in _SUBMITTED:
            assessment, token = await assessments.send(
                supplier_id=supplier["id"], contact_id=contact["id"],
                questionnaire="ndg10-supplier-due-diligence", due_date=today + dt.timedelta(days=14))
            await _answer_all(token, _ACCEPTED.get(key, 0.8))
            await assessments.submit(token)
            if key in _ACCEPTED:
                await assessments.review(assessment["id"], decision="accept",
                                         comment="Demo: answers reviewed.", question_ids=None,
                                         reviewer="demo-reviewer")
        elif key in _OVERDUE:
            assessment, _ = await assessments.send(
                supplier_id=supplier["id"], contact_id=contact["id"],
                questionnaire="ndg10-supplier-due-diligence", due_date=today)
            # sent a while ago and now overdue: audited, so the records as at a date agree
            overdue = today - dt.timedelta(days=10)
            async with write_transaction():
                await Assessment.update({Assessment.due_date: overdue}).where(
                    Assessment.id == assessment["id"])
                await audit.record("assessment.due_date_set", target_type="assessment",
                                   target_id=assessment["id"], supplier_id=supplier["id"],
                                   before={"due_date": assessment.get("due_date")},
                                   after={"due_date": overdue})
    by_key = {s["supplier_key"]: s["id"] for s in rows}
    for key, values in [
        ("DEMO-06", {"kind": "dispute", "title": "Disputed invoice for video minutes",
                     "severity": "medium", "owner": "Procurement", "mitigation": "Escalated to account manager",
                     "data_security_risk": ""}),
        ("DEMO-11", {"kind": "risk", "title": "Courier lost a specimen bag with labels",
                     "severity": "high", "owner": "", "mitigation": "",
                     "data_security_risk": "Patient identifiers on specimen labels"}),
        ("DEMO-08", {"kind": "incident", "title": "Reporting outage for 4 hours",
                     "severity": "medium", "owner": "Radiology IT", "mitigation": "Supplier fix deployed",
                     "data_security_risk": "Availability only", "status": "closed"}),
    ]:
        if key in by_key:
            await records.create_row(Risk, {**values, "supplier": by_key[key], "opened_on": today},
                                     action=f"{values['kind']}.logged")


_KINDS = [
    ("EPR module", True, True, True), ("Cloud hosting", True, True, False),
    ("Payroll", True, False, False), ("Cleaning", False, False, False),
    ("Telehealth", True, True, True), ("Courier", True, True, False),
    ("Consultancy", True, False, False), ("Facilities", False, False, False),
]
_SCHEMES = ["cyber_essentials", "cyber_essentials_plus", "iso27001", "dspt"]


async def seed(*, suppliers_count: int, contracts_per_supplier: int = 3,
               certifications_per_supplier: int = 3, batch: int = 500,
               progress=None) -> dict[str, float]:
    """Bulk synthetic data for benchmarks: fast inserts, one audit event for the whole run."""
    run = uuid.uuid4().hex[:8]
    today = dt.date.today()
    started = time.perf_counter()
    done = 0
    for first in range(0, suppliers_count, batch):
        size = min(batch, suppliers_count - first)
        rows = []
        for i in range(first, first + size):
            kind, personal, patient, care = _KINDS[i % len(_KINDS)]
            rows.append(dict(
                name=f"Synthetic {kind} supplier {i + 1:05d}", legal_name=f"Synthetic {i + 1:05d} Ltd",
                supplier_key=f"SEED-{run}-{i}", ods_code=f"S{i % 100000:05d}",
                handles_personal_data=personal, handles_patient_data=patient, affects_care=care))
        async with write_transaction():
            await insert_many(Supplier, rows)
            ids = await Supplier.select(Supplier.id, Supplier.supplier_key, Supplier.handles_patient_data) \
                .where(Supplier.supplier_key.is_in([r["supplier_key"] for r in rows]))
            contracts, certs = [], []
            for row in ids:
                n = int(row["supplier_key"].rsplit("-", 1)[1])
                for c in range(contracts_per_supplier):
                    start = today - dt.timedelta(days=(n * 7 + c * 100) % 900)
                    contracts.append(dict(
                        supplier=row["id"], title=f"Service agreement {c + 1}",
                        reference=f"SYN-{n}-{c}", start_date=start,
                        end_date=start + dt.timedelta(days=365 * (1 + c)),
                        data_role="processor" if row["handles_patient_data"] or c == 0 else "none",
                        personal_data=bool(row["handles_patient_data"]) or c == 0,
                        patient_data=bool(row["handles_patient_data"]),
                        annual_value=Decimal(1000 * (n % 500 + 1))))
                for c in range(certifications_per_supplier):
                    scheme = _SCHEMES[(n + c) % len(_SCHEMES)]
                    issued = today - dt.timedelta(days=(n * 13 + c * 97) % 500)
                    certs.append(dict(
                        supplier=row["id"], scheme=scheme, issued_on=issued,
                        status="24/25 Standards Met" if scheme == "dspt" else "",
                        edition="2022" if scheme == "iso27001" else "",
                        expires_on=issued + dt.timedelta(days=1095) if scheme == "iso27001" else None,
                        certificate_number=f"SYN-{n}-{c}"))
            await insert_many(Contract, contracts)
            await insert_many(Certification, certs)
        done += size
        if progress:
            progress(done, suppliers_count)
    from piccolo.querystring import QueryString

    # Fresh statistics, or PostgreSQL plans the first queries as if the tables were empty;
    # and on PostgreSQL a VACUUM too, as its documentation advises after a bulk load (what
    # autovacuum does within minutes): until the visibility map is set, counts and the
    # supplier list's page walk read every row from the table instead of the index alone.
    statement = "VACUUM (ANALYZE)" if isinstance(engine(), PostgresEngine) else "ANALYZE"
    await Supplier._meta.db.run_querystring(QueryString(statement))
    async with write_transaction():
        await audit.record("seed.generated", target_type="seed", target_id=run,
                           after={"suppliers": suppliers_count,
                                  "contracts": suppliers_count * contracts_per_supplier,
                                  "certifications": suppliers_count * certifications_per_supplier})
    return {"seconds": time.perf_counter() - started, "suppliers": suppliers_count}

