"""HTTP schemas for the supplier register: suppliers, contacts, contracts, certifications."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AnyHttpUrl,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from portal.core.schemas import (
    Flag,
    Id,
    InputModel,
    LongText,
    Name,
    OdsCode,
    PatchModel,
    ReasonableDate,
    ShortText,
    Timestamps,
    line_type,
    name_type,
    upper_code,
)

CompaniesHouseNumber = upper_code(r"^(|[0-9]{8}|[A-Z]{2}[0-9]{6})$")
IcoNumber = upper_code(r"^(|[A-Z0-9]{6,10})$")
SupplierKey = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100,
                           pattern=r"^[A-Za-z0-9._:/-]+$")
]
Website = line_type(300)


def _check_website(value: str | None) -> str | None:
    if value:
        AnyHttpUrl(value)  # raises a clear "URL" error
    return value


class DataRole(StrEnum):
    processor = "processor"
    controller = "controller"
    joint_controller = "joint_controller"
    none = "none"


class SupplierType(StrEnum):
    it_system = "it_system"  # software or a hosted system
    it_service = "it_service"  # managed IT, support, hosting
    non_it = "non_it"  # confidential waste, couriers, solicitors: judged by their own schemes


class SystemAccess(StrEnum):
    none = "none"
    user = "user"  # ordinary user accounts on our systems
    remote = "remote"  # remote access (support sessions, VPN)
    privileged = "privileged"  # administrator or domain-admin rights


class TransferMechanism(StrEnum):
    """How our data is protected where it leaves the UK (UK GDPR Chapter V)."""

    uk = "uk"  # held and processed in the UK only: no restricted transfer
    adequacy = "adequacy"  # a country with UK adequacy regulations (e.g. the EEA)
    idta = "idta"  # the ICO's International Data Transfer Agreement
    uk_addendum = "uk_addendum"  # the UK Addendum to the EU standard contractual clauses
    none = "none"  # leaves the UK with no safeguard: a knock-out
    unknown = "unknown"  # not yet established: never counts as protected


# What each value means, in the words forms and documents use.
TRANSFER_MECHANISM_LABELS = (
    ("uk", "Our data stays in the UK"),
    ("adequacy", "A country with UK adequacy regulations (for example the EEA)"),
    ("idta", "The ICO's International Data Transfer Agreement (IDTA)"),
    ("uk_addendum", "The UK Addendum to the EU standard contractual clauses"),
    ("none", "It leaves the UK with no safeguard"),
    ("unknown", "Not known yet"))

TRANSFER_SAFEGUARDED = frozenset({TransferMechanism.uk, TransferMechanism.adequacy,
                                  TransferMechanism.idta, TransferMechanism.uk_addendum})


# Suppliers ---------------------------------------------------------------------------


class SupplierCreate(InputModel):
    name: Name
    legal_name: ShortText = ""
    supplier_key: SupplierKey | None = Field(
        None, description="Your finance or procurement system's key; imports match on it.")
    companies_house_number: CompaniesHouseNumber = Field(
        "", description="8 digits, or 2 letters and 6 digits (e.g. SC123456)")
    ico_registration_number: IcoNumber = ""
    ods_code: OdsCode = ""
    website: Website = ""
    handles_personal_data: Flag
    handles_patient_data: Flag
    affects_care: Flag
    supplier_type: SupplierType = Field(
        SupplierType.it_service, description="it_system, it_service or non_it: decides which "
                                            "certificates are asked of it")
    notes: LongText = ""

    _website = field_validator("website")(_check_website)

    @model_validator(mode="after")
    def _patient_data_is_personal_data(self) -> SupplierCreate:
        if self.handles_patient_data and not self.handles_personal_data:
            raise ValueError("handles_patient_data requires handles_personal_data: patient data is personal data")
        return self


class SupplierPatch(PatchModel):
    # A field typed without None but defaulting to None: may be left out, may not be null.
    name: Name = None  # type: ignore[assignment]
    legal_name: ShortText = None  # type: ignore[assignment]
    supplier_key: SupplierKey | None = None
    companies_house_number: CompaniesHouseNumber = None  # type: ignore[assignment]
    ico_registration_number: IcoNumber = None  # type: ignore[assignment]
    ods_code: OdsCode = None  # type: ignore[assignment]
    website: Website = None  # type: ignore[assignment]
    handles_personal_data: Flag = None  # type: ignore[assignment]
    handles_patient_data: Flag = None  # type: ignore[assignment]
    affects_care: Flag = None  # type: ignore[assignment]
    supplier_type: SupplierType = None  # type: ignore[assignment]
    notes: LongText = None  # type: ignore[assignment]

    _website = field_validator("website")(_check_website)


class SupplierOut(Timestamps):
    id: int
    name: str
    legal_name: str
    supplier_key: str | None
    companies_house_number: str
    ico_registration_number: str
    ods_code: str
    website: str
    handles_personal_data: bool
    handles_patient_data: bool
    affects_care: bool
    supplier_type: str
    notes: str
    score: int | None = None
    rating: str | None = None
    tier: str | None = None


# Contacts ----------------------------------------------------------------------------


class ContactCreate(InputModel):
    name: Name
    email: EmailStr
    role: ShortText = ""
    phone: line_type(40) = ""


class ContactPatch(PatchModel):
    name: Name = None  # type: ignore[assignment]
    email: EmailStr = None  # type: ignore[assignment]
    role: ShortText = None  # type: ignore[assignment]
    phone: line_type(40) = None  # type: ignore[assignment]


class ContactOut(Timestamps):
    id: int
    supplier_id: int
    name: str
    email: str
    role: str
    phone: str


# Contracts ---------------------------------------------------------------------------

ProductName = name_type(200)
Money = Annotated[Decimal, Field(ge=0, le=Decimal("999999999999.99"), decimal_places=2)]


def _check_contract_dates(start: dt.date | None, end: dt.date | None,
                          notice: dt.date | None) -> None:
    if start and end and end < start:
        raise ValueError("end_date must be on or after start_date")
    if notice and end and notice > end:
        raise ValueError("notice_date must be on or before end_date")


class ContractCreate(InputModel):
    supplier_id: Id
    title: Name
    reference: line_type(100) = ""
    products_services: Annotated[list[ProductName], Field(max_length=100)] = Field(
        default_factory=list)
    start_date: ReasonableDate
    end_date: ReasonableDate
    notice_date: ReasonableDate | None = None
    annual_value: Money | None = None
    data_role: DataRole
    personal_data: Flag
    patient_data: Flag
    system_access: SystemAccess = Field(
        SystemAccess.none, description="The supplier's access to our systems; remote or "
                                       "privileged makes it critical")
    supports_essential_function: Flag = Field(
        False, description="The service supports an essential function (makes it critical)")
    special_category_data: Flag = Field(
        False, description="Special-category data beyond patient data (e.g. staff health, "
                           "ethnicity, union membership)")
    processing_subject_matter: LongText = Field("", description="Art 28(3) subject matter of the processing")
    processing_nature_purpose: LongText = Field("", description="Art 28(3) nature and purpose")
    personal_data_types: LongText = Field("", description="Types of personal data processed")
    data_subject_categories: LongText = Field("", description="Categories of data subjects")
    data_locations: line_type(300) = Field("", description="Countries where the supplier holds our data")
    transfer_mechanism: TransferMechanism = Field(
        TransferMechanism.unknown, description="uk (no transfer), adequacy, idta, uk_addendum, "
                                               "none (no safeguard) or unknown")
    tra_reference: line_type(100) = Field("", description="Transfer risk assessment reference")
    access_monitored: Flag = Field(
        False, description="The supplier's access to our systems is restricted and monitored")
    third_party_connection: Flag = Field(
        False, description="The supplier's systems connect to our network")
    connection_assured: Flag = Field(
        False, description="We hold assurance the connection meets our security requirements")

    @model_validator(mode="after")
    def _consistent(self) -> ContractCreate:
        _check_contract_dates(self.start_date, self.end_date, self.notice_date)
        if self.patient_data and not self.personal_data:
            raise ValueError("patient_data requires personal_data: patient data is personal data")
        return self


class ContractPatch(PatchModel):
    title: Name = None  # type: ignore[assignment]
    reference: line_type(100) = None  # type: ignore[assignment]
    products_services: Annotated[list[ProductName], Field(max_length=100)] = None  # type: ignore[assignment]
    start_date: ReasonableDate = None  # type: ignore[assignment]
    end_date: ReasonableDate = None  # type: ignore[assignment]
    notice_date: ReasonableDate | None = None
    annual_value: Money | None = None
    data_role: DataRole = None  # type: ignore[assignment]
    personal_data: Flag = None  # type: ignore[assignment]
    patient_data: Flag = None  # type: ignore[assignment]
    system_access: SystemAccess = None  # type: ignore[assignment]
    supports_essential_function: Flag = None  # type: ignore[assignment]
    special_category_data: Flag = None  # type: ignore[assignment]
    processing_subject_matter: LongText = None  # type: ignore[assignment]
    processing_nature_purpose: LongText = None  # type: ignore[assignment]
    personal_data_types: LongText = None  # type: ignore[assignment]
    data_subject_categories: LongText = None  # type: ignore[assignment]
    data_locations: line_type(300) = None  # type: ignore[assignment]
    transfer_mechanism: TransferMechanism = None  # type: ignore[assignment]
    tra_reference: line_type(100) = None  # type: ignore[assignment]
    access_monitored: Flag = None  # type: ignore[assignment]
    third_party_connection: Flag = None  # type: ignore[assignment]
    connection_assured: Flag = None  # type: ignore[assignment]


class ContractOut(Timestamps):
    id: int
    supplier_id: int
    title: str
    reference: str
    products_services: list[str]
    start_date: dt.date | None
    end_date: dt.date | None
    notice_date: dt.date | None
    annual_value: Decimal | None
    data_role: str
    personal_data: bool
    patient_data: bool
    system_access: str
    supports_essential_function: bool
    special_category_data: bool
    processing_subject_matter: str
    processing_nature_purpose: str
    personal_data_types: str
    data_subject_categories: str
    data_locations: str
    transfer_mechanism: str
    tra_reference: str
    access_monitored: bool
    third_party_connection: bool
    connection_assured: bool


# Sub-processors ----------------------------------------------------------------------


def _check_period(since: dt.date | None, until: dt.date | None) -> None:
    if since and until and until < since:
        raise ValueError("until must be on or after since")


class SubProcessorCreate(InputModel):
    name: Name
    service: line_type(300) = Field("", description="What it does for the supplier")
    data_processed: LongText = Field("", description="Which of our data it processes")
    location: ShortText = Field("", description="Countries where it processes our data")
    transfer_mechanism: TransferMechanism = TransferMechanism.unknown
    tra_reference: line_type(100) = ""
    since: ReasonableDate | None = None
    until: ReasonableDate | None = None
    notes: LongText = ""

    @model_validator(mode="after")
    def _period(self) -> SubProcessorCreate:
        _check_period(self.since, self.until)
        return self


class SubProcessorPatch(PatchModel):
    name: Name = None  # type: ignore[assignment]
    service: line_type(300) = None  # type: ignore[assignment]
    data_processed: LongText = None  # type: ignore[assignment]
    location: ShortText = None  # type: ignore[assignment]
    transfer_mechanism: TransferMechanism = None  # type: ignore[assignment]
    tra_reference: line_type(100) = None  # type: ignore[assignment]
    since: ReasonableDate | None = None
    until: ReasonableDate | None = None
    notes: LongText = None  # type: ignore[assignment]


class SubProcessorOut(Timestamps):
    id: int
    supplier_id: int
    name: str
    service: str
    data_processed: str
    location: str
    transfer_mechanism: str
    tra_reference: str
    since: dt.date | None
    until: dt.date | None
    notes: str
