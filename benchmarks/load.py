"""`make load`: 50 suppliers answering and uploading at once for 60 s, then every acknowledged
write is checked against the database. Not part of `make test`.

PostgreSQL by default (PORTAL_LOAD_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/test
as the server to create a scratch database on); LOAD_SUPPLIERS and LOAD_SECONDS change the size.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from urllib.parse import urlparse, urlunparse

SUPPLIERS = int(os.environ.get("LOAD_SUPPLIERS", "50"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
WORKERS = int(os.environ.get("LOAD_WORKERS", "2"))
QUESTIONS = ["legal_name", "companies_house_number", "anything_else"]
PDF = b"%PDF-1.4\n% load test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

server_url = os.environ.get("PORTAL_LOAD_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
scratch = f"portal_load_{uuid.uuid4().hex[:8]}"
workdir = tempfile.mkdtemp(prefix="portal-load-")
for name in [k for k in os.environ if k.startswith("PORTAL_")]:
    del os.environ[name]
os.environ.update({"PORTAL_DATA_DIR": workdir, "PORTAL_LOG_LEVEL": "WARNING",
                   "PICCOLO_CONF": "portal.piccolo_conf",
                   "PORTAL_DATABASE_URL": urlunparse(urlparse(server_url)._replace(path=f"/{scratch}"))})


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def line(label: str, value: str) -> None:
    print(f"{label:40} {value}", flush=True)


async def prepare() -> list[str]:
    from portal.assessments import service as assessments
    from portal.core.migrations import migrate
    from portal.suppliers import service as suppliers
    from portal.suppliers.schemas import ContactCreate, SupplierCreate

    await migrate()
    tokens = []
    for i in range(SUPPLIERS):
        supplier = await suppliers.create_supplier(SupplierCreate(
            name=f"Load supplier {i}", handles_personal_data=True, handles_patient_data=False,
            affects_care=False))
        contact = await suppliers.create_contact(supplier["id"], ContactCreate(
            name=f"Contact {i}", email=f"contact{i}@load.example"))
        _, token = await assessments.send(supplier_id=supplier["id"], contact_id=contact["id"],
                                          questionnaire="ndg10-supplier-due-diligence",
                                          due_date=dt.date.today() + dt.timedelta(days=30))
        tokens.append(token)
    return tokens


async def drive(base: str, tokens: list[str]) -> dict:
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    acknowledged: dict[tuple[str, str], tuple[int, str]] = {}
    uploads: list[tuple[str, int]] = []
    deadline = time.perf_counter() + SECONDS
    limits = httpx.Limits(max_connections=SUPPLIERS, max_keepalive_connections=SUPPLIERS)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        async def supplier(index: int, token: str) -> None:
            versions: dict[str, int] = {}
            n = 0
            while time.perf_counter() < deadline:
                n += 1
                start = time.perf_counter()
                try:
                    if n % 25 == 0:
                        response = await client.post(
                            f"/api/v1/respond/{token}/evidence",
                            data={"question_id": "cyber_essentials_certificate"},
                            files={"file": (f"cert-{index}-{n}.pdf", PDF + str(n).encode(),
                                            "application/pdf")})
                        if response.status_code == 201:
                            uploads.append((token, response.json()["id"]))
                    else:
                        question = QUESTIONS[n % len(QUESTIONS)]
                        value = f"supplier {index} answer {n}"
                        body = {"value": value}
                        if question in versions:
                            body["version"] = versions[question]
                        response = await client.put(f"/api/v1/respond/{token}/answers/{question}",
                                                    json=body)
                        if response.status_code == 200:
                            versions[question] = response.json()["version"]
                            acknowledged[(token, question)] = (versions[question], value)
                except httpx.HTTPError as error:
                    errors.append(type(error).__name__)
                    continue
                latencies.append((time.perf_counter() - start) * 1000)
                if response.status_code >= 300:
                    errors.append(str(response.status_code))

        started = time.perf_counter()
        await asyncio.gather(*(supplier(i, t) for i, t in enumerate(tokens)))
        elapsed = time.perf_counter() - started
    return {"latencies": sorted(latencies), "errors": errors, "acknowledged": acknowledged,
            "uploads": uploads, "elapsed": elapsed}


async def verify(result: dict) -> tuple[int, int]:
    from models.tables import Answer, Assessment, EvidenceFile
    from portal.core.security import hash_secret

    lost = 0
    for (token, question), (version, value) in result["acknowledged"].items():
        assessment = await Assessment.select(Assessment.id).where(
            Assessment.link_hash == hash_secret(token)).first()
        row = await Answer.select(Answer.value, Answer.version).where(
            (Answer.assessment == assessment["id"]) & (Answer.question_id == question)).first()
        stored = json.loads(row["value"]) if row and isinstance(row["value"], str) else None
        if row is None or row["version"] != version or stored != value:
            lost += 1
    missing_files = 0
    for _, evidence_id in result["uploads"]:
        if not await EvidenceFile.exists().where(EvidenceFile.id == evidence_id):
            missing_files += 1
    return lost, missing_files


async def main() -> None:
    import httpx

    tokens = await prepare()
    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "portal.app:create_app", "--factory", "--port", str(port),
         "--workers", str(WORKERS), "--log-level", "warning", "--no-access-log"],
        env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
        result = await drive(base, tokens)
    finally:
        server.terminate()
        server.wait(timeout=20)
    latencies = result["latencies"]
    saves = sum(1 for _ in result["acknowledged"])  # distinct (supplier, question) pairs
    line("suppliers at once / seconds / workers", f"{SUPPLIERS} / {SECONDS:.0f} / {WORKERS}")
    line("requests", f"{len(latencies):,} = {len(latencies) / result['elapsed']:,.0f} req/s")
    line("latency p50 / p95 / p99", f"{statistics.median(latencies):.1f} / "
         f"{latencies[int(len(latencies) * 0.95) - 1]:.1f} / {latencies[int(len(latencies) * 0.99) - 1]:.1f} ms")
    line("errors", f"{len(result['errors'])} {sorted(set(result['errors']))[:5]}")
    lost, missing = await verify(result)
    line("acknowledged answers checked", f"{saves} (latest per supplier and question)")
    line("lost or changed acknowledged answers", str(lost))
    line("acknowledged uploads missing", f"{missing} of {len(result['uploads'])}")
    if lost or missing:
        sys.exit(1)


asyncio.run(_admin(f'CREATE DATABASE "{scratch}"'))
try:
    asyncio.run(main())
finally:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    shutil.rmtree(workdir, ignore_errors=True)
