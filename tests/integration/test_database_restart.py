"""PostgreSQL stopped and started while suppliers save answers.

A private PostgreSQL server (initdb in a temporary folder, its own port) is crashed with
`pg_ctl stop -m immediate` in the middle of saves and started again. Clients must get 503 with
Retry-After while it is down, the portal must recover by itself, and every acknowledged answer
must be in the database afterwards.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.net import free_port, running_portal

SUPPLIERS = 4
QUESTIONS = ["legal_name", "companies_house_number", "anything_else"]


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


class PrivatePostgres:
    """A throwaway cluster; as root it runs as the postgres user, as PostgreSQL insists."""

    def __init__(self, bindir: Path, root: Path) -> None:
        self.bindir, self.data, self.port = bindir, root / "data", free_port()
        self.sockets = root
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(root, "postgres")

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.as_user, str(self.bindir / args[0]), *args[1:]],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{args[0]} failed: {done.stderr[-1000:]}"

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "portal")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-l", str(self.data / "server.log"), "-o",
                  f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1", "start")

    def crash(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")

    def stop(self) -> None:
        subprocess.run([*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m",
                        "fast", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=60)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/portal"


PREPARE = """
import asyncio, datetime as dt
from portal.assessments import service as assessments
from portal.core.migrations import migrate
from portal.suppliers import service as suppliers
from portal.suppliers.schemas import ContactCreate, SupplierCreate

async def main():
    await migrate()
    for i in range({n}):
        supplier = await suppliers.create_supplier(SupplierCreate(
            name=f"Restart supplier {{i}}", handles_personal_data=True,
            handles_patient_data=False, affects_care=False))
        contact = await suppliers.create_contact(supplier["id"], ContactCreate(
            name=f"Contact {{i}}", email=f"contact{{i}}@restart.example"))
        _, token = await assessments.send(
            supplier_id=supplier["id"], contact_id=contact["id"],
            questionnaire="ndg10-supplier-due-diligence",
            due_date=dt.date.today() + dt.timedelta(days=30))
        print(token)

asyncio.run(main())
"""


@pytest.fixture
def private_postgres():
    bindir = _postgres_bin()
    if bindir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL's server programs are needed for the restart test in CI")
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    # Not under pytest's tmp_path: its parents are closed to the postgres user.
    root = Path(tempfile.mkdtemp(prefix="portal-pg-"))
    server = PrivatePostgres(bindir, root)
    try:
        server.init()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


class Supplier:
    """One supplier saving answers in turn, remembering what the portal acknowledged."""

    def __init__(self, client: httpx.AsyncClient, token: str, index: int) -> None:
        self.client, self.token, self.index = client, token, index
        self.known: dict[str, tuple[int, str]] = {}  # question -> (version, value) as stored
        self.uncertain = False  # the last save got no answer: reload before the next
        self.statuses: list[int] = []
        self.problems: list[str] = []
        self.saved_after_restart = 0

    async def reload(self) -> bool:
        try:
            response = await self.client.get(f"/api/v1/respond/{self.token}")
        except httpx.HTTPError:
            return False
        if response.status_code != 200:
            self._check_refusal(response)
            return False
        answers = response.json()["answers"]
        self.known = {q: (a["version"], a["value"]) for q, a in answers.items()}
        self.uncertain = False
        return True

    def _check_refusal(self, response: httpx.Response) -> None:
        self.statuses.append(response.status_code)
        if response.status_code != 503:
            self.problems.append(f"{response.status_code}: {response.text[:200]}")
        elif not response.headers.get("retry-after"):
            self.problems.append("503 without Retry-After")

    async def save(self, n: int, restarted: bool) -> None:
        if self.uncertain and not await self.reload():
            await asyncio.sleep(0.05)
            return
        question = QUESTIONS[n % len(QUESTIONS)]
        value = f"supplier {self.index} answer {n}"
        body: dict = {"value": value}
        if question in self.known:
            body["version"] = self.known[question][0]
        try:
            response = await self.client.put(
                f"/api/v1/respond/{self.token}/answers/{question}", json=body)
        except httpx.HTTPError as error:
            self.problems.append(f"connection: {type(error).__name__}")
            self.uncertain = True
            return
        if response.status_code == 200:
            self.statuses.append(200)
            self.known[question] = (response.json()["version"], value)
            self.saved_after_restart += restarted
            return
        self._check_refusal(response)
        self.uncertain = True  # it may have been stored before the database went away
        await asyncio.sleep(0.05)


async def test_saves_survive_a_database_restart(private_postgres, tmp_path):
    env = {"PORTAL_DATABASE_URL": private_postgres.url, "PORTAL_DATA_DIR": str(tmp_path / "data"),
           "PORTAL_LOG_LEVEL": "WARNING"}
    prepared = subprocess.run([sys.executable, "-c", PREPARE.format(n=SUPPLIERS)],
                              env={**os.environ, **env}, capture_output=True, text=True,
                              timeout=120)
    assert prepared.returncode == 0, prepared.stderr[-2000:]
    tokens = prepared.stdout.split()
    assert len(tokens) == SUPPLIERS

    with running_portal(**env) as base:
        async with httpx.AsyncClient(base_url=base, timeout=15) as client:
            suppliers = [Supplier(client, token, i) for i, token in enumerate(tokens)]
            phase = {"restarted": False, "stop": False}

            async def keep_saving(supplier: Supplier) -> None:
                n = 0
                while not phase["stop"]:
                    n += 1
                    await supplier.save(n, phase["restarted"])

            workers = [asyncio.create_task(keep_saving(s)) for s in suppliers]
            try:
                await asyncio.sleep(1.5)
                await asyncio.to_thread(private_postgres.crash)
                await asyncio.sleep(2.5)
                down = [s.statuses.count(503) for s in suppliers]
                await asyncio.to_thread(private_postgres.start)
                phase["restarted"] = True
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and \
                        min(s.saved_after_restart for s in suppliers) < 5:
                    await asyncio.sleep(0.1)
            finally:
                phase["stop"] = True
                await asyncio.gather(*workers)

            assert sum(down) > 0, "no save was refused while the database was down"
            for s in suppliers:
                assert not s.problems, s.problems[:5]
                assert s.saved_after_restart >= 5, "the portal did not recover by itself"
                assert s.statuses.count(200) > 10

            health = await client.get("/health")
            assert health.status_code == 200

            for s in suppliers:
                acknowledged = dict(s.known)
                assert await s.reload()
                for question, (version, value) in acknowledged.items():
                    assert s.known[question] == (version, value), (s.index, question)
