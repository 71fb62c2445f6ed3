"""Gathering each supplier's facts, scoring them and storing the score with its breakdown.

Facts for many suppliers are loaded in a handful of queries (never one per supplier), so a
portfolio of tens of thousands is rescored in seconds; see `make bench`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from typing import Any

from piccolo.query.functions.aggregate import Count

from models.tables import (
    AnswerReview,
    Assessment,
    Certification,
    Contract,
    ContractClause,
    ContractDocument,
    EvidenceFile,
    ProductService,
    ReusedAssessment,
    Risk,
    Supplier,
    SupplierContact,
    SupplierScore,
)
from portal.assessments import campaigns
from portal.contracts.rules import required_for
from portal.core import audit, changes
from portal.core.bulk import portfolio_work
from portal.core.db import id_in, insert_many, write_transaction
from portal.core.errors import NotFound
from portal.core.security import now
from portal.scoring.answers import read
from portal.scoring.certificates import create_pending_certifications
from portal.scoring.knockouts import open_knockout_risks, subprocessor_knockouts
from portal.scoring.rules import (
    AssessmentFacts,
    CertificationFacts,
    ContractFacts,
    FailingAnswer,
    RiskFacts,
    Score,
    SupplierFacts,
    load_policy,
    score,
)
from questionnaires.states import State

CHUNK = 500


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)] or [[]]


async def _select(query_factory, ids: list[int] | None) -> list[dict]:
    """Run a query for all suppliers, or for the given ids in chunks."""
    if ids is None:
        return await query_factory(None)
    rows: list[dict] = []
    for chunk in _chunks(ids):
        if chunk:
            rows.extend(await query_factory(chunk))
    return rows


async def assessment_readings(wanted: list[tuple[int, int]]) -> dict[int, Any]:
    """How each accepted assessment's answers read (compliant, evidenced, checked, failing),
    for many (assessment id, definition id) pairs in a few queries per chunk of 500."""
    from portal.assessments.service import answer_values, frozen_definition

    if not wanted:
        return {}
    definitions = {d: await frozen_definition(d) for d in {d for _, d in wanted}}
    ids = [a for a, _ in wanted]
    values = await answer_values(ids)
    evidenced: dict[int, set[str]] = defaultdict(set)
    checked: dict[int, set[str]] = defaultdict(set)
    for chunk in _chunks(ids):
        if not chunk:
            continue
        for r in await EvidenceFile.select(EvidenceFile.assessment, EvidenceFile.question_id).where(
                EvidenceFile.assessment.is_in(chunk) & EvidenceFile.withdrawn_at.is_null()):
            evidenced[r["assessment"]].add(r["question_id"])
        for r in await AnswerReview.select(AnswerReview.assessment, AnswerReview.question_id).where(
                AnswerReview.assessment.is_in(chunk) & (AnswerReview.decision == "accepted")):
            checked[r["assessment"]].add(r["question_id"])
    return {a: reading_of(definitions[d], values[a], evidenced=evidenced[a], checked=checked[a])
            for a, d in wanted}


async def assessment_reading(assessment_id: int, definition_id: int):
    """How an accepted assessment's answers read: compliant, evidenced, checked, failing."""
    return (await assessment_readings([(assessment_id, definition_id)]))[assessment_id]


def reading_of(definition, values: dict[str, Any], *, evidenced: set[str], checked: set[str]):
    """The reading of answers under the policy's assurance factors (plain values)."""
    return read(definition, values, evidence_questions=evidenced, checked=checked,
                factors=load_policy()["answer_assurance"])


def reused_query():
    """The reused assessments' columns the score reads (today's, or as at a date)."""
    return ReusedAssessment.select(
        ReusedAssessment.id, ReusedAssessment.supplier, ReusedAssessment.definition,
        ReusedAssessment.definition.key, ReusedAssessment.definition.title,
        ReusedAssessment.accepted_at, ReusedAssessment.expires_on, ReusedAssessment.answers,
        ReusedAssessment.files, ReusedAssessment.issuer_name, ReusedAssessment.key_id)


async def reused_reading(row: dict[str, Any]):
    """A reused assessment's answers: one the issuing organisation's reviewer accepted counts
    at the policy's `reused` weight (less than our own check), one backed by a file in the
    bundle as evidenced (at most `reused`), the rest as assertions."""
    from portal.assessments.service import frozen_definition

    definition = await frozen_definition(row["definition"])
    answers = json.loads(row["answers"]) if isinstance(row["answers"], str) else row["answers"]
    files = json.loads(row["files"]) if isinstance(row["files"], str) else row["files"]
    factors = load_policy()["answer_assurance"]
    return read(definition, {a["question_id"]: a["value"] for a in answers},
                evidence_questions={f["question_id"] for f in files},
                checked={a["question_id"] for a in answers if a.get("decision") == "accepted"},
                factors={"asserted": factors["asserted"],
                         "evidenced": min(factors["evidenced"], factors["reused"]),
                         "checked": factors["reused"]})


async def assessment_share(assessment_id: int, definition_id: int) -> float | None:
    return (await assessment_reading(assessment_id, definition_id)).share


async def load_facts(ids: list[int] | None = None) -> list[SupplierFacts]:
    def where(column, chunk):
        return id_in(column, chunk) if chunk is not None else None

    async def q_suppliers(chunk):
        query = Supplier.select(Supplier.id, Supplier.name, Supplier.legal_name,
                                Supplier.handles_personal_data, Supplier.handles_patient_data,
                                Supplier.affects_care, Supplier.supplier_type).where(
            Supplier.archived_at.is_null())
        return await (query.where(where(Supplier.id, chunk)) if chunk is not None else query)

    async def q_contacts(chunk):
        query = SupplierContact.select(SupplierContact.supplier, Count()).where(
            SupplierContact.archived_at.is_null()).group_by(SupplierContact.supplier)
        return await (query.where(where(SupplierContact.supplier, chunk)) if chunk is not None else query)

    async def q_contracts(chunk):
        query = Contract.select(Contract.id, Contract.supplier, Contract.title, Contract.start_date,
                                Contract.end_date, Contract.data_role, Contract.personal_data,
                                Contract.patient_data, Contract.system_access,
                                Contract.supports_essential_function,
                                Contract.special_category_data).where(Contract.archived_at.is_null())
        return await (query.where(where(Contract.supplier, chunk)) if chunk is not None else query)

    async def q_certs(chunk):
        query = Certification.select(Certification.id, Certification.supplier, Certification.scheme,
                                     Certification.status, Certification.issued_on,
                                     Certification.expires_on, Certification.edition,
                                     Certification.verification, Certification.legal_entity,
                                     Certification.scope, Certification.accreditation_body,
                                     Certification.audited_on, Certification.scheme_name,
                                     Certification.flags_cleared).where(
            Certification.archived_at.is_null())
        return await (query.where(where(Certification.supplier, chunk)) if chunk is not None else query)

    async def q_assessments(chunk):
        query = Assessment.select(Assessment.id, Assessment.supplier, Assessment.status,
                                  Assessment.decided_at, Assessment.definition,
                                  Assessment.definition.key, Assessment.definition.title)
        return await (query.where(where(Assessment.supplier, chunk)) if chunk is not None else query)

    async def q_reused(chunk):
        query = reused_query()
        return await (query.where(where(ReusedAssessment.supplier, chunk)) if chunk is not None else query)

    async def q_risks(chunk):
        query = Risk.select(Risk.id, Risk.supplier, Risk.kind, Risk.severity, Risk.status,
                            Risk.owner, Risk.mitigation, Risk.data_security_risk, Risk.title,
                            Risk.source_key, Risk.criterion, Risk.gate, Risk.accepted_by,
                            Risk.accepted_role, Risk.accepted_reason, Risk.accepted_until)
        return await (query.where(where(Risk.supplier, chunk)) if chunk is not None else query)

    suppliers = await _select(q_suppliers, ids)
    if not suppliers:
        return []
    contacts = {r["supplier"]: r["count"] for r in await _select(q_contacts, ids)}
    contracts = await _select(q_contracts, ids)
    contract_ids = [c["id"] for c in contracts]

    async def q_products(chunk):
        query = ProductService.select(ProductService.contract, Count()).group_by(ProductService.contract)
        return await (query.where(id_in(ProductService.contract, chunk)) if chunk is not None else query)

    async def q_clauses(chunk):
        query = ContractClause.select(ContractClause.contract, ContractClause.key,
                                      ContractClause.status, ContractClause.hours)
        return await (query.where(id_in(ContractClause.contract, chunk)) if chunk is not None else query)

    async def q_documents(chunk):
        query = ContractDocument.select(ContractDocument.contract,
                                        ContractDocument.breach_notification_hours).order_by(
            ContractDocument.id)
        return await (query.where(id_in(ContractDocument.contract, chunk)) if chunk is not None else query)

    scope = None if ids is None else contract_ids
    products = {r["contract"]: r["count"] for r in await _select(q_products, scope)}
    clauses: dict[int, dict[str, str]] = defaultdict(dict)
    manual_hours: dict[int, int] = {}
    for row in await _select(q_clauses, scope):
        clauses[row["contract"]][row["key"]] = row["status"]
        if row["key"] == "breach.notification" and row["hours"] is not None:
            manual_hours[row["contract"]] = row["hours"]  # a reviewer's hours beat the scan's
    breach = {r["contract"]: r["breach_notification_hours"] for r in await _select(q_documents, scope)}
    breach.update(manual_hours)
    certs = await _select(q_certs, ids)
    assessments = await _select(q_assessments, ids)
    risks = await _select(q_risks, ids)
    window = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    reused = [(r, await reused_reading(r)) for r in await _select(q_reused, ids)
              if r["accepted_at"] >= window]

    readings = await assessment_readings(_latest_accepted(assessments))
    return facts_from_rows(suppliers=suppliers, contacts=contacts, contracts=contracts,
                           products=products, clauses=clauses, breach=breach, certs=certs,
                           assessments=assessments, risks=risks, readings=readings,
                           reused=reused)


def facts_from_rows(*, suppliers: list[dict], contacts: dict[int, int], contracts: list[dict],
                    products: dict[int, int], clauses: dict[int, dict[str, str]],
                    breach: dict[int, int | None], certs: list[dict], assessments: list[dict],
                    risks: list[dict], readings: dict[int, Any],
                    reused: list[tuple[dict, Any]] = ()) -> list[SupplierFacts]:
    """The scoring facts from plain rows: today's tables (`load_facts`) or the records as they
    stood at a date (`portal.reports.snapshot`), so both are scored by the same rules."""
    by_supplier: dict[str, dict[int, list]] = {k: defaultdict(list) for k in
                                               ("contracts", "certs", "assessments", "risks")}
    supplier_rows = {s["id"]: s for s in suppliers}
    for c in contracts:
        by_supplier["contracts"][c["supplier"]].append(ContractFacts(
            id=c["id"], title=c["title"], start_date=c["start_date"], end_date=c["end_date"],
            data_role=c["data_role"], personal_data=c["personal_data"],
            patient_data=c["patient_data"], products=products.get(c["id"], 0),
            clauses=clauses.get(c["id"], {}),
            required=required_for(c, supplier_rows.get(c["supplier"])),
            breach_hours=breach.get(c["id"]), system_access=c["system_access"],
            supports_essential_function=c["supports_essential_function"],
            special_category_data=c["special_category_data"]))
    for c in certs:
        by_supplier["certs"][c["supplier"]].append(CertificationFacts(
            id=c["id"], scheme=c["scheme"], status=c["status"], issued_on=c["issued_on"],
            expires_on=c["expires_on"], edition=c["edition"], verification=c["verification"],
            legal_entity=c["legal_entity"], scope=c["scope"],
            accreditation_body=c["accreditation_body"], audited_on=c["audited_on"],
            scheme_name=c["scheme_name"], cleared=_cleared(c["flags_cleared"])))
    for a in assessments:
        reading = readings.get(a["id"])
        by_supplier["assessments"][a["supplier"]].append(AssessmentFacts(
            id=a["id"], status=a["status"],
            decided_at=a["decided_at"].date() if a["decided_at"] else None,
            compliance_share=reading.share if reading else None,
            definition_key=a["definition.key"], title=a["definition.title"],
            compliant=reading.compliant if reading else 0,
            scorable=reading.scorable if reading else 0,
            evidenced=reading.evidenced if reading else 0,
            checked=reading.checked if reading else 0,
            failing=tuple(FailingAnswer(*f) for f in reading.failing) if reading else ()))
    for r, reading in reused:  # another organisation's accepted assessments, with their reading
        by_supplier["assessments"][r["supplier"]].append(AssessmentFacts(
            id=r["id"], status=State.accepted, decided_at=r["accepted_at"].date(),
            compliance_share=reading.share, definition_key=r["definition.key"],
            title=r["definition.title"], compliant=reading.compliant, scorable=reading.scorable,
            evidenced=reading.evidenced,
            failing=tuple(FailingAnswer(*f) for f in reading.failing),
            reused_from=f"accepted by {r['issuer_name']} on {r['accepted_at']:%d %B %Y}, "
                        f"verified signature {r['key_id']}",
            expires_on=r["expires_on"]))
    for r in risks:
        by_supplier["risks"][r["supplier"]].append(RiskFacts(
            id=r["id"], kind=r["kind"], severity=r["severity"], status=r["status"],
            owner=r["owner"], mitigation=r["mitigation"],
            data_security_risk=r["data_security_risk"], title=r["title"],
            source_key=r["source_key"], criterion=r["criterion"], gate=r["gate"],
            accepted_by=r["accepted_by"], accepted_role=r["accepted_role"],
            accepted_reason=r["accepted_reason"], accepted_until=r["accepted_until"]))
    return [SupplierFacts(
        id=s["id"], name=s["name"], legal_name=s["legal_name"],
        handles_personal_data=s["handles_personal_data"],
        handles_patient_data=s["handles_patient_data"], affects_care=s["affects_care"],
        supplier_type=s["supplier_type"], contacts=contacts.get(s["id"], 0),
        contracts=tuple(by_supplier["contracts"][s["id"]]),
        certifications=tuple(by_supplier["certs"][s["id"]]),
        assessments=tuple(by_supplier["assessments"][s["id"]]),
        risks=tuple(by_supplier["risks"][s["id"]])) for s in suppliers]


def _latest_accepted(assessments: list[dict]) -> list[tuple[int, int]]:
    """(id, definition) of the accepted assessments the score can read: per supplier and
    questionnaire, those decided on the latest day within the last 400 days (the rules use the
    newest accepted one inside the validity window; on a tie, whichever comes first). Older
    ones count only by their status and date, so their answers are not read."""
    window = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    recent = [a for a in assessments if a["status"] == State.accepted and a["decided_at"]
              and a["decided_at"] >= window]
    newest: dict[tuple[int, str], dt.date] = {}
    for a in recent:
        key, day = (a["supplier"], a["definition.key"]), a["decided_at"].date()
        if key not in newest or day > newest[key]:
            newest[key] = day
    return [(a["id"], a["definition"]) for a in recent
            if a["decided_at"].date() == newest[(a["supplier"], a["definition.key"])]]


def _cleared(value) -> tuple[str, ...]:
    """Flag codes a reviewer cleared (stored as [{flag, by, at, note}, ...])."""
    if not value or value == "[]":  # nearly every certificate: nothing cleared
        return ()
    items = json.loads(value) if isinstance(value, str) else value
    return tuple(i["flag"] if isinstance(i, dict) else str(i) for i in items or [])


def breakdown_json(result: Score) -> str:
    """The stored form of a score's breakdown (also what a pack as at a date shows). Its exact
    text is hashed into the evidence pack's manifest, so it must not change for the same
    score: recorded approvals compare that hash."""
    return json.dumps({"criteria": result.breakdown(), "gates": result.gates,
                       "caps": [c.as_dict() for c in result.caps],
                       "tier_reasons": result.tier_reasons}, separators=(",", ":"), default=str)


def contract_gap(result: Score) -> bool:
    """The supplier's contracts lack required clauses: its 'contracted' criterion is not met."""
    return any(c.key == "contracted" and not c.met for c in result.criteria)


async def _store(results: list[tuple[int, Score]], *, skip_unchanged: bool = False,
                 facts_loaded_at: dt.datetime | None = None) -> int:
    """Upsert scores; with skip_unchanged, rows whose breakdown is the same are not rewritten;
    with facts_loaded_at, a row written after the facts were read (a change rescored it in
    its own transaction meanwhile) is kept, not overwritten by the older facts' score."""
    stamp = now()
    prepared = []
    for supplier_id, result in results:
        breakdown = breakdown_json(result)
        fingerprint = hashlib.sha1(  # noqa: S324 - change detection, not security
            f"{result.score}|{result.rating}|{result.tier}|{breakdown}".encode()).hexdigest()
        prepared.append((supplier_id, result, breakdown, fingerprint))
    if skip_unchanged and prepared:
        known: dict[int, str] = {}
        for chunk in _chunks([p[0] for p in prepared]):
            if chunk:
                known.update({r["supplier"]: r["fingerprint"] for r in await SupplierScore.select(
                    SupplierScore.supplier, SupplierScore.fingerprint).where(
                    id_in(SupplierScore.supplier, chunk))})
        prepared = [p for p in prepared if known.get(p[0]) != p[3]]
    rows = [{"supplier": supplier_id, "score": result.score, "rating": result.rating,
             "tier": result.tier, "computed_at": stamp, "breakdown": breakdown,
             "fingerprint": fingerprint, "contract_gap": contract_gap(result)}
            for supplier_id, result, breakdown, fingerprint in prepared]
    await insert_many(SupplierScore, rows, conflict=SupplierScore.supplier,
                      update=[SupplierScore.score, SupplierScore.rating, SupplierScore.tier,
                              SupplierScore.breakdown, SupplierScore.fingerprint,
                              SupplierScore.computed_at, SupplierScore.contract_gap],
                      update_if_before=(SupplierScore.computed_at, facts_loaded_at)
                      if facts_loaded_at else None)
    return len(rows)


async def recompute(supplier_id: int, *, today: dt.date | None = None) -> Score | None:
    """Rescore one supplier; called in the same transaction as the change that moved it."""
    facts = await load_facts([supplier_id])
    if not facts:
        return None
    result = score(facts[0], today=today or dt.date.today())
    await _store([(supplier_id, result)])
    return result


async def recompute_many(supplier_ids: list[int], *, today: dt.date | None = None) -> int:
    today = today or dt.date.today()
    with portfolio_work():
        facts = await load_facts(supplier_ids)
        results = [(f.id, score(f, today=today)) for f in facts]
    async with write_transaction():
        with portfolio_work():
            await _store(results, skip_unchanged=True)
    return len(facts)


async def recompute_all(*, today: dt.date | None = None) -> int:
    today = today or dt.date.today()
    loaded_at = now()  # the facts are read outside the write: see _store
    with portfolio_work():
        facts = await load_facts(None)
        results = [(f.id, score(f, today=today)) for f in facts]
    async with write_transaction():
        with portfolio_work():
            changed = await _store(results, skip_unchanged=True, facts_loaded_at=loaded_at)
        if changed:
            # Written like every change, so the dashboard's counts (kept per data version,
            # the newest audit event) move with a rescoring that a date moving on caused.
            await audit.record("scores.rescored", target_type="portfolio", target_id="all",
                               after={"suppliers": len(results), "changed": changed,
                                      "as_at": today.isoformat()})
    return len(results)


async def get_score(supplier_id: int) -> dict[str, Any]:
    row = await SupplierScore.select().where(SupplierScore.supplier == supplier_id).first()
    if row is None:
        if not await Supplier.exists().where(Supplier.id == supplier_id):
            raise NotFound(f"No supplier with id {supplier_id}.")
        async with write_transaction():
            await recompute(supplier_id)
        row = await SupplierScore.select().where(SupplierScore.supplier == supplier_id).first()
        if row is None:
            raise NotFound(f"Supplier {supplier_id} is archived and has no score.")
    breakdown = row["breakdown"]
    breakdown = json.loads(breakdown) if isinstance(breakdown, str) else breakdown
    return {"supplier_id": supplier_id, "score": row["score"], "rating": row["rating"],
            "tier": row["tier"], "criteria": breakdown["criteria"], "gates": breakdown["gates"],
            "caps": breakdown.get("caps", []), "tier_reasons": breakdown.get("tier_reasons", []),
            "computed_at": row["computed_at"]}


# Audit actions that can't move a score: an answer typed into an open questionnaire counts
# only once the assessment is decided, and that decision is a write of its own.
_NOT_SCORE_INPUTS = ("answer.saved", "evidence.uploaded", "assessment.reminded")

# Registration order is run order: knock-out risks are opened before the score reads them.
changes.register("knockouts", open_knockout_risks, ignores=_NOT_SCORE_INPUTS)
changes.register("subprocessor_knockouts", subprocessor_knockouts, ignores=_NOT_SCORE_INPUTS)
changes.register("certificates", create_pending_certifications, ignores=_NOT_SCORE_INPUTS)
changes.register("score", recompute_many, ignores=_NOT_SCORE_INPUTS)
# A campaign of "the questionnaires each supplier's tier needs" reads them from this policy.
campaigns.use_due_diligence_policy(lambda: load_policy()["due_diligence"])


# What the supplier told us: shown on the supplier page and in its report, so that a green
# rating can never hide "data processed in India/USA with no safeguard".
DISCLOSURE_QUESTIONS = {
    "data_locations": "Where our data is stored",
    "data_in_uk": "All data stored and processed in the UK",
    "transfer_countries": "Countries outside the UK",
    "transfer_safeguards": "Transfer safeguard",
    "data_flows": "Data flows",
    "uses_subprocessors": "Uses sub-processors",
    "subprocessor_list": "Sub-processors",
    "special_category_kinds": "Special-category data",
    "our_systems_access": "Access to our systems",
    "ownership": "Ownership and control",
}


async def disclosures(supplier_id: int) -> list[dict[str, Any]]:
    """For the latest accepted assessment of each questionnaire: its failing answers and
    what it says about data locations, transfers and sub-processors."""
    from portal.assessments.service import answer_rows, frozen_definition

    rows = await Assessment.select(Assessment.id, Assessment.decided_at, Assessment.definition,
                                   Assessment.definition.key, Assessment.definition.title).where(
        (Assessment.supplier == supplier_id) & (Assessment.status == State.accepted)).order_by(
        Assessment.decided_at, ascending=False)
    seen, out = set(), []
    for row in rows:
        if row["definition.key"] in seen:
            continue
        seen.add(row["definition.key"])
        definition = await frozen_definition(row["definition"])
        reading = await assessment_reading(row["id"], row["definition"])
        values = {qid: a["value"] for qid, a in (await answer_rows(row["id"])).items()}
        facts = []
        for qid, label in DISCLOSURE_QUESTIONS.items():
            question = definition.question(qid)
            value = values.get(qid)
            if question is None or value in (None, "", []):
                continue
            options = {o.value: o.label for o in question.option_list()}
            shown = ", ".join(options.get(v, str(v)) for v in value) if isinstance(value, list) \
                else options.get(value, str(value))
            facts.append({"question_id": qid, "label": label, "answer": shown})
        out.append({"assessment_id": row["id"], "definition": row["definition.key"],
                    "title": row["definition.title"],
                    "decided_on": row["decided_at"].date() if row["decided_at"] else None,
                    "compliant": reading.compliant, "scorable": reading.scorable,
                    "evidenced": reading.evidenced, "checked": reading.checked,
                    "failing": [{"question_id": q, "question": t, "answer": a}
                                for q, t, a in reading.failing],
                    "facts": facts})
    return out
