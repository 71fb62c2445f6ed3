"""Sign-off of the DSPT evidence pack: the IG lead's and the SIRO's approvals, recorded.

A pack's *version* is numbered per toolkit year, in order. One version is one content: the
organisation's category, the "as at" date and the SHA-256 over the pack's manifest (which
hashes every record type the pack summarises). Approving the pack as it stands records that
version and hash, so a later reader knows which version was signed; when the records change,
the next approval is of the next version. One approval per role per version: a unique key
refuses a second, whoever sends it and however close together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from enum import StrEnum
from typing import Any

from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

from models.tables import PackApproval
from portal.core import audit
from portal.core.context import current_actor
from portal.core.dates import uk_today
from portal.core.db import engine, write_transaction
from portal.core.errors import Conflict, InvalidInput
from portal.core.security import now
from portal.reports import snapshot

_VERSION_LOCK = 7_470_012  # PostgreSQL advisory lock: one version number handed out at a time


class ApprovalRole(StrEnum):
    ig_lead = "ig_lead"
    siro = "siro"


ROLE_LABELS = {ApprovalRole.ig_lead: "IG lead", ApprovalRole.siro: "SIRO"}


def manifest_digest(rows: list[tuple[str, int, str]]) -> str:
    """One SHA-256 over the pack's manifest rows (record type, count, hash)."""
    return hashlib.sha256(json.dumps([list(r) for r in rows]).encode()).hexdigest()


async def _content(toolkit: str, as_at: dt.date | None, data: dict[str, Any] | None,
                   manifest_rows: list[tuple[str, int, str]] | None = None
                   ) -> tuple[dict[str, Any], dt.date, int, str]:
    from portal.reports.service import manifest, toolkit_items

    if toolkit not in toolkit_items():
        raise InvalidInput(f"Unknown toolkit year {toolkit!r}; choose one of "
                           f"{', '.join(toolkit_items())}.")
    data = data if data is not None else await snapshot.portfolio(as_at)
    organisation = data.get("organisation") or {}
    return (data, as_at or uk_today(), int(organisation.get("dspt_category") or 1),
            manifest_digest(manifest_rows if manifest_rows is not None else manifest(data)))


def _out(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "toolkit": row["toolkit"], "version": row["version"],
            "category": row["category"], "as_at": row["as_at"],
            "manifest_sha256": row["manifest_sha256"], "approver_name": row["approver_name"],
            "role": row["role"], "role_label": ROLE_LABELS.get(row["role"], row["role"]),
            "approved_at": row["approved_at"], "approved_by": row["approved_by"]}


async def _version_of(toolkit: str, category: int, as_at: dt.date, digest: str
                      ) -> tuple[int, bool]:
    """The version number this content has (True) or would get if approved now (False)."""
    same = await PackApproval.select(PackApproval.version).where(
        (PackApproval.toolkit == toolkit) & (PackApproval.category == category)
        & (PackApproval.as_at == as_at) & (PackApproval.manifest_sha256 == digest)).order_by(
        PackApproval.version, ascending=False).first()
    if same:
        return same["version"], True
    latest = await PackApproval.select(PackApproval.version).where(
        PackApproval.toolkit == toolkit).order_by(PackApproval.version, ascending=False).first()
    return (latest["version"] + 1 if latest else 1), False


async def approval_block(*, toolkit: str, as_at: dt.date | None = None,
                         data: dict[str, Any] | None = None,
                         manifest: list[tuple[str, int, str]] | None = None) -> dict[str, Any]:
    """What the pack prints in its approval block: {version, as_at, manifest_sha256,
    approved (any approval of this very content yet), approvals: [{approver_name, role,
    role_label, approved_at, ...}]}. Pass the pack's own portfolio as `data` to save loading
    it twice, and its manifest (`service.manifest(data)`) to save hashing it twice; the
    version is the one this content has, or the next one if nobody signed it."""
    data, day, category, digest = await _content(toolkit, as_at, data, manifest)
    version, approved = await _version_of(toolkit, category, day, digest)
    rows = await PackApproval.select().where(
        (PackApproval.toolkit == toolkit) & (PackApproval.version == version)
        & (PackApproval.manifest_sha256 == digest)).order_by(PackApproval.approved_at) \
        if approved else []
    return {"toolkit": toolkit, "version": version, "as_at": day, "category": category,
            "manifest_sha256": digest, "approved": approved,
            "approvals": [_out(r) for r in rows]}


async def approve(*, toolkit: str, as_at: dt.date | None, role: str, approver_name: str
                  ) -> dict[str, Any]:
    """Record an approval of the pack as its records stand (at `as_at`, or today)."""
    try:
        role = ApprovalRole(role)
    except ValueError:
        raise InvalidInput("Choose the role you approve as: IG lead or SIRO.") from None
    name = " ".join(approver_name.split())
    if not name:
        raise InvalidInput("Enter the name of the person approving the pack.")
    if len(name) > 200:
        raise InvalidInput("The approver's name must be 200 characters or fewer.")
    data, day, category, digest = await _content(toolkit, as_at, None)
    actor = current_actor()
    async with write_transaction():
        db = engine()
        if isinstance(db, PostgresEngine):  # SQLite writers already queue (BEGIN IMMEDIATE)
            await db.run_querystring(QueryString("SELECT pg_advisory_xact_lock({})",
                                                 _VERSION_LOCK))
        version, _ = await _version_of(toolkit, category, day, digest)
        key = f"{toolkit}:{version}:{role.value}"
        inserted = await PackApproval.insert(PackApproval(
            toolkit=toolkit, category=category, as_at=day, version=version,
            manifest_sha256=digest, approver_name=name, role=role.value, approved_at=now(),
            approved_by=actor.name[:150], approval_key=key)).on_conflict(
            target=PackApproval.approval_key, action="DO NOTHING").returning(PackApproval.id)
        if not inserted:
            raise Conflict(f"Version {version} of the {toolkit} pack is already approved by the "
                           f"{ROLE_LABELS[role]}.")
        row = await PackApproval.select().where(PackApproval.id == inserted[0]["id"]).first()
        await audit.record("pack.approved", target_type="pack_approval", target_id=row["id"],
                           after=row)
    return _out(row)


async def list_approvals(*, toolkit: str | None = None) -> list[dict[str, Any]]:
    query = PackApproval.select().order_by(PackApproval.toolkit).order_by(
        PackApproval.version, ascending=False).order_by(PackApproval.approved_at)
    if toolkit:
        query = query.where(PackApproval.toolkit == toolkit)
    return [_out(r) for r in await query]
