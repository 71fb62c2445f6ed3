"""`make load`: 50 suppliers answering and uploading at once for 60 s, then every acknowledged
write is checked against the database. Not part of `make test`.

PostgreSQL by default (PORTAL_LOAD_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/test
as the server to create a scratch database on); LOAD_SUPPLIERS and LOAD_SECONDS change the size.

The machine may be shared, so the run also measures `/health` (the same client, the same
number of connections, on the same server) and gives the saves as a share of it, with the
load average before and after and the CPU each part used per save (the portal's workers, this
database's PostgreSQL backends, the load generator). It exits non-zero when any acknowledged
write is not found as acknowledged, a request failed, or the audit chain does not hold.
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
HEALTH_SECONDS = float(os.environ.get("LOAD_HEALTH_SECONDS", str(min(10.0, SECONDS))))
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
        assessment, token = await assessments.send(
            supplier_id=supplier["id"], contact_id=contact["id"],
            questionnaire="ndg10-supplier-due-diligence",
            due_date=dt.date.today() + dt.timedelta(days=30))
        tokens.append((token, assessment["id"]))
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


async def drive(host: str, port: int, tokens: list[tuple[str, int]]) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    # every acknowledged save: (assessment id, question, version, value), in the order acked
    acknowledged: list[tuple[int, str, int, str]] = []
    uploads: list[tuple[str, int]] = []
    deadline = time.perf_counter() + SECONDS

    async def supplier(index: int, token: str, assessment_id: int) -> None:
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
                        versions[question] = json.loads(payload)["version"]
                        acknowledged.append((assessment_id, question, versions[question], value))
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as error:
                errors.append(type(error).__name__)
                continue
            latencies.append((time.perf_counter() - start) * 1000)
            if status >= 300:
                errors.append(str(status))
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(supplier(i, t, a) for i, (t, a) in enumerate(tokens)))
    elapsed = time.perf_counter() - started
    return {"latencies": sorted(latencies), "errors": errors, "acknowledged": acknowledged,
            "uploads": uploads, "elapsed": elapsed}


async def health_ceiling(host: str, port: int) -> dict:
    """/health through the same client at the same number of connections: what this server
    on this machine, as loaded as it is now, answers when a request does next to nothing."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + HEALTH_SECONDS

    async def caller(index: int) -> None:
        nonlocal errors
        await asyncio.sleep(index * 0.02)
        connection = Connection(host, port)
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                status, _ = await connection.request("GET", "/health", b"", "text/plain")
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                errors += 1
                continue
            latencies.append((time.perf_counter() - start) * 1000)
            errors += status != 200
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(caller(i) for i in range(SUPPLIERS)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "p50": statistics.median(latencies),
            "p95": latencies[int(len(latencies) * 0.95) - 1], "errors": errors}


async def verify(result: dict) -> tuple[int, int, int]:
    """(acknowledged saves not found as acknowledged, latest answers not stored as last
    acknowledged, acknowledged uploads missing). Each acknowledged save must have committed:
    its audit event (written in the save's own transaction) holds that version and value,
    and the stored answer is the last version acknowledged."""
    from models.tables import Answer, AuditEvent, EvidenceFile

    saved: set[tuple[int, str, int, str]] = set()
    last_id = 0
    while True:
        rows = await AuditEvent.select(AuditEvent.id, AuditEvent.target_id, AuditEvent.after).where(
            (AuditEvent.action == "answer.saved") & (AuditEvent.id > last_id)
        ).order_by(AuditEvent.id).limit(10_000)
        if not rows:
            break
        for row in rows:
            after = json.loads(row["after"]) if isinstance(row["after"], str) else row["after"]
            saved.add((int(row["target_id"]), after["question_id"], after["version"],
                       after["value"]))
        last_id = rows[-1]["id"]
    missing = sum(1 for ack in result["acknowledged"] if ack not in saved)

    latest: dict[tuple[int, str], tuple[int, str]] = {}
    for assessment_id, question, version, value in result["acknowledged"]:
        latest[(assessment_id, question)] = (version, value)
    stored = {(r["assessment"], r["question_id"]): (
                  r["version"], json.loads(r["value"]) if isinstance(r["value"], str) else None)
              for r in await Answer.select(Answer.assessment, Answer.question_id, Answer.version,
                                           Answer.value)}
    changed = sum(1 for key, want in latest.items() if stored.get(key) != want)

    missing_files = 0
    for _, evidence_id in result["uploads"]:
        if not await EvidenceFile.exists().where(EvidenceFile.id == evidence_id):
            missing_files += 1
    return missing, changed, missing_files


def _ticks(pid: int) -> int:
    """CPU time (user + system, in clock ticks) a process has used, 0 once it has gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


def _backends(database: str) -> list[int]:
    """This database's PostgreSQL backends on this machine (their titles name it)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    title = handle.read().decode("utf-8", "replace")
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {database} " in title:
                found.append(int(entry))
    return found


class CpuMeter:
    """CPU seconds used by the portal's processes, this database's backends (when the server
    runs on this machine) and this process, between `start` and `stop`; and how busy the
    whole machine was meanwhile."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.hz = os.sysconf("SC_CLK_TCK")

    def _sample(self) -> dict:
        portal = [self.server_pid, *_children(self.server_pid)]
        with open("/proc/stat") as handle:
            cpu = [int(v) for v in handle.readline().split()[1:]]
        return {"portal": {p: _ticks(p) for p in portal},
                "db": {p: _ticks(p) for p in _backends(scratch)},
                "self": time.process_time(), "idle": cpu[3] + cpu[4], "total": sum(cpu)}

    def start(self) -> None:
        self.before = self._sample()

    def stop(self) -> dict:
        after, before = self._sample(), self.before

        def used(kind: str) -> float:
            return sum(t - before[kind].get(p, 0) for p, t in after[kind].items()) / self.hz

        total = after["total"] - before["total"]
        return {"portal": used("portal"), "db": used("db"), "self": after["self"] - before["self"],
                "busy": 1 - (after["idle"] - before["idle"]) / total if total else 0.0}


def load_average() -> str:
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


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
    meter = CpuMeter(server.pid)
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
        load_before = load_average()
        health = await health_ceiling("127.0.0.1", port)
        meter.start()
        result = await drive("127.0.0.1", port, tokens)
        cpu = meter.stop()
        load_after = load_average()
    finally:
        server.terminate()
        server.wait(timeout=20)
    latencies = result["latencies"]
    saves = len(result["acknowledged"])
    rate = saves / result["elapsed"]
    line("suppliers at once / seconds / workers", f"{SUPPLIERS} / {SECONDS:.0f} / {WORKERS}")
    line("machine", f"{os.cpu_count()} cores, load average {load_before} before, "
         f"{load_after} after; {cpu['busy']:.0%} busy during the saves")
    line(f"/health at {SUPPLIERS} connections", f"{health['rps']:,.0f} req/s, p50 "
         f"{health['p50']:.1f} ms, p95 {health['p95']:.1f} ms, errors {health['errors']} "
         f"(the ceiling of this run, {HEALTH_SECONDS:.0f} s)")
    line("requests", f"{len(latencies):,} = {len(latencies) / result['elapsed']:,.0f} req/s")
    line("answer saves acknowledged", f"{saves:,} = {rate:,.0f} saves/s = "
         f"{rate / health['rps']:.1%} of /health (aim: >= 1,000/s, 0 errors, 0 lost)")
    line("latency p50 / p95 / p99", f"{statistics.median(latencies):.1f} / "
         f"{latencies[int(len(latencies) * 0.95) - 1]:.1f} / {latencies[int(len(latencies) * 0.99) - 1]:.1f} ms")
    line("errors", f"{len(result['errors'])} {sorted(set(result['errors']))[:5]}")
    requests = max(len(latencies), 1)
    line("CPU per request (ms)", f"portal {cpu['portal'] / requests * 1000:.2f}, PostgreSQL "
         f"{cpu['db'] / requests * 1000:.2f}, load generator {cpu['self'] / requests * 1000:.2f}")
    missing, changed, missing_files = await verify(result)
    line("acknowledged writes verified", f"{saves - missing:,} of {saves:,} acknowledged saves "
         f"committed as acknowledged; {len({a[:2] for a in result['acknowledged']}) - changed} of "
         f"{len({a[:2] for a in result['acknowledged']})} answers stored as last acknowledged")
    line("acknowledged uploads verified", f"{len(result['uploads']) - missing_files:,} of "
         f"{len(result['uploads']):,}")
    from portal.core.audit import verify as verify_chain

    chain = await verify_chain()
    for _ in range(30):  # events wait for every older transaction on the server (shared): a while
        if not chain.pending:
            break
        await asyncio.sleep(1)
        chain = await verify_chain()
    line("audit chain", f"{chain.checked:,} events, " + (
        "intact" if chain.broken_at is None else f"BROKEN at {chain.broken_at}: {chain.problem}")
        + (f", {chain.pending} unsealed" if chain.pending else ""))
    if missing or changed or missing_files or result["errors"] or health["errors"] \
            or chain.broken_at is not None or chain.pending:
        sys.exit(1)


asyncio.run(_admin(f'CREATE DATABASE "{scratch}"'))
try:
    asyncio.run(main())
finally:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    shutil.rmtree(workdir, ignore_errors=True)
