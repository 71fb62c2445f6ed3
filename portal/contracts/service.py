"""Contract documents and clause status: scanning, manual overrides, the clause checklist."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from models.tables import Contract, ContractClause, ContractDocument, EvidenceFile, Supplier
from portal.contracts.library import KEYS, library
from portal.contracts.reader import UnreadableContract
from portal.contracts.rules import ClauseFacts, agreement_kind, required_for, requirements
from portal.contracts.scanner import ScanResult, scan_document
from portal.core import audit
from portal.core.db import write_transaction
from portal.core.errors import InvalidInput, NotFound
from portal.core.security import now
from portal.core.storage import evidence_store, key_for
from portal.core.uploads import accept_upload, safe_filename
from portal.settings import get_settings

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
STATUSES = ("present", "partial", "missing", "not_applicable")


async def _contract(contract_id: int) -> dict[str, Any]:
    row = await Contract.select().where(Contract.id == contract_id).first()
    if row is None:
        raise NotFound(f"No contract with id {contract_id}.")
    return row


async def _supplier_facts(supplier_id: int) -> dict[str, Any] | None:
    return await Supplier.select(Supplier.affects_care, Supplier.supplier_type).where(
        Supplier.id == supplier_id).first()


async def checklist(contract_id: int) -> dict[str, Any]:
    contract = await _contract(contract_id)
    facts = ClauseFacts.of(contract, await _supplier_facts(contract["supplier"]))
    needs = requirements(facts)
    required = {k for k, r in needs.items() if r.required}
    rows = {r["key"]: r for r in await ContractClause.select().where(
        ContractClause.contract == contract_id)}
    document = await ContractDocument.select().where(ContractDocument.contract == contract_id) \
        .order_by(ContractDocument.id, ascending=False).first()
    items = []
    for key, clause in library().items():
        row = rows.get(key)
        items.append({
            "key": key, "title": clause.title, "description": clause.description,
            "legal_basis": clause.legal_basis, "legal_reference": clause.legal_reference,
            "required": key in required, "required_because": needs[key].reason,
            "applies": needs[key].applies,
            "does_not_apply": "" if needs[key].applies else clause.does_not_apply,
            "status": row["status"] if row else "missing",
            "source": row["source"] if row else None,
            "location": row["location"] if row else "", "excerpt": row["excerpt"] if row else "",
            "note": row["note"] if row else "", "version": row["version"] if row else None,
            "hours": row["hours"] if row else None,
            "updated_at": row["updated_at"] if row else None,
        })
    order = {"missing": 0, "partial": 1, "present": 2, "not_applicable": 3}
    items.sort(key=lambda i: (not i["required"], not i["applies"], order[i["status"]],
                              KEYS.index(i["key"])))
    gaps = [i["key"] for i in items if i["required"] and i["status"] in ("missing", "partial")]
    return {"contract_id": contract_id, "supplier_id": contract["supplier"],
            "agreement": agreement_kind(facts),
            "breach_notification_hours": document["breach_notification_hours"] if document else None,
            # the national model clauses' "immediately" is stored as a window of 0 hours
            "breach_notification_immediate": bool(document)
            and document["breach_notification_hours"] == 0,
            "scanned_at": document["scanned_at"] if document else None,
            "required_gaps": gaps, "clauses": items}


async def gap_summary(contracts: list[dict[str, Any]], *, supplier: dict[str, Any]
                      ) -> dict[int, dict[str, Any]]:
    """For a supplier's contracts at once (one query, however many contracts): each one's
    required clause keys that are missing or partial, and how many keys it requires."""
    statuses: dict[int, dict[str, str]] = {c["id"]: {} for c in contracts}
    if statuses:
        for row in await ContractClause.select(ContractClause.contract, ContractClause.key,
                                               ContractClause.status).where(
                ContractClause.contract.is_in(list(statuses))):
            statuses[row["contract"]][row["key"]] = row["status"]
    summary = {}
    for contract in contracts:
        required = required_for(contract, supplier)
        found = statuses[contract["id"]]
        summary[contract["id"]] = {
            "required": len(required),
            "gaps": [k for k in KEYS if k in required
                     and found.get(k, "missing") in ("missing", "partial")]}
    return summary


async def _record_scan(contract: dict, result: ScanResult, *, actor: str) -> dict[str, str]:
    """Write the scan's findings; returns {key: status} of the clauses it set (for the audit)."""
    written: dict[str, str] = {}
    existing = {r["key"]: r for r in await ContractClause.select().where(
        ContractClause.contract == contract["id"])}
    for finding in result.clauses:
        row = existing.get(finding.key)
        if row is not None and row["source"] == "manual":
            continue  # a person's decision is never overwritten by a scan
        values = {"status": finding.status, "location": finding.location[:200],
                  "excerpt": finding.excerpt, "source": "scan", "updated_by": actor,
                  "note": finding.reason}
        if row is None:
            # Conditional insert (one clause per key): a person's entry made meanwhile wins.
            await ContractClause.insert(ContractClause(contract=contract["id"], key=finding.key,
                                                       **values)).on_conflict(
                target=(ContractClause.contract, ContractClause.key), action="DO NOTHING")
            written[finding.key] = finding.status
        elif (row["status"], row["location"], row["excerpt"]) != (
                values["status"], values["location"], values["excerpt"]):
            await ContractClause.update({
                **{ContractClause._meta.get_column_by_name(k): v for k, v in values.items()},
                ContractClause.version: row["version"] + 1, ContractClause.updated_at: now(),
            }).where(ContractClause.id == row["id"])
            written[finding.key] = finding.status
    return written


async def upload_document(contract_id: int, *, filename: str | None, data: bytes,
                          actor: str) -> dict[str, Any]:
    contract = await _contract(contract_id)
    content_type = accept_upload(data, filename, max_bytes=get_settings().max_upload_bytes,
                                 only=(DOCX, PDF), expected="a Word document (.docx) or a PDF")
    try:
        result = await asyncio.to_thread(scan_document, data)
    except UnreadableContract as error:
        raise InvalidInput(str(error)) from None
    digest = hashlib.sha256(data).hexdigest()
    await evidence_store().put(key_for(digest), data, content_type)
    async with write_transaction():
        evidence = EvidenceFile(supplier=contract["supplier"], storage_key=key_for(digest),
                                filename=safe_filename(filename, content_type),
                                content_type=content_type, size=len(data), sha256=digest,
                                uploaded_by=actor, question_id="")
        await evidence.save()
        document = ContractDocument(contract=contract_id, evidence=evidence.id,
                                    breach_notification_hours=result.breach_notification_hours,
                                    scanned_at=now())
        await document.save()
        clauses = await _record_scan(contract, result, actor=actor)
        await audit.record("contract.document_scanned", target_type="contract",
                           target_id=contract_id, supplier_id=contract["supplier"],
                           after={"document_id": document.id, "sha256": digest, "clauses": clauses,
                                  "found": [f.key for f in result.clauses if f.present],
                                  "breach_notification_hours": result.breach_notification_hours})
    return {"document_id": document.id, "evidence_id": evidence.id,
            **(await checklist(contract_id))}


async def set_clause(contract_id: int, key: str, *, status: str, location: str | None,
                     note: str | None, version: int | None, actor: str,
                     hours: int | None = None) -> dict[str, Any]:
    if key not in library():
        raise NotFound(f"No clause {key!r} in the library.")
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}")
    if hours is not None and key != "breach.notification":
        raise InvalidInput("hours can only be recorded for breach.notification")
    async with write_transaction():
        contract = await _contract(contract_id)
        if status == "not_applicable" and key.startswith("art28.") and key in required_for(
                contract, await _supplier_facts(contract["supplier"])):
            raise InvalidInput(f"{key} can't be 'not_applicable': the contract is for a processor "
                               "of personal data, and Article 28 requires every one of its terms.")
        row = await ContractClause.select().where(
            (ContractClause.contract == contract_id) & (ContractClause.key == key)).first()
        if row is not None and version is not None and version != row["version"]:
            from portal.core.errors import Conflict

            raise Conflict("Someone else changed this clause; reload and try again.",
                           extra={"current_version": row["version"]})
        values = {"status": status, "source": "manual", "updated_by": actor}
        if key == "breach.notification":
            values["hours"] = hours  # 0 = "immediately"; None = no window stated
        if location is not None:
            values["location"] = location
        if note is not None:
            values["note"] = note
        if row is None:
            written = await ContractClause.insert(ContractClause(
                contract=contract_id, key=key, **values)).on_conflict(
                target=(ContractClause.contract, ContractClause.key), action="DO NOTHING"
            ).returning(ContractClause.id)
        else:
            written = await ContractClause.update({
                **{ContractClause._meta.get_column_by_name(k): v for k, v in values.items()},
                ContractClause.version: row["version"] + 1, ContractClause.updated_at: now(),
            }).where((ContractClause.id == row["id"])
                     & (ContractClause.version == row["version"])).returning(ContractClause.id)
        if not written:
            from portal.core.errors import Conflict

            raise Conflict("Someone else set this clause at the same moment; reload and try again.")
        await audit.record("contract.clause_set", target_type="contract", target_id=contract_id,
                           supplier_id=contract["supplier"],
                           before={"key": key, "status": row["status"] if row else None,
                                   "source": row["source"] if row else None},
                           after={"key": key, **values})
    return next(c for c in (await checklist(contract_id))["clauses"] if c["key"] == key)
