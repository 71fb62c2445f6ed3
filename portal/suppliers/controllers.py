"""Register API: suppliers, contacts and contracts. Thin: parse, call the service, shape."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, delete, get, patch, post
from litestar.params import Parameter

from portal.core.permissions import READ
from portal.core.schemas import MAX_ID, Page
from portal.suppliers import service
from portal.suppliers.schemas import (
    ContactCreate,
    ContactOut,
    ContactPatch,
    ContractCreate,
    ContractOut,
    ContractPatch,
    SubProcessorCreate,
    SubProcessorOut,
    SubProcessorPatch,
    SupplierCreate,
    SupplierOut,
    SupplierPatch,
)

SupplierId = Annotated[int, Parameter(gt=0, le=MAX_ID, description="Supplier id")]
ContactId = Annotated[int, Parameter(gt=0, le=MAX_ID, description="Contact id")]
SubProcessorId = Annotated[int, Parameter(gt=0, le=MAX_ID, description="Sub-processor id")]
ContractId = Annotated[int, Parameter(gt=0, le=MAX_ID, description="Contract id")]
Limit = Annotated[int, Parameter(ge=1, le=500, description="Page size (1-500)")]
Offset = Annotated[int, Parameter(ge=0, le=10_000_000, description="Rows to skip")]
Query = Annotated[str | None, Parameter(max_length=200, description="Search text")]
IncludeArchived = Annotated[bool, Parameter(description="Include archived records")]

WRITE = {"permission": "register.write"}
READ_OPT = {"permission": READ}


def supplier_out(row: dict[str, Any]) -> SupplierOut:
    return SupplierOut.model_validate({**row, "owner_id": row.get("owner")})


def contact_out(row: dict[str, Any]) -> ContactOut:
    return ContactOut.model_validate({**row, "supplier_id": row["supplier"]})


def subprocessor_out(row: dict[str, Any]) -> SubProcessorOut:
    return SubProcessorOut.model_validate({**row, "supplier_id": row["supplier"]})


def contract_out(row: dict[str, Any]) -> ContractOut:
    return ContractOut.model_validate({**row, "supplier_id": row["supplier"]})


class SupplierController(Controller):
    path = "/api/v1/suppliers"
    tags = ["Suppliers"]

    @post("/", opt=WRITE, summary="Register a supplier")
    async def create(self, data: SupplierCreate) -> SupplierOut:
        return supplier_out(await service.create_supplier(data))

    @get("/", opt=READ_OPT, summary="List and search suppliers")
    async def index(
        self, q: Query = None, limit: Limit = 50, offset: Offset = 0,
        include_archived: IncludeArchived = False,
        rating: Annotated[str | None, Parameter(pattern=r"^(green|amber|red)$")] = None,
        tier: Annotated[str | None, Parameter(pattern=r"^(critical|elevated|baseline)$")] = None,
        sort: Annotated[str, Parameter(
            pattern=r"^-?(name|tier|rating|score|contract_end|cert_expiry)$",
            description="name, tier, rating, score, contract_end (next contract end) or "
                        "cert_expiry (next certificate expiry); '-' first for descending")
        ] = "name",
        contract_end_from: Annotated[dt.date | None, Parameter(
            description="only suppliers with a contract ending on or after this date")] = None,
        contract_end_to: Annotated[dt.date | None, Parameter(
            description="only suppliers with a contract ending on or before this date")] = None,
        cert_expiry_before: Annotated[dt.date | None, Parameter(
            description="only suppliers with a certificate expiring before this date")] = None,
        owner_id: Annotated[int | None, Parameter(gt=0, le=MAX_ID,
                                                  description="the owner's user id")] = None,
    ) -> Page[SupplierOut]:
        rows, total = await service.list_suppliers(
            q=q, limit=limit, offset=offset, include_archived=include_archived, rating=rating,
            tier=tier, sort=sort, contract_end_from=contract_end_from,
            contract_end_to=contract_end_to, cert_expiry_before=cert_expiry_before,
            owner=owner_id)
        return Page[SupplierOut](items=[supplier_out(r) for r in rows], total=total,
                                 limit=limit, offset=offset)

    @get("/{supplier_id:int}", opt=READ_OPT, summary="Get a supplier")
    async def show(self, supplier_id: SupplierId) -> SupplierOut:
        return supplier_out(await service.read_supplier(supplier_id))

    @patch("/{supplier_id:int}", opt=WRITE, summary="Change a supplier")
    async def update(self, supplier_id: SupplierId, data: SupplierPatch) -> SupplierOut:
        return supplier_out(await service.update_supplier(supplier_id, data))

    @delete("/{supplier_id:int}", opt=WRITE, status_code=200,
            summary="Archive a supplier (nothing is hard-deleted)")
    async def archive(self, supplier_id: SupplierId) -> SupplierOut:
        return supplier_out(await service.archive_supplier(supplier_id))

    # Contacts are reached through their supplier, so a contact id can't leak across suppliers.
    @post("/{supplier_id:int}/contacts", opt=WRITE, summary="Add a contact to a supplier")
    async def create_contact(self, supplier_id: SupplierId, data: ContactCreate) -> ContactOut:
        return contact_out(await service.create_contact(supplier_id, data))

    @get("/{supplier_id:int}/contacts", opt=READ_OPT, summary="List a supplier's contacts")
    async def list_contacts(self, supplier_id: SupplierId,
                            include_archived: IncludeArchived = False) -> list[ContactOut]:
        rows = await service.list_contacts(supplier_id, include_archived=include_archived)
        return [contact_out(r) for r in rows]

    @get("/{supplier_id:int}/contacts/{contact_id:int}", opt=READ_OPT, summary="Get a contact")
    async def get_contact(self, supplier_id: SupplierId, contact_id: ContactId) -> ContactOut:
        return contact_out(await service.get_contact(supplier_id, contact_id))

    @patch("/{supplier_id:int}/contacts/{contact_id:int}", opt=WRITE, summary="Change a contact")
    async def update_contact(self, supplier_id: SupplierId, contact_id: ContactId,
                             data: ContactPatch) -> ContactOut:
        return contact_out(await service.update_contact(supplier_id, contact_id, data))

    @delete("/{supplier_id:int}/contacts/{contact_id:int}", opt=WRITE, status_code=200,
            summary="Archive a contact")
    async def archive_contact(self, supplier_id: SupplierId, contact_id: ContactId) -> ContactOut:
        return contact_out(await service.archive_contact(supplier_id, contact_id))


    @post("/{supplier_id:int}/subprocessors", opt=WRITE,
          summary="Record one of the supplier's sub-processors")
    async def create_subprocessor(self, supplier_id: SupplierId,
                                  data: SubProcessorCreate) -> SubProcessorOut:
        return subprocessor_out(await service.create_subprocessor(supplier_id, data))

    @get("/{supplier_id:int}/subprocessors", opt=READ_OPT,
         summary="List a supplier's sub-processors (current ones unless include_ended)")
    async def list_subprocessors(self, supplier_id: SupplierId,
                                 include_ended: Annotated[bool, Parameter(
                                     description="Include those that stopped")] = False,
                                 ) -> list[SubProcessorOut]:
        rows = await service.list_subprocessors(supplier_id, include_ended=include_ended)
        return [subprocessor_out(r) for r in rows]


class SubProcessorController(Controller):
    path = "/api/v1/subprocessors"
    tags = ["Suppliers"]

    @get("/{subprocessor_id:int}", opt=READ_OPT, summary="Get a sub-processor")
    async def show(self, subprocessor_id: SubProcessorId) -> SubProcessorOut:
        return subprocessor_out(await service.get_subprocessor(subprocessor_id))

    @patch("/{subprocessor_id:int}", opt=WRITE,
           summary="Change a sub-processor (give `until` when it stops)")
    async def update(self, subprocessor_id: SubProcessorId,
                     data: SubProcessorPatch) -> SubProcessorOut:
        return subprocessor_out(await service.update_subprocessor(subprocessor_id, data))

    @delete("/{subprocessor_id:int}", opt=WRITE, status_code=200,
            summary="Remove a sub-processor recorded in error (archived, not deleted)")
    async def archive(self, subprocessor_id: SubProcessorId) -> SubProcessorOut:
        return subprocessor_out(await service.archive_subprocessor(subprocessor_id))


class ContractController(Controller):
    path = "/api/v1/contracts"
    tags = ["Contracts"]

    @post("/", opt=WRITE, summary="Record a contract with a supplier")
    async def create(self, data: ContractCreate) -> ContractOut:
        return contract_out(await service.create_contract(data))

    @get("/", opt=READ_OPT, summary="List contracts, optionally for one supplier")
    async def index(self, supplier_id: Annotated[int | None, Parameter(gt=0, le=MAX_ID)] = None,
                   q: Query = None, limit: Limit = 50, offset: Offset = 0,
                   include_archived: IncludeArchived = False) -> Page[ContractOut]:
        rows, total = await service.list_contracts(supplier_id=supplier_id, q=q, limit=limit,
                                                   offset=offset,
                                                   include_archived=include_archived)
        return Page[ContractOut](items=[contract_out(r) for r in rows], total=total,
                                 limit=limit, offset=offset)

    @get("/{contract_id:int}", opt=READ_OPT, summary="Get a contract")
    async def show(self, contract_id: ContractId) -> ContractOut:
        return contract_out(await service.get_contract(contract_id))

    @patch("/{contract_id:int}", opt=WRITE, summary="Change a contract")
    async def update(self, contract_id: ContractId, data: ContractPatch) -> ContractOut:
        return contract_out(await service.update_contract(contract_id, data))

    @delete("/{contract_id:int}", opt=WRITE, status_code=200, summary="Archive a contract")
    async def archive(self, contract_id: ContractId) -> ContractOut:
        return contract_out(await service.archive_contract(contract_id))
