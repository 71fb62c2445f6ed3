"""Answer bundles: export an accepted assessment signed with our key, keep the list of other
organisations' keys we trust, and import their bundles as reused assessments.

Every write goes through `write_transaction` with its audit event (`trust.*`,
`bundle.imported`); the supplier touched by an import is rescored by the change mechanism.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml

from models.tables import (
    AnswerReview,
    Assessment,
    AuditEvent,
    Certification,
    EvidenceFile,
    Organisation,
    QuestionnaireDefinition,
    ReusedAssessment,
    Supplier,
    TrustedIssuer,
)
from portal.assessments import service as assessments
from portal.bundles import envelope, keys, rules
from portal.bundles.rules import Refused
from portal.core import audit
from portal.core.dates import add_months
from portal.core.db import write_transaction
from portal.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PortalError,
    Unprocessable,
)
from portal.core.security import now
from portal.core.storage import evidence_store, key_for
from questionnaires import states
from questionnaires.states import State

POLICY_FILE = Path(__file__).with_name("policy.yaml")

# Each refusal reason, as HTTP: the body's `reason` names it for a program.
_STATUS = {"malformed": 400, "untrusted": 403, "tampered": 422, "expired": 422,
           "hash_mismatch": 422}


class BundleRefused(PortalError):
    def __init__(self, refused: Refused) -> None:
        super().__init__(refused.message, extra={"reason": refused.reason})
        self.status_code = _STATUS[refused.reason]


def policy() -> dict[str, Any]:
    return yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))


async def organisation() -> dict[str, str]:
    row = await Organisation.select(Organisation.name, Organisation.ods_code).first()
    return {"name": row["name"] if row else "This organisation",
            "ods_code": row["ods_code"] if row else ""}


# Export --------------------------------------------------------------------------------


async def _decided_by(assessment_id: int) -> str:
    event = await AuditEvent.select(AuditEvent.actor).where(
        (AuditEvent.target_type == "assessment") & (AuditEvent.target_id == str(assessment_id))
        & (AuditEvent.action == "assessment.accepted")).order_by(AuditEvent.id, ascending=False).first()
    return event["actor"] if event else ""


async def build(assessment_id: int, *, include_files: bool = False) -> dict[str, Any]:
    """The signed envelope for an accepted assessment (409 for any other)."""
    assessment = await Assessment.select().where(Assessment.id == assessment_id).first()
    if assessment is None:
        raise NotFound(f"No assessment with id {assessment_id}.")
    if assessment["status"] != State.accepted:
        raise Conflict("Only an accepted assessment can be exported as a bundle (this one is "
                       f"{states.describe(assessment['status'])}).")
    definition = await assessments.frozen_definition(assessment["definition"])
    supplier = await Supplier.select(Supplier.name, Supplier.legal_name,
                                     Supplier.companies_house_number, Supplier.ods_code).where(
        Supplier.id == assessment["supplier"]).first()
    reviews = await AnswerReview.select(AnswerReview.question_id, AnswerReview.decision,
                                        AnswerReview.reviewer).where(
        AnswerReview.assessment == assessment_id).order_by(AnswerReview.id)
    latest = {r["question_id"]: r for r in reviews}
    answers = await assessments.answer_rows(assessment_id)
    evidence = []
    store = evidence_store() if include_files else None
    for row in await EvidenceFile.select(
            EvidenceFile.question_id, EvidenceFile.filename, EvidenceFile.content_type,
            EvidenceFile.size, EvidenceFile.sha256, EvidenceFile.storage_key).where(
            (EvidenceFile.assessment == assessment_id) & EvidenceFile.withdrawn_at.is_null()
    ).order_by(EvidenceFile.id):
        item = {"question_id": row["question_id"], "name": row["filename"],
                "content_type": row["content_type"], "size": row["size"], "sha256": row["sha256"]}
        if store is not None:
            item["content_base64"] = base64.b64encode(await store.get(row["storage_key"])).decode("ascii")
        evidence.append(item)
    certs = await Certification.select(
        Certification.scheme, Certification.scheme_name, Certification.status,
        Certification.certificate_number, Certification.issued_on, Certification.expires_on,
        Certification.verification).where(
        (Certification.supplier == assessment["supplier"]) & Certification.archived_at.is_null())
    org = await organisation()
    active = keys.active_key()
    decided_at = assessment["decided_at"].astimezone(dt.UTC)
    payload = {
        "format": rules.FORMAT, "version": rules.VERSION,
        "bundle_id": rules.bundle_id(organisation=org["name"], ods_code=org["ods_code"],
                                     assessment_id=assessment_id, decided_at=decided_at.isoformat()),
        "issued_at": now().astimezone(dt.UTC).isoformat(),
        "expires_on": add_months(decided_at.date(), policy()["valid_months"]).isoformat(),
        "issuer": {**org, "key_id": active.key_id},
        "supplier": supplier,
        "definition": {"key": definition.key, "version": definition.version,
                       "title": definition.title, "content_hash": definition.content_hash,
                       "content": json.loads(definition.canonical_json())},
        "decision": {"outcome": "accepted", "decided_at": decided_at.isoformat(),
                     "decided_by": await _decided_by(assessment_id),
                     "comment": assessment["review_comment"]},
        "answers": [{"question_id": qid, "value": a["value"], "comment": a["comment"],
                     "decision": latest.get(qid, {}).get("decision"),
                     "reviewer": latest.get(qid, {}).get("reviewer", "")}
                    for qid, a in sorted(answers.items())],
        "evidence": evidence,
        "certifications": [{**c, "issued_on": c["issued_on"] and c["issued_on"].isoformat(),
                            "expires_on": c["expires_on"] and c["expires_on"].isoformat()}
                           for c in certs],
    }
    return envelope.sign(payload, keys.private_key())


class BundleNotReady(PermissionDenied):
    """A supplier asked for its signed answers before the organisation accepted them."""


async def supplier_download(token: str) -> tuple[str, dict[str, Any]]:
    """The supplier's own signed bundle through its link: the same `build` as the staff
    API, once the assessment is accepted (403 before). Audited as `bundle.downloaded`."""
    link = await assessments.open_link(token)
    assessment = link.assessment
    if assessment["status"] != State.accepted:
        raise BundleNotReady(
            "Your signed answers can be downloaded once the organisation has accepted this "
            f"questionnaire. It is {states.describe(assessment['status'])} now.")
    signed = await build(assessment["id"])
    async with write_transaction():
        await audit.record("bundle.downloaded", target_type="assessment",
                           target_id=assessment["id"], supplier_id=assessment["supplier"],
                           after={"by": "supplier_link", "key_id": signed["signatures"][0]["keyid"]})
    return f"signed-answers-assessment-{assessment['id']}.json", signed


# Supplier-held reuse: pre-fill a new questionnaire from a bundle the supplier uploads ------
#
# The checks are import's (shape, definition hash, expiry, and the signature whenever we hold
# the key: ours, active or retired, or a confirmed key on our trust list). A well-formed bundle
# from an issuer we don't trust may still pre-fill: the supplier reviews and submits every
# answer as its own and our reviewers review them, so nothing is taken on trust; the answers
# are marked "signature not checked" for the reviewer. A malformed, tampered, expired or
# mismatched bundle is refused with a 4xx in plain words and nothing is stored.


def _opened(document: Any) -> envelope.Opened:
    try:
        return envelope.open_envelope(document)
    except envelope.EnvelopeError as error:
        raise BundleRefused(Refused("malformed", f"The file is not a signed bundle: {error}.")) from None


def _checked(opened: envelope.Opened, public_key: str | None, signer: str,
             today: dt.date | None) -> rules.Checked:
    """The signature (when we hold the signer's key), then every check of the payload; each
    refusal in plain words. Import and pre-fill both read a bundle through this."""
    try:
        if public_key is not None:
            envelope.verify(opened, envelope.unb64(public_key, "the key"))
        data = opened.payload()
    except envelope.SignatureInvalid:
        raise BundleRefused(Refused("tampered", f"The bundle has been changed since {signer} "
                                                "signed it (the signature does not match), so "
                                                "it can't be used.")) from None
    except envelope.EnvelopeError as error:
        raise BundleRefused(Refused("malformed", f"The bundle can't be read: {error}.")) from None
    try:
        return rules.check_payload(data, envelope_key_id=opened.key_id,
                                   today=today or dt.date.today())
    except Refused as refused:
        raise BundleRefused(refused) from None


async def verify_for_prefill(document: Any, *, today: dt.date | None = None
                             ) -> tuple[rules.Checked, bool, str]:
    """(the checked payload, signature verified?, the issuer's name as we know it)."""
    opened = _opened(document)
    ours = keys.public_key_for(opened.key_id)
    trusted = None if ours else await TrustedIssuer.select().where(
        (TrustedIssuer.key_id == opened.key_id) & TrustedIssuer.confirmed_at.is_not_null()
        & TrustedIssuer.revoked_at.is_null()).first()
    name = (await organisation())["name"] if ours else trusted["organisation_name"] if trusted else ""
    public = ours.public_key if ours else trusted["public_key"] if trusted else None
    checked = _checked(opened, public, name or "its issuer", today)
    return checked, public is not None, name or checked.payload.issuer.name


def _same_supplier(ours: dict[str, Any], theirs: rules.SupplierRef) -> bool:
    """False only when both name a Companies House number (or an ODS code) and they differ."""
    for mine, other in ((ours["companies_house_number"], theirs.companies_house_number),
                        (ours["ods_code"], theirs.ods_code)):
        if mine.strip() and other.strip():
            return mine.strip().upper() == other.strip().upper()
    return True


async def prefill_from_bundle(token: str, data: bytes, *, today: dt.date | None = None
                              ) -> dict[str, Any]:
    """Verify the uploaded bundle and pre-fill the link's questionnaire from it."""
    link = await assessments.open_link(token)
    checked, verified, issuer = await verify_for_prefill(parse_file(data), today=today)
    supplier = await Supplier.select(Supplier.companies_house_number, Supplier.ods_code).where(
        Supplier.id == link.assessment["supplier"]).first()
    if not _same_supplier(supplier, checked.payload.supplier):
        raise BundleRefused(Refused("malformed", "This file holds the answers of "
                                                 f"{checked.payload.supplier.name}, not yours, "
                                                 "so it can't be used here."))
    accepted = checked.payload.decision.decided_at.date()
    source = (f"signed answers from {issuer}, accepted on {accepted:%-d %B %Y}, "
              + (f"signature verified (key {checked.payload.issuer.key_id})" if verified else
                 f"signature not checked: key {checked.payload.issuer.key_id} is not on "
                 "our trust list"))
    filled = await assessments.prefill(
        token, source_definition=checked.definition,
        source_answers={a.question_id: a.value for a in checked.payload.answers},
        kind="bundle_verified" if verified else "bundle_unverified", source=source,
        audit_after={"bundle_id": checked.payload.bundle_id, "verified": verified,
                     "issuer_key_id": checked.payload.issuer.key_id})
    return {"filled": filled, "verified": verified, "source": source}


# Trust list ----------------------------------------------------------------------------


def _issuer_out(row: dict[str, Any]) -> dict[str, Any]:
    status = "revoked" if row["revoked_at"] else "trusted" if row["confirmed_at"] else "pending"
    return {**row, "status": status,
            "fingerprint_display": envelope.format_fingerprint(row["fingerprint"])}


async def list_issuers() -> list[dict[str, Any]]:
    return [_issuer_out(r) for r in await TrustedIssuer.select().order_by(TrustedIssuer.id)]


async def get_issuer(issuer_id: int) -> dict[str, Any]:
    row = await TrustedIssuer.select().where(TrustedIssuer.id == issuer_id).first()
    if row is None:
        raise NotFound(f"No trusted organisation with id {issuer_id}.")
    return _issuer_out(row)


async def add_issuer(*, organisation_name: str, ods_code: str, public_key: str, actor: str,
                     fingerprint: str | None = None) -> dict[str, Any]:
    """Add a key as pending; with `fingerprint` (as the other organisation gave it) it is
    confirmed at once (the API), otherwise on the confirmation page."""
    name = organisation_name.strip()
    if not name:
        raise InvalidInput("Enter the organisation's name.", extra={"field": "organisation_name"})
    try:
        raw = envelope.parse_public_key(public_key)
    except envelope.EnvelopeError as error:
        raise InvalidInput(f"The public key can't be read: {error}.",
                           extra={"field": "public_key"}) from None
    if raw == envelope.unb64(keys.active_key().public_key, "our key"):
        raise InvalidInput("That is this organisation's own key.", extra={"field": "public_key"})
    kid, full = envelope.key_id(raw), envelope.fingerprint(raw)
    async with write_transaction():
        existing = await TrustedIssuer.select(TrustedIssuer.id).where(TrustedIssuer.key_id == kid).first()
        if existing:
            raise Conflict(f"Key {kid} is already on the trust list.")
        inserted = await TrustedIssuer.insert(TrustedIssuer(
            organisation_name=name[:200], ods_code=ods_code.strip()[:20], key_id=kid,
            public_key=envelope.b64(raw), fingerprint=full, added_by=actor)).on_conflict(
            action="DO NOTHING").returning(TrustedIssuer.id)
        if not inserted:
            raise Conflict(f"Key {kid} is already on the trust list.")
        issuer_id = inserted[0]["id"]
        await audit.record("trust.key_added", target_type="trusted_issuer", target_id=issuer_id,
                           after={"organisation_name": name, "key_id": kid, "fingerprint": full})
        if fingerprint is not None:
            return await confirm_issuer(issuer_id, fingerprint=fingerprint, actor=actor)
    return await get_issuer(issuer_id)


async def confirm_issuer(issuer_id: int, *, fingerprint: str, actor: str) -> dict[str, Any]:
    async with write_transaction():
        issuer = await get_issuer(issuer_id)
        if issuer["status"] != "pending":
            raise Conflict(f"This key is already {issuer['status']}.")
        if envelope.normalise_fingerprint(fingerprint) != issuer["fingerprint"]:
            raise InvalidInput("The fingerprint does not match this key. Do not trust it: ask "
                               "the organisation for its fingerprint again, by phone or in person.",
                               extra={"field": "fingerprint"})
        updated = await TrustedIssuer.update({TrustedIssuer.confirmed_at: now(),
                                              TrustedIssuer.confirmed_by: actor}).where(
            (TrustedIssuer.id == issuer_id) & TrustedIssuer.confirmed_at.is_null()
        ).returning(TrustedIssuer.id)
        if not updated:
            raise Conflict("Someone confirmed this key at the same moment.")
        await audit.record("trust.key_confirmed", target_type="trusted_issuer", target_id=issuer_id,
                           after={"key_id": issuer["key_id"], "fingerprint": issuer["fingerprint"]})
    return await get_issuer(issuer_id)


async def revoke_issuer(issuer_id: int) -> dict[str, Any]:
    async with write_transaction():
        issuer = await get_issuer(issuer_id)
        if issuer["status"] == "revoked":
            return issuer
        await TrustedIssuer.update({TrustedIssuer.revoked_at: now()}).where(
            TrustedIssuer.id == issuer_id)
        await audit.record("trust.key_revoked", target_type="trusted_issuer", target_id=issuer_id,
                           after={"key_id": issuer["key_id"]})
    return await get_issuer(issuer_id)


# Import --------------------------------------------------------------------------------


def parse_file(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BundleRefused(Refused("malformed", "The file is not a JSON bundle.")) from None


async def _supplier_for(ref: rules.SupplierRef) -> int:
    for column, value in ((Supplier.companies_house_number, ref.companies_house_number),
                          (Supplier.ods_code, ref.ods_code)):
        if value.strip():
            row = await Supplier.select(Supplier.id).where(
                (column == value.strip()) & Supplier.archived_at.is_null()).first()
            if row:
                return row["id"]
    raise Unprocessable(f"No supplier on the register matches {ref.name} (Companies House "
                        f"number {ref.companies_house_number or 'none'}, ODS code "
                        f"{ref.ods_code or 'none'}). Add it, or record its number, then import again.",
                        extra={"reason": "no_supplier"})


async def _definition_id(checked: rules.Checked) -> int:
    found = await QuestionnaireDefinition.select(QuestionnaireDefinition.id).where(
        QuestionnaireDefinition.content_hash == checked.definition.content_hash).first()
    if found:
        return found["id"]
    inserted = await QuestionnaireDefinition.insert(QuestionnaireDefinition(
        key=checked.definition.key, version=checked.definition.version,
        title=checked.definition.title, content_hash=checked.definition.content_hash,
        content=checked.definition.canonical_json())).on_conflict(action="DO NOTHING").returning(
        QuestionnaireDefinition.id)
    if inserted:
        return inserted[0]["id"]
    return (await QuestionnaireDefinition.select(QuestionnaireDefinition.id).where(
        QuestionnaireDefinition.content_hash == checked.definition.content_hash).first())["id"]


async def verify(document: Any, *, today: dt.date | None = None) -> tuple[rules.Checked, dict]:
    """Every check, nothing stored: (the checked payload, the issuer row)."""
    opened = _opened(document)
    issuer = await TrustedIssuer.select().where(TrustedIssuer.key_id == opened.key_id).first()
    if issuer is None or issuer["confirmed_at"] is None or issuer["revoked_at"] is not None:
        why = ("is not on our trust list" if issuer is None else
               "was revoked from our trust list" if issuer["revoked_at"] else
               "is on our trust list but its fingerprint has not been confirmed")
        raise BundleRefused(Refused("untrusted", f"The bundle is signed with key {opened.key_id}, "
                                                 f"which {why}."))
    return _checked(opened, issuer["public_key"], issuer["organisation_name"], today), issuer


async def import_bundle(document: Any, *, actor: str, today: dt.date | None = None
                        ) -> tuple[dict[str, Any], bool]:
    """Store a verified bundle as a reused assessment: (the record, created?)."""
    checked, issuer = await verify(document, today=today)
    p = checked.payload
    existing = await ReusedAssessment.select(ReusedAssessment.id).where(
        ReusedAssessment.bundle_id == p.bundle_id).first()
    if existing:
        return await get_reused(existing["id"]), False
    supplier_id = await _supplier_for(p.supplier)
    store = evidence_store()
    files = []
    for item in p.evidence:
        stored = None
        if item.sha256 in checked.files:
            stored = key_for(item.sha256)
            await store.put(stored, checked.files[item.sha256], item.content_type)
        files.append({**item.model_dump(exclude={"content_base64"}), "storage_key": stored})
    async with write_transaction():
        definition_id = await _definition_id(checked)
        inserted = await ReusedAssessment.insert(ReusedAssessment(
            supplier=supplier_id, bundle_id=p.bundle_id, issuer=issuer["id"],
            issuer_name=p.issuer.name, issuer_ods_code=p.issuer.ods_code, key_id=p.issuer.key_id,
            definition=definition_id, accepted_at=p.decision.decided_at,
            decided_by=p.decision.decided_by, expires_on=p.expires_on,
            answers=json.dumps([a.model_dump(mode="json") for a in p.answers]),
            certifications=json.dumps([c.model_dump(mode="json") for c in p.certifications]),
            files=json.dumps(files), imported_by=actor)).on_conflict(
            target=ReusedAssessment.bundle_id, action="DO NOTHING").returning(ReusedAssessment.id)
        if not inserted:  # the same bundle imported at the same moment
            row = await ReusedAssessment.select(ReusedAssessment.id).where(
                ReusedAssessment.bundle_id == p.bundle_id).first()
            return await get_reused(row["id"]), False
        reused_id = inserted[0]["id"]
        await audit.record("bundle.imported", target_type="reused_assessment", target_id=reused_id,
                           supplier_id=supplier_id,
                           after={"bundle_id": p.bundle_id, "issuer": p.issuer.name,
                                  "key_id": p.issuer.key_id, "definition": checked.definition.key,
                                  "expires_on": p.expires_on, "files": len(checked.files)})
    return await get_reused(reused_id), True


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def provenance(row: dict[str, Any]) -> str:
    return (f"Accepted by {row['issuer_name']} on {row['accepted_at']:%d %B %Y}, verified "
            f"signature {row['key_id']}")


async def get_reused(reused_id: int) -> dict[str, Any]:
    row = await ReusedAssessment.select(
        *ReusedAssessment.all_columns(), ReusedAssessment.definition.key,
        ReusedAssessment.definition.title, ReusedAssessment.supplier.name).where(
        ReusedAssessment.id == reused_id).first()
    if row is None:
        raise NotFound(f"No reused assessment with id {reused_id}.")
    return _reused_out(row)


def _reused_out(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "supplier_id": row["supplier"], "supplier_name": row["supplier.name"],
            "bundle_id": row["bundle_id"], "issuer_name": row["issuer_name"],
            "issuer_ods_code": row["issuer_ods_code"], "key_id": row["key_id"],
            "questionnaire_key": row["definition.key"], "questionnaire_title": row["definition.title"],
            "definition_id": row["definition"],
            "accepted_at": row["accepted_at"], "decided_by": row["decided_by"],
            "expires_on": row["expires_on"], "expired": row["expires_on"] < dt.date.today(),
            "provenance": provenance(row), "answers": _loads(row["answers"]),
            "certifications": _loads(row["certifications"]), "files": _loads(row["files"]),
            "imported_by": row["imported_by"], "imported_at": row["imported_at"]}


async def reused_for_supplier(supplier_id: int) -> list[dict[str, Any]]:
    rows = await ReusedAssessment.select(
        *ReusedAssessment.all_columns(), ReusedAssessment.definition.key,
        ReusedAssessment.definition.title, ReusedAssessment.supplier.name).where(
        ReusedAssessment.supplier == supplier_id).order_by(ReusedAssessment.accepted_at, ascending=False)
    return [_reused_out(r) for r in rows]


async def reused_view(reused_id: int) -> dict[str, Any]:
    """The reused assessment with its questions' text, for the review page."""
    reused = await get_reused(reused_id)
    definition = await assessments.frozen_definition(reused["definition_id"])
    by_id = {a["question_id"]: a for a in reused["answers"]}
    questions = []
    for section in definition.sections:
        for q in section.questions:
            if q.id not in by_id:
                continue
            labels = {o.value: o.label for o in q.option_list()}
            questions.append({"section": section.title, "question_id": q.id, "text": q.text,
                              "labels": labels, **by_id[q.id]})
    return {**reused, "questions": questions}
