"""Sub-processor change notices: the standing notice link, recording a notice (by the
supplier through its link, or by staff from an email), the decision, reminders and applying
the change to the register on its start date. Every write is audited in its transaction."""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

from pydantic import ValidationError

from models.tables import (
    NoticeLink,
    Organisation,
    StaffMember,
    SubProcessor,
    SubProcessorNotice,
    Supplier,
    SupplierContact,
)
from portal.assessments import links
from portal.core import audit, mail
from portal.core.db import write_transaction
from portal.core.errors import Conflict, InvalidInput, NotFound
from portal.core.security import hash_secret, now
from portal.notices import rules
from portal.suppliers import service as suppliers
from portal.suppliers.schemas import SubProcessorCreate, SubProcessorPatch

PURPOSE = b"notice-link"
NOTICE_FIELDS = ("name", "service", "data_processed", "location", "transfer_mechanism",
                 "tra_reference")


class NoticeLinkNotFound(NotFound):
    default_message = ("This link is not valid. It may have been replaced. Ask the "
                       "organisation for its current notice link.")


def notice_url(token: str) -> str:
    from portal.settings import get_settings

    return f"{get_settings().effective_base_url}/notify/{token}"


# The standing link ------------------------------------------------------------------------


async def issue_link(supplier_id: int, *, actor: str) -> str:
    """A new standing link for the supplier (the old one stops working); the token, once."""
    await suppliers.get_supplier(supplier_id)
    nonce = links.new_nonce()
    async with write_transaction():
        existing = await NoticeLink.select(NoticeLink.id).where(NoticeLink.supplier == supplier_id).first()
        values = {"link_nonce": nonce, "revoked_at": None, "created_by": actor, "created_at": now()}
        if existing:
            await NoticeLink.update({getattr(NoticeLink, k): v for k, v in values.items()}).where(
                NoticeLink.id == existing["id"])
            link_id = existing["id"]
        else:
            inserted = await NoticeLink.insert(NoticeLink(supplier=supplier_id, **values)).on_conflict(
                target=NoticeLink.supplier, action="DO UPDATE",
                values=[NoticeLink.link_nonce, NoticeLink.revoked_at, NoticeLink.created_by]
            ).returning(NoticeLink.id)
            link_id = inserted[0]["id"]
        token = links.derive(PURPOSE, link_id, nonce)
        await NoticeLink.update({NoticeLink.link_hash: hash_secret(token)}).where(NoticeLink.id == link_id)
        await audit.record("notice_link.issued", target_type="notice_link", target_id=link_id,
                           supplier_id=supplier_id)
    return token


async def revoke_link(supplier_id: int) -> None:
    async with write_transaction():
        row = await NoticeLink.select(NoticeLink.id).where(
            (NoticeLink.supplier == supplier_id) & NoticeLink.revoked_at.is_null()).first()
        if row is None:
            raise NotFound("This supplier has no live notice link.")
        await NoticeLink.update({NoticeLink.revoked_at: now(), NoticeLink.link_hash: None}).where(
            NoticeLink.id == row["id"])
        await audit.record("notice_link.revoked", target_type="notice_link", target_id=row["id"],
                           supplier_id=supplier_id)


async def link_state(supplier_id: int) -> dict[str, Any] | None:
    return await NoticeLink.select(NoticeLink.created_at, NoticeLink.created_by,
                                   NoticeLink.revoked_at).where(NoticeLink.supplier == supplier_id).first()


async def supplier_for_token(token: str) -> dict[str, Any]:
    if not token or len(token) > 100:
        raise NoticeLinkNotFound()
    row = await NoticeLink.select(NoticeLink.id, NoticeLink.supplier, NoticeLink.link_nonce,
                                  NoticeLink.supplier.name.as_alias("supplier_name")).where(
        (NoticeLink.link_hash == hash_secret(token)) & NoticeLink.revoked_at.is_null()).first()
    if row is None or not hmac.compare_digest(links.derive(PURPOSE, row["id"], row["link_nonce"]), token):
        raise NoticeLinkNotFound()
    return row


# Notices ----------------------------------------------------------------------------------


def _clean(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Check a notice as typed; (values, errors by field in plain words)."""
    errors: dict[str, str] = {}
    change = str(data.get("change") or "")
    if change not in rules.CHANGES:
        errors["change"] = "Choose whether a sub-processor is added, replaced or removed."
    values: dict[str, Any] = {"change": change}
    if change in ("add", "replace"):
        try:
            proposed = SubProcessorCreate(**{k: data.get(k) or "" for k in NOTICE_FIELDS
                                             if k != "transfer_mechanism"},
                                          transfer_mechanism=data.get("transfer_mechanism") or "unknown")
            values.update({k: getattr(proposed, k) for k in NOTICE_FIELDS})
            values["transfer_mechanism"] = str(getattr(proposed.transfer_mechanism, "value",
                                                       proposed.transfer_mechanism))
        except ValidationError as error:  # name the first field at fault
            first = error.errors()[0]
            field = str(first["loc"][0]) if first["loc"] else "name"
            errors[field] = ("Enter the sub-processor's name." if field == "name"
                             else f"Check this answer: {first['msg']}.")
    subprocessor = data.get("subprocessor_id")
    if change in ("replace", "remove"):
        if not subprocessor or not str(subprocessor).isdigit():
            errors["subprocessor_id"] = "Choose the sub-processor that is replaced or removed."
        else:
            values["subprocessor"] = int(subprocessor)
    start = data.get("intended_start")
    if isinstance(start, str):
        try:
            start = dt.date.fromisoformat(start)
        except ValueError:
            start = None
    if not isinstance(start, dt.date) or not (2000 <= start.year <= 2199):
        errors["intended_start"] = "Enter the date the change is meant to start, like 1 4 2027."
    else:
        values["intended_start"] = start
    return values, errors


async def record_notice(supplier_id: int, data: dict[str, Any], *, source: str, source_detail: str,
                        today: dt.date | None = None) -> dict[str, Any]:
    values, errors = _clean(data)
    if errors:
        raise InvalidInput(next(iter(errors.values())), extra={"errors": errors})
    if "subprocessor" in values:
        current = await SubProcessor.select(SubProcessor.id).where(
            (SubProcessor.id == values["subprocessor"]) & (SubProcessor.supplier == supplier_id)
            & SubProcessor.archived_at.is_null()).first()
        if current is None:
            raise InvalidInput("Choose one of this supplier's current sub-processors.",
                               extra={"errors": {"subprocessor_id": "Choose one of this supplier's "
                                                                     "current sub-processors."}})
    received = today or dt.date.today()
    deadline = rules.deadline(received, rules.load_policy())
    async with write_transaction():
        inserted = await SubProcessorNotice.insert(SubProcessorNotice(
            supplier=supplier_id, source=source, source_detail=source_detail[:2000],
            objection_deadline=deadline, received_at=now(), **values)).returning(SubProcessorNotice.id)
        notice_id = inserted[0]["id"]
        await audit.record("notice.received", target_type="sub_processor_notice", target_id=notice_id,
                           supplier_id=supplier_id,
                           after={"change": values["change"], "name": values.get("name", ""),
                                  "location": values.get("location", ""),
                                  "intended_start": values["intended_start"],
                                  "objection_deadline": deadline, "source": source})
    return await get_notice(notice_id)


async def get_notice(notice_id: int) -> dict[str, Any]:
    row = await SubProcessorNotice.select(*SubProcessorNotice.all_columns(),
                                          SubProcessorNotice.supplier.name.as_alias("supplier_name"),
                                          SubProcessorNotice.subprocessor.name.as_alias("replaces_name")
                                          ).where(SubProcessorNotice.id == notice_id).first()
    if row is None:
        raise NotFound(f"No sub-processor notice with id {notice_id}.")
    return _out(row)


def _out(row: dict[str, Any], today: dt.date | None = None) -> dict[str, Any]:
    return {**row, "days_left": rules.days_left(row["objection_deadline"], today or dt.date.today()),
            "decision_words": rules.DECISIONS.get(row["decision"], "")}


async def list_notices(*, supplier_id: int | None = None, open_only: bool = False) -> list[dict[str, Any]]:
    query = SubProcessorNotice.select(*SubProcessorNotice.all_columns(),
                                      SubProcessorNotice.supplier.name.as_alias("supplier_name"),
                                      SubProcessorNotice.subprocessor.name.as_alias("replaces_name"))
    if supplier_id is not None:
        query = query.where(SubProcessorNotice.supplier == supplier_id)
    if open_only:
        query = query.where(SubProcessorNotice.status == "open")
    rows = await query.order_by(SubProcessorNotice.objection_deadline)
    today = dt.date.today()
    return [_out(r, today) for r in rows]


async def _organisation() -> str:
    row = await Organisation.select(Organisation.name).first()
    return row["name"] if row else "We"


async def _supplier_contacts(supplier_id: int) -> list[str]:
    rows = await SupplierContact.select(SupplierContact.email).where(
        (SupplierContact.supplier == supplier_id) & SupplierContact.archived_at.is_null())
    return sorted({r["email"] for r in rows if r["email"]})


def _what(notice: dict[str, Any]) -> str:
    if notice["change"] == "remove":
        return f"removing sub-processor {notice['replaces_name']}"
    what = f"{notice['name']} ({notice['location'] or 'location not stated'})"
    return f"replacing {notice['replaces_name']} with {what}" if notice["change"] == "replace" \
        else f"adding sub-processor {what}"


async def decide(notice_id: int, *, decision: str, reasons: str, actor: str,
                 version: int | None = None) -> dict[str, Any]:
    if decision not in rules.DECISIONS:
        raise InvalidInput("Choose no objection, objection or accepted with conditions.",
                           extra={"errors": {"decision": "Choose a decision."}})
    reasons = reasons.strip()
    if decision != "no_objection" and not reasons:
        message = "Give the reasons for the objection." if decision == "objection" \
            else "Give the conditions."
        raise InvalidInput(message, extra={"errors": {"reasons": message}})
    async with write_transaction():
        notice = await get_notice(notice_id)
        if notice["status"] != "open":
            raise Conflict("This notice has already been decided.")
        updated = await SubProcessorNotice.update({
            SubProcessorNotice.status: "decided", SubProcessorNotice.decision: decision,
            SubProcessorNotice.decision_reasons: reasons[:10_000], SubProcessorNotice.decided_by: actor,
            SubProcessorNotice.decided_at: now(), SubProcessorNotice.version: notice["version"] + 1,
        }).where((SubProcessorNotice.id == notice_id) & (SubProcessorNotice.status == "open")
                 & (SubProcessorNotice.version == (version or notice["version"]))).returning(
            SubProcessorNotice.id)
        if not updated:
            raise Conflict("Someone else decided or changed this notice; reload it.")
        await audit.record("notice.decided", target_type="sub_processor_notice", target_id=notice_id,
                           supplier_id=notice["supplier"], after={"decision": decision})
        organisation = await _organisation()
        words = rules.DECISIONS[decision].lower()
        for address in await _supplier_contacts(notice["supplier"]):
            await mail.queue(
                to=address, related_type="sub_processor_notice", related_id=notice_id,
                subject=f"{organisation}: {words} to your sub-processor change",
                body=(f"You told us on {notice['received_at']:%d %B %Y} that you intend "
                      f"{_what(notice)} from {notice['intended_start']:%d %B %Y}.\n\n"
                      f"Our decision: {rules.DECISIONS[decision]}.\n"
                      + (f"\n{'Reasons' if decision == 'objection' else 'Conditions'}:\n{reasons}\n"
                         if reasons else "")
                      + f"\n{organisation}\n"))
    return await get_notice(notice_id)


# Jobs (portal/jobs.py) ---------------------------------------------------------------------


async def _reviewers() -> list[str]:
    rows = await StaffMember.select(StaffMember.user.email.as_alias("email")).where(
        StaffMember.role.is_in(["reviewer", "admin"]) & (StaffMember.user.active == True))  # noqa: E712
    return sorted({r["email"] for r in rows if r["email"]})


async def send_reminders(today: dt.date | None = None) -> int:
    """Email the reviewers about each open notice whose deadline is near (once per notice)."""
    today = today or dt.date.today()
    policy = rules.load_policy()
    sent = 0
    for notice in await list_notices(open_only=True):
        if notice["reminded_at"] or not rules.reminder_due(notice["objection_deadline"], today, policy):
            continue
        async with write_transaction():
            claimed = await SubProcessorNotice.update({SubProcessorNotice.reminded_at: now()}).where(
                (SubProcessorNotice.id == notice["id"]) & SubProcessorNotice.reminded_at.is_null()
            ).returning(SubProcessorNotice.id)
            if not claimed:
                continue
            left = rules.days_left(notice["objection_deadline"], today)
            for address in await _reviewers():
                await mail.queue(
                    to=address, related_type="sub_processor_notice", related_id=notice["id"],
                    subject=f"Sub-processor notice from {notice['supplier_name']}: "
                            f"{max(left, 0)} days left to object",
                    body=(f"{notice['supplier_name']} intends {_what(notice)} from "
                          f"{notice['intended_start']:%d %B %Y}.\n\nThe objection window closes "
                          f"on {notice['objection_deadline']:%d %B %Y}. Record the decision in the "
                          f"workspace: /staff/notices/{notice['id']}\n"))
            await audit.record("notice.reminded", target_type="sub_processor_notice",
                               target_id=notice["id"], supplier_id=notice["supplier"])
            sent += 1
    return sent


async def apply_due(today: dt.date | None = None) -> int:
    """On its start date a change we didn't object to updates the register (its service)."""
    today = today or dt.date.today()
    applied = 0
    rows = await SubProcessorNotice.select().where(
        SubProcessorNotice.status.is_in(["open", "decided"]) & (SubProcessorNotice.intended_start <= today))
    for notice in rows:
        if not rules.may_apply(status=notice["status"], decision=notice["decision"],
                               intended_start=notice["intended_start"],
                               objection_deadline=notice["objection_deadline"], today=today):
            continue
        async with write_transaction():
            claimed = await SubProcessorNotice.update({
                SubProcessorNotice.status: "applied", SubProcessorNotice.applied_at: now(),
                SubProcessorNotice.version: notice["version"] + 1}).where(
                (SubProcessorNotice.id == notice["id"]) & (SubProcessorNotice.status == notice["status"])
            ).returning(SubProcessorNotice.id)
            if not claimed:
                continue
            if notice["change"] in ("replace", "remove") and notice["subprocessor"]:
                ended = notice["intended_start"] - dt.timedelta(days=1)
                current = await suppliers.get_subprocessor(notice["subprocessor"])
                since = current["since"]
                await suppliers.update_subprocessor(notice["subprocessor"], SubProcessorPatch(
                    until=max(ended, since) if since else ended, version=current["version"]))
            if notice["change"] in ("add", "replace"):
                await suppliers.create_subprocessor(notice["supplier"], SubProcessorCreate(
                    **{k: notice[k] for k in NOTICE_FIELDS}, since=notice["intended_start"],
                    notes=f"From sub-processor notice {notice['id']}"))
            await audit.record("notice.applied", target_type="sub_processor_notice",
                               target_id=notice["id"], supplier_id=notice["supplier"])
            applied += 1
    return applied


async def supplier_name(supplier_id: int) -> str:
    row = await Supplier.select(Supplier.name).where(Supplier.id == supplier_id).first()
    if row is None:
        raise NotFound(f"No supplier with id {supplier_id}.")
    return row["name"]
