"""Test records built through the same service functions every entry point uses (the one
write path), so a factory-made record is audited and scored like a real one.

Each factory takes keyword overrides; defaults are believable NHS supplier data.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from portal.assessments import service as assessments
from portal.certifications import service as certifications
from portal.certifications.schemas import CertificationCreate
from portal.suppliers import service as suppliers
from portal.suppliers.schemas import ContactCreate, ContractCreate, SupplierCreate

_serial = itertools.count(1)


async def supplier(**overrides: Any) -> dict[str, Any]:
    n = next(_serial)
    values = {"name": f"Meridian Health Records {n}", "legal_name": f"Meridian Health Records {n} Ltd",
              "handles_personal_data": True, "handles_patient_data": False, "affects_care": False}
    values.update(overrides)
    return await suppliers.create_supplier(SupplierCreate(**values))


async def contact(supplier_id: int, **overrides: Any) -> dict[str, Any]:
    n = next(_serial)
    values = {"name": f"Helen Carter {n}", "email": f"helen{n}@meridian.example"}
    values.update(overrides)
    return await suppliers.create_contact(supplier_id, ContactCreate(**values))


async def contract(supplier_id: int, **overrides: Any) -> dict[str, Any]:
    today = dt.date.today()
    values = {"supplier_id": supplier_id, "title": "Electronic patient record",
              "reference": f"RCH-EPR-{next(_serial)}", "products_services": ["EPR licence"],
              "start_date": today - dt.timedelta(days=200),
              "end_date": today + dt.timedelta(days=900), "data_role": "processor",
              "personal_data": True, "patient_data": True}
    values.update(overrides)
    return await suppliers.create_contract(ContractCreate(**values))


async def certification(supplier_id: int, **overrides: Any) -> dict[str, Any]:
    values = {"supplier_id": supplier_id, "scheme": "cyber_essentials",
              "issued_on": dt.date.today() - dt.timedelta(days=30),
              "certificate_number": f"CE-{next(_serial)}"}
    values.update(overrides)
    return await certifications.create_certification(CertificationCreate(**values))


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def sent_assessment(supplier_id: int, contact_id: int, *,
                          questionnaire: str = "ndg10-supplier-due-diligence",
                          due_in_days: int = 30) -> tuple[dict[str, Any], str]:
    """A questionnaire sent to a contact: the assessment and its link token (shown once)."""
    return await assessments.send(supplier_id=supplier_id, contact_id=contact_id,
                                  questionnaire=questionnaire,
                                  due_date=dt.date.today() + dt.timedelta(days=due_in_days))


def plain_answer(question: dict[str, Any]) -> Any:
    """A compliant-looking answer a careful supplier would give to a question that isn't a file."""
    kind = question["type"]
    values = [o["value"] for o in question["options"]]
    if kind == "yes_no":
        return "yes" if "yes" in values else values[0]
    if kind == "single_choice":
        return values[0]
    if kind == "multi_choice":
        return values[:1]
    if kind == "number":
        return 24
    if kind == "date":
        return "2027-06-30"
    return "As described in our security policy."


async def answered(token: str) -> dict[str, Any]:
    """Every visible question answered through the supplier's service (files with a PDF);
    returns the supplier's view."""
    for _ in range(5):  # answers can reveal follow-up questions
        view = await assessments.supplier_view(token)
        todo = [q for sec in view["questionnaire"]["sections"] for q in sec["questions"]
                if q["visible"] and q["id"] not in view["answers"]]
        if not todo:
            return view
        for question in todo:
            if question["type"] == "file":
                evidence = await assessments.add_evidence(token, question["id"],
                                                          filename="certificate.pdf", data=PDF)
                value = [evidence["id"]]
            else:
                value = plain_answer(question)
            await assessments.save_answer(token, question["id"], value=value)
    return await assessments.supplier_view(token)


async def submitted_assessment(supplier_id: int, contact_id: int) -> tuple[dict[str, Any], str]:
    assessment, token = await sent_assessment(supplier_id, contact_id)
    await answered(token)
    await assessments.submit(token)
    return assessment, token


async def accepted_assessment(supplier_id: int, contact_id: int, *,
                              check_answers: bool = False) -> dict[str, Any]:
    """A submitted assessment a reviewer accepted (with `check_answers`, each answer first)."""
    assessment, _ = await submitted_assessment(supplier_id, contact_id)
    if check_answers:
        for question_id in await assessments.answer_rows(assessment["id"]):
            await assessments.review_answer(assessment["id"], question_id, decision="accepted",
                                            comment="", reviewer="demo-reviewer")
    await assessments.review(assessment["id"], decision="accept", comment="Thorough answers.",
                             question_ids=None, reviewer="demo-reviewer")
    return assessment
