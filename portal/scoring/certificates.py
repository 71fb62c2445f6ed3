"""A supplier's uploaded certificate becomes a pending certification record (derived data).

When a due diligence assessment is accepted, each certificate the supplier described (its
number and issue date) and uploaded becomes a Certification at `evidence_uploaded`, linked
to the file, for a reviewer to verify (POST /api/v1/certifications/{id}/verify) instead of
re-keying it. Insert-if-absent on `source_key` (answers:<assessment>:<scheme>), so any path
that accepts, and any rerun, creates it once. Registered before the score.
"""

from __future__ import annotations

import datetime as dt
import json

from models.tables import Answer, Assessment, Certification, EvidenceFile
from portal.core import audit
from questionnaires.states import State

# Which answers describe which certificate (question ids of the shipped due diligence
# questionnaire, version 2026.2 and later; earlier versions did not ask for the details).
CERTIFICATE_ANSWERS = {
    "cyber_essentials": {
        "file": "cyber_essentials_certificate", "certificate_number": "ce_certificate_number",
        "issued_on": "ce_issue_date", "certification_body": "ce_certification_body",
        "legal_entity": "ce_legal_entity", "audited_on": "ce_plus_audit_date"},
    "iso27001": {
        "file": "iso27001_certificate", "certificate_number": "iso27001_certificate_number",
        "issued_on": "iso27001_issue_date", "expires_on": "iso27001_expiry",
        "certification_body": "iso27001_certification_body",
        "accreditation_body": "iso27001_accreditation_body",
        "legal_entity": "iso27001_legal_entity", "scope": "iso27001_scope",
        "edition": "iso27001_edition"},
}
EDITIONS = {"iso2022": "2022", "iso2013": "2013"}
LIMITS = {"certificate_number": 100, "certification_body": 200, "accreditation_body": 100,
          "legal_entity": 200, "edition": 20}


def _loads(value):
    return json.loads(value) if isinstance(value, str) else value


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def pending_certificates(answers: dict, evidence_ids: dict[str, list[int]]) -> list[dict]:
    """The certification records the answers describe (plain values, for the tests)."""
    held = set(answers.get("certifications_held") or [])
    out = []
    for family, fields in CERTIFICATE_ANSWERS.items():
        if family == "cyber_essentials":
            if "cyber_essentials_plus" in held:
                scheme = "cyber_essentials_plus"
            elif "cyber_essentials" in held:
                scheme = "cyber_essentials"
            else:
                continue
        elif family in held:
            scheme = family
        else:
            continue
        number = str(answers.get(fields["certificate_number"]) or "").strip()
        issued = _date(answers.get(fields["issued_on"]))
        files = evidence_ids.get(fields["file"]) or []
        if not (number and issued and files):
            continue  # only a described and uploaded certificate is worth a reviewer's time
        record = {"scheme": scheme, "certificate_number": number, "issued_on": issued,
                  "evidence": files[0]}
        for name, question in fields.items():
            if name in ("file", "certificate_number", "issued_on"):
                continue
            value = answers.get(question)
            if name in ("expires_on", "audited_on"):
                if scheme == "cyber_essentials" and name == "audited_on":
                    continue
                record[name] = _date(value)
            elif name == "edition":
                record[name] = EDITIONS.get(value, "")
            else:
                record[name] = str(value or "").strip()[:LIMITS.get(name, 5000)]
        out.append(record)
    return out


async def create_pending_certifications(supplier_ids: list[int]) -> int:
    if not supplier_ids:
        return 0
    rows = await Assessment.select(Assessment.id, Assessment.supplier,
                                   Assessment.definition.key).where(
        Assessment.supplier.is_in(supplier_ids) & (Assessment.status == State.accepted)
        & (Assessment.definition.key == "ndg10-supplier-due-diligence"))
    if not rows:
        return 0
    ids = [r["id"] for r in rows]
    answers: dict[int, dict] = {i: {} for i in ids}
    for row in await Answer.select(Answer.assessment, Answer.question_id, Answer.value).where(
            Answer.assessment.is_in(ids)):
        answers[row["assessment"]][row["question_id"]] = _loads(row["value"])
    files: dict[int, dict[str, list[int]]] = {i: {} for i in ids}
    for row in await EvidenceFile.select(EvidenceFile.id, EvidenceFile.assessment,
                                         EvidenceFile.question_id).where(
            EvidenceFile.assessment.is_in(ids) & EvidenceFile.withdrawn_at.is_null()).order_by(
            EvidenceFile.id):
        files[row["assessment"]].setdefault(row["question_id"], []).append(row["id"])
    created = 0
    for row in rows:
        for record in pending_certificates(answers[row["id"]], files[row["id"]]):
            key = f"answers:{row['id']}:{record['scheme']}"
            inserted = await Certification.insert(Certification(
                supplier=row["supplier"], verification="evidence_uploaded", source_key=key,
                flags_cleared="[]", notes=f"From the accepted assessment {row['id']}: awaiting "
                                          "a reviewer's check.", **record)).on_conflict(
                target=Certification.source_key, action="DO NOTHING").returning(Certification.id)
            if inserted:
                created += 1
                await audit.record("certification.from_answers", target_type="certification",
                                   target_id=inserted[0]["id"], supplier_id=row["supplier"],
                                   after=await Certification.select().where(
                                       Certification.id == inserted[0]["id"]).first())
    return created
