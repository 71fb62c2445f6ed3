"""Test records built through the same service functions every entry point uses (the one
write path), so a factory-made record is audited and scored like a real one.

Each factory takes keyword overrides; defaults are believable NHS supplier data.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

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
