"""Campaigns: one questionnaire (or each supplier's tier's bundle) sent to every supplier a
filter matches.

A bundle campaign (`definition_key` BUNDLE) gives each matched supplier one member per
questionnaire its tier requires (scoring/policy.yaml `due_diligence.required`); a member is
unique per (campaign, supplier, questionnaire), so the same claims hold per questionnaire.

Creating a campaign writes its members (each supplier once: a unique index) in one short
transaction; the assessments are then sent in batches, each member claimed by a conditional
update and sent through the same `service.send` as a single send (audited, emails queued in
the outbox), in that member's own transaction. So a 2,000-supplier campaign never holds one
giant transaction, a re-run or a second worker picks up only what is left, and a double
press of Send finds the campaign the first press made (its request key is unique).

Batches are sent by the Send request itself (the first batch, so a small campaign is done at
once), by "Send the next batch" on the campaign page, and by the scheduled jobs
(`portal jobs run`, or every minute inside `portal serve`) until none is left.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from models.tables import (
    Assessment,
    AuditEvent,
    Campaign,
    CampaignMember,
    Contract,
    Supplier,
    SupplierContact,
    SupplierScore,
)
from portal.assessments import service
from portal.assessments.campaign_rules import (
    ALREADY_OPEN,
    BUNDLE,
    Candidate,
    Filter,
    bundle,
    bundle_keys,
    choose,
    percent,
)
from portal.core import audit
from portal.core.db import write_transaction
from portal.core.errors import InvalidInput, NotFound, PortalError
from portal.core.security import now
from questionnaires import states
from questionnaires.loader import shipped

BATCH = 50


def filter_from(data: dict[str, Any]) -> Filter:
    ends = data.get("contract_ends_before")
    return Filter(tiers=tuple(data.get("tiers") or ()), ratings=tuple(data.get("ratings") or ()),
                  supplier_types=tuple(data.get("supplier_types") or ()),
                  diligence_older_than_months=data.get("diligence_older_than_months"),
                  contract_ends_before=dt.date.fromisoformat(ends) if isinstance(ends, str)
                  else ends, skip_open=bool(data.get("skip_open", True)))


BUNDLE_TITLE = "The questionnaires each supplier's tier needs"


# Tiers and what each needs belong to scoring (a higher layer): it hands its policy's
# `due_diligence` section in when it is loaded (portal.wiring loads it for every entry point).
_needs_source: Callable[[], dict[str, Any]] | None = None


def use_due_diligence_policy(source: Callable[[], dict[str, Any]]) -> None:
    global _needs_source
    _needs_source = source


def due_diligence_needs() -> dict[str, Any]:
    """What each supplier's score asks for (scoring/policy.yaml `due_diligence`): `required`
    per tier, `processor_needs`, `affects_care_needs`; shipped questionnaires only."""
    if _needs_source is None:
        raise InvalidInput("A tier's bundle needs the scoring policy, which is not loaded.")
    spec = _needs_source()
    known = shipped()
    return {"required": {tier: [k for k in keys if k in known]
                         for tier, keys in spec.get("required", {}).items()},
            "processor_needs": [k for k in spec.get("processor_needs", []) if k in known],
            "affects_care_needs": [k for k in spec.get("affects_care_needs", []) if k in known]}


def required_by_tier() -> dict[str, list[str]]:
    """Tier -> the questionnaire keys it needs, before the processor and care additions."""
    return due_diligence_needs()["required"]


def _title(key: str) -> str:
    if key == BUNDLE:
        return BUNDLE_TITLE
    definition = shipped().get(key)
    return definition.title if definition else key


def _definition(key: str):
    if key == BUNDLE:
        return None
    definition = shipped().get(key)
    if definition is None:
        raise InvalidInput(f"Choose a questionnaire: {key!r} is not one of "
                           + ", ".join(sorted(shipped())) + ".")
    return definition


async def candidates(questionnaire: str) -> list[Candidate]:
    """Every current supplier with the facts a filter asks about (a fixed number of queries)."""
    rows = await Supplier.select(Supplier.id, Supplier.name, Supplier.supplier_type,
                                 Supplier.affects_care).where(
        Supplier.archived_at.is_null()).order_by(Supplier.name)
    scores = {r["supplier"]: r for r in await SupplierScore.select(
        SupplierScore.supplier, SupplierScore.tier, SupplierScore.rating)}
    contacts: dict[int, int] = {}
    for r in await SupplierContact.select(SupplierContact.id, SupplierContact.supplier).where(
            SupplierContact.archived_at.is_null()).order_by(SupplierContact.id):
        contacts.setdefault(r["supplier"], r["id"])
    of_kind = await Assessment.select(Assessment.supplier, Assessment.status,
                                      Assessment.decided_at).where(
        Assessment.definition.key == questionnaire)
    accepted: dict[int, dt.date] = {}
    open_: set[int] = set()
    for r in of_kind:
        if r["status"] == states.State.accepted and r["decided_at"]:
            day = r["decided_at"].date()
            accepted[r["supplier"]] = max(day, accepted.get(r["supplier"], day))
        elif r["status"] in states.PENDING and r["status"] != states.State.draft:
            open_.add(r["supplier"])
    ends: dict[int, list[dt.date]] = {}
    processors: set[int] = set()
    for r in await Contract.select(Contract.supplier, Contract.end_date, Contract.data_role,
                                   Contract.personal_data).where(
            Contract.archived_at.is_null()):
        if r["end_date"] is not None:
            ends.setdefault(r["supplier"], []).append(r["end_date"])
        if r["data_role"] == "processor" and r["personal_data"]:
            processors.add(r["supplier"])
    return [Candidate(supplier_id=r["id"], name=r["name"],
                      tier=scores.get(r["id"], {}).get("tier"),
                      rating=scores.get(r["id"], {}).get("rating"),
                      supplier_type=r["supplier_type"], last_accepted=accepted.get(r["id"]),
                      contract_end_dates=ends.get(r["id"], []), has_open=r["id"] in open_,
                      contact_id=contacts.get(r["id"]), processor=r["id"] in processors,
                      affects_care=bool(r["affects_care"])) for r in rows]


async def _choose(questionnaire: str, rule: Filter, today: dt.date
                  ) -> tuple[list[Candidate], list[tuple[Candidate, str]]]:
    """Who gets what: each candidate carries the questionnaire it is sent."""
    if questionnaire == BUNDLE:
        spec = due_diligence_needs()
        return bundle(rule, {k: await candidates(k) for k in bundle_keys(spec)}, spec, today)
    chosen, skipped = choose(rule, await candidates(questionnaire), today)
    for c in chosen + [c for c, _ in skipped]:
        c.questionnaire = questionnaire
    return chosen, skipped


async def preview(*, questionnaire: str, rule: Filter,
                  today: dt.date | None = None) -> dict[str, Any]:
    _definition(questionnaire)
    chosen, skipped = await _choose(questionnaire, rule, today or dt.date.today())
    return {"questionnaire": {"key": questionnaire, "title": _title(questionnaire)},
            "recipients": [{"supplier_id": c.supplier_id, "name": c.name, "tier": c.tier,
                            "rating": c.rating, "last_accepted": c.last_accepted,
                            "questionnaire": _title(c.questionnaire)}
                           for c in chosen],
            "skipped": [{"supplier_id": c.supplier_id, "name": c.name, "reason": why,
                         "questionnaire": _title(c.questionnaire) if c.questionnaire else ""}
                        for c, why in skipped]}


def _check(name: str, due_date: dt.date) -> None:
    if not name.strip():
        raise InvalidInput("Enter a name for the campaign.")
    if len(name) > 200:
        raise InvalidInput("The campaign name must be 200 characters or fewer.")
    if due_date < dt.date.today() or due_date > dt.date.today() + dt.timedelta(days=366):
        raise InvalidInput("The due date must be today or later, and within a year.")


async def create(*, name: str, questionnaire: str, rule: Filter, due_date: dt.date,
                 request_key: str, created_by: str) -> tuple[int, bool]:
    """The campaign and its members; (id, False) when this request key already made one."""
    _definition(questionnaire)
    _check(name, due_date)
    if not (8 <= len(request_key) <= 64):
        raise InvalidInput("The form has expired; preview the campaign again.")
    chosen, skipped = await _choose(questionnaire, rule, dt.date.today())
    async with write_transaction():
        made = await Campaign.insert(Campaign(
            name=name.strip(), definition_key=questionnaire, filter=json.dumps(rule.as_json()),
            due_date=due_date, request_key=request_key, status="sending",
            created_by=created_by[:150])).on_conflict(
            target=Campaign.request_key, action="DO NOTHING").returning(Campaign.id)
        if not made:
            existing = await Campaign.select(Campaign.id).where(
                Campaign.request_key == request_key).first()
            return existing["id"], False
        campaign_id = made[0]["id"]
        members = [CampaignMember(campaign=campaign_id, supplier=c.supplier_id,
                                  definition_key=c.questionnaire or questionnaire,
                                  contact=c.contact_id, status="pending") for c in chosen]
        members += [CampaignMember(campaign=campaign_id, supplier=c.supplier_id,
                                   definition_key=c.questionnaire or questionnaire,
                                   contact=c.contact_id, status="skipped", reason=why)
                    for c, why in skipped]
        for start in range(0, len(members), 500):
            await CampaignMember.insert(*members[start:start + 500]).on_conflict(
                target=(CampaignMember.campaign, CampaignMember.supplier,
                        CampaignMember.definition_key), action="DO NOTHING")
        await audit.record("campaign.created", target_type="campaign", target_id=campaign_id,
                           after={"name": name.strip(), "questionnaire": questionnaire,
                                  "filter": rule.as_json(), "due_date": due_date,
                                  "recipients": len(chosen), "skipped": len(skipped)})
    return campaign_id, True


async def send_batch(campaign_id: int, *, limit: int = BATCH) -> int:
    """Send up to `limit` of the campaign's pending members; how many were handled."""
    campaign = await _campaign(campaign_id)
    if campaign["status"] != "sending":
        return 0
    rule = filter_from(_loads(campaign["filter"]))
    pending = await CampaignMember.select(CampaignMember.id, CampaignMember.supplier,
                                          CampaignMember.contact,
                                          CampaignMember.definition_key).where(
        (CampaignMember.campaign == campaign_id) & (CampaignMember.status == "pending")
    ).order_by(CampaignMember.id).limit(limit)
    handled = 0
    for member in pending:
        async with write_transaction():
            # Claimed in the transaction that sends: a second worker waits on the row, then
            # finds it no longer pending, and sends nothing twice.
            claimed = await CampaignMember.update({CampaignMember.status: "sending"}).where(
                (CampaignMember.id == member["id"]) & (CampaignMember.status == "pending")
            ).returning(CampaignMember.id)
            if not claimed:
                continue
            values: dict[Any, Any] = {CampaignMember.updated_at: now()}
            try:
                assessment, _ = await service.send(
                    supplier_id=member["supplier"], contact_id=member["contact"],
                    questionnaire=member["definition_key"] or campaign["definition_key"],
                    due_date=campaign["due_date"],
                    force=not rule.skip_open)
                values |= {CampaignMember.status: "sent",
                           CampaignMember.assessment: assessment["id"]}
            except service.AlreadyOpen:
                values |= {CampaignMember.status: "skipped", CampaignMember.reason: ALREADY_OPEN}
            except PortalError as error:  # archived since, contact gone, due date passed
                values |= {CampaignMember.status: "skipped",
                           CampaignMember.reason: error.message[:300]}
            await CampaignMember.update(values).where(CampaignMember.id == member["id"])
            handled += 1
    if not await CampaignMember.exists().where(
            (CampaignMember.campaign == campaign_id)
            & CampaignMember.status.is_in(["pending", "sending"])):
        async with write_transaction():
            done = await Campaign.update({Campaign.status: "sent"}).where(
                (Campaign.id == campaign_id) & (Campaign.status == "sending")
            ).returning(Campaign.id)
            if done:
                await audit.record("campaign.sent", target_type="campaign",
                                   target_id=campaign_id, after={"status": "sent"})
    return handled


async def send_pending(limit: int = BATCH) -> int:
    """The scheduled job: a batch of every campaign still sending."""
    handled = 0
    for row in await Campaign.select(Campaign.id).where(Campaign.status == "sending"):
        handled += await send_batch(row["id"], limit=limit)
    return handled


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def _campaign(campaign_id: int) -> dict[str, Any]:
    row = await Campaign.select().where(Campaign.id == campaign_id).first()
    if row is None:
        raise NotFound(f"No campaign with id {campaign_id}.")
    return row


async def _member_rows(campaign_ids: list[int]) -> list[dict[str, Any]]:
    if not campaign_ids:
        return []
    return await CampaignMember.select(
        CampaignMember.id, CampaignMember.campaign, CampaignMember.status, CampaignMember.reason,
        CampaignMember.supplier, CampaignMember.supplier.name.as_alias("supplier_name"),
        CampaignMember.definition_key,
        CampaignMember.assessment, CampaignMember.assessment.status.as_alias("assessment_status"),
        CampaignMember.assessment.due_date.as_alias("due_date"),
        CampaignMember.assessment.opened_at.as_alias("opened_at"),
        CampaignMember.assessment.submitted_at.as_alias("submitted_at"),
    ).where(CampaignMember.campaign.is_in(campaign_ids)).order_by(CampaignMember.id)


def _is_overdue(m: dict[str, Any], today: dt.date) -> bool:
    return bool(m["assessment"] and m["assessment_status"] in states.OPEN_FOR_ANSWERS
                and m["due_date"] and m["due_date"] < today)


def _stats(members: list[dict[str, Any]], chased: int, today: dt.date) -> dict[str, Any]:
    sent = [m for m in members if m["assessment"]]
    opened = sum(1 for m in sent if m["opened_at"] or m["submitted_at"])
    submitted = sum(1 for m in sent if m["submitted_at"])
    accepted = sum(1 for m in sent if m["assessment_status"] == states.State.accepted)
    total = sum(1 for m in members if m["status"] != "skipped" or m["assessment"])
    return {"total": total, "sent": len(sent),
            "pending": sum(1 for m in members if m["status"] in ("pending", "sending")),
            "skipped": sum(1 for m in members if m["status"] == "skipped"),
            "opened": opened, "opened_pct": percent(opened, len(sent)),
            "submitted": submitted, "submitted_pct": percent(submitted, len(sent)),
            "accepted": accepted, "accepted_pct": percent(accepted, len(sent)),
            "overdue": sum(1 for m in sent if _is_overdue(m, today)), "chased": chased}


async def _chased(assessment_ids: list[int]) -> int:
    if not assessment_ids:
        return 0
    return await AuditEvent.count().where(
        (AuditEvent.target_type == "assessment") & (AuditEvent.action == "assessment.chased")
        & AuditEvent.target_id.is_in([str(i) for i in assessment_ids]))


def _out(campaign: dict[str, Any], stats: dict[str, Any]) -> dict[str, Any]:
    return {"id": campaign["id"], "name": campaign["name"],
            "questionnaire": {"key": campaign["definition_key"],
                              "title": _title(campaign["definition_key"])},
            "filter": _loads(campaign["filter"]), "due_date": campaign["due_date"],
            "status": campaign["status"], "created_by": campaign["created_by"],
            "created_at": campaign["created_at"], "stats": stats}


async def detail(campaign_id: int, today: dt.date | None = None) -> dict[str, Any]:
    campaign = await _campaign(campaign_id)
    members = await _member_rows([campaign_id])
    chased = await _chased([m["assessment"] for m in members if m["assessment"]])
    today = today or dt.date.today()
    return {**_out(campaign, _stats(members, chased, today)),
            "members": [{"supplier_id": m["supplier"], "supplier": m["supplier_name"],
                         "questionnaire": _title(m["definition_key"] or campaign["definition_key"]),
                         "status": m["status"], "reason": m["reason"],
                         "assessment_id": m["assessment"],
                         "assessment_status": m["assessment_status"], "due_date": m["due_date"],
                         "overdue": _is_overdue(m, today)} for m in members]}


async def list_campaigns(*, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    rows = await Campaign.select().order_by(Campaign.id, ascending=False).limit(limit) \
        .offset(offset)
    members = await _member_rows([r["id"] for r in rows])
    today = dt.date.today()
    by_campaign: dict[int, list[dict[str, Any]]] = {}
    for m in members:
        by_campaign.setdefault(m["campaign"], []).append(m)
    return ([_out(r, _stats(by_campaign.get(r["id"], []), 0, today)) for r in rows],
            await Campaign.count())


async def chase_overdue(campaign_id: int) -> int:
    """Chase every overdue questionnaire of the campaign (each through `service.chase`)."""
    members = await _member_rows([campaign_id])
    await _campaign(campaign_id)
    chased = 0
    today = dt.date.today()
    for m in members:
        if _is_overdue(m, today):
            try:
                await service.chase(m["assessment"])
            except service.TransitionRefused:
                continue  # submitted or revoked meanwhile
            chased += 1
    return chased


async def start(*, name: str, questionnaire: str, rule: Filter, due_date: dt.date,
                request_key: str, created_by: str, dry_run: bool = False) -> dict[str, Any]:
    """Preview, or create and send the first batch: what the API and the Send button do."""
    shown = await preview(questionnaire=questionnaire, rule=rule)
    if dry_run:
        return {"dry_run": True, "preview": shown, "campaign": None, "created": False}
    campaign_id, created = await create(name=name, questionnaire=questionnaire, rule=rule,
                                        due_date=due_date, request_key=request_key,
                                        created_by=created_by)
    if created:
        await send_batch(campaign_id)
    campaign = await detail(campaign_id)
    campaign.pop("members")
    return {"dry_run": False, "preview": shown, "campaign": campaign, "created": created}
