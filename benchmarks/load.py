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


class Connection:
    """A bare HTTP/1.1 keep-alive connection: the load generator shares two cores with the
    portal, so it must cost far less per request than the server does (httpx costs as much)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n")
        try:
            self.writer.write(head.encode() + body)
            await self.writer.drain()
            status_line = await self.reader.readline()
            if not status_line:
                raise ConnectionError("the server closed the connection")
            status = int(status_line.split()[1])
            length, chunked, close = 0, False, False
            while (header := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = header.decode("latin-1").partition(":")
                name, value = name.strip().lower(), value.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding" and "chunked" in value:
                    chunked = True
                elif name == "connection" and value == "close":
                    close = True
            if chunked:
                parts = []
                while size := int((await self.reader.readline()).strip(), 16):
                    parts.append(await self.reader.readexactly(size))
                    await self.reader.readline()
                await self.reader.readline()
                payload = b"".join(parts)
            else:
                payload = await self.reader.readexactly(length)
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status, payload

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def multipart(fields: dict[str, str], filename: str, data: bytes, content_type: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                 + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


async def drive(host: str, port: int, tokens: list[str]) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    saves = 0
    acknowledged: dict[tuple[str, str], tuple[int, str]] = {}
    uploads: list[tuple[str, int]] = []
    deadline = time.perf_counter() + SECONDS

    async def supplier(index: int, token: str) -> None:
        nonlocal saves
        # Arrive one by one, as people do: a burst of connects all lands on one worker's
        # accept, and keep-alive would pin that imbalance for the whole run.
        await asyncio.sleep(index * 0.02)
        connection = Connection(host, port)
        versions: dict[str, int] = {}
        n = 0
        while time.perf_counter() < deadline:
            n += 1
            start = time.perf_counter()
            try:
                if n % 25 == 0:
                    body, content_type = multipart(
                        {"question_id": "cyber_essentials_certificate"}, f"cert-{index}-{n}.pdf",
                        PDF + str(n).encode(), "application/pdf")
                    status, payload = await connection.request(
                        "POST", f"/api/v1/respond/{token}/evidence", body, content_type)
                    if status == 201:
                        uploads.append((token, json.loads(payload)["id"]))
                else:
                    question = QUESTIONS[n % len(QUESTIONS)]
                    value = f"supplier {index} answer {n}"
                    answer: dict = {"value": value}
                    if question in versions:
                        answer["version"] = versions[question]
                    status, payload = await connection.request(
                        "PUT", f"/api/v1/respond/{token}/answers/{question}",
                        json.dumps(answer).encode(), "application/json")
                    if status == 200:
                        saves += 1
                        versions[question] = json.loads(payload)["version"]
                        acknowledged[(token, question)] = (versions[question], value)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as error:
                errors.append(type(error).__name__)
                continue
            latencies.append((time.perf_counter() - start) * 1000)
            if status >= 300:
                errors.append(str(status))
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(supplier(i, t) for i, t in enumerate(tokens)))
    elapsed = time.perf_counter() - started
    return {"latencies": sorted(latencies), "errors": errors, "acknowledged": acknowledged,
            "uploads": uploads, "elapsed": elapsed, "saves": saves}


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
    # The production command, so the figures include how it runs its workers.
    server = subprocess.Popen(
        [sys.executable, "-m", "portal", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "PORTAL_WORKERS": str(WORKERS)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
        result = await drive("127.0.0.1", port, tokens)
    finally:
        server.terminate()
        server.wait(timeout=20)
    latencies = result["latencies"]
    saves = sum(1 for _ in result["acknowledged"])  # distinct (supplier, question) pairs
    line("suppliers at once / seconds / workers", f"{SUPPLIERS} / {SECONDS:.0f} / {WORKERS}")
    line("requests", f"{len(latencies):,} = {len(latencies) / result['elapsed']:,.0f} req/s")
    line("answer saves acknowledged", f"{result['saves']:,} = {result['saves'] / result['elapsed']:,.0f} "
         "saves/s (aim: >= 1,000/s, 0 errors, 0 lost)")
    line("latency p50 / p95 / p99", f"{statistics.median(latencies):.1f} / "
         f"{latencies[int(len(latencies) * 0.95) - 1]:.1f} / {latencies[int(len(latencies) * 0.99) - 1]:.1f} ms")
    line("errors", f"{len(result['errors'])} {sorted(set(result['errors']))[:5]}")
    lost, missing = await verify(result)
    line("acknowledged answers checked", f"{saves} (latest per supplier and question)")
    line("lost or changed acknowledged answers", str(lost))
    line("acknowledged uploads missing", f"{missing} of {len(result['uploads'])}")
    from portal.core.audit import verify as verify_chain

    chain = await verify_chain()
    line("audit chain", f"{chain.checked:,} events, " + (
        "intact" if chain.broken_at is None else f"BROKEN at {chain.broken_at}: {chain.problem}")
        + (f", {chain.pending} unsealed" if chain.pending else ""))
    if lost or missing or chain.broken_at is not None or chain.pending:
        sys.exit(1)


asyncio.run(_admin(f'CREATE DATABASE "{scratch}"'))
try:
    asyncio.run(main())
finally:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    shutil.rmtree(workdir, ignore_errors=True)
