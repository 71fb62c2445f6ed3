"""Real peers on loopback: SMTP (aiosmtpd), S3 (moto's server); and the scheduled jobs."""

from __future__ import annotations

import asyncio
import datetime as dt

import boto3
import pytest

from models.tables import Assessment, OutboundEmail
from portal.assessments import jobs
from portal.core import mail
from portal.core.storage import LocalStore, S3Store, key_for
from portal.jobs import run_all
from portal.settings import Settings
from tests.net import free_port


async def test_mail_goes_by_smtp_and_waits_while_the_server_is_down(smtp_server, tmp_path):
    controller, received = smtp_server
    await mail.queue(to="dpo@supplier.example", subject="Questionnaire", body="Hello")
    down = Settings(data_dir=tmp_path, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    result = await mail.dispatch(down)
    assert result == {"sent": 0, "deferred": 1, "unbuildable": 0, "requeued": 0}
    row = await OutboundEmail.select().first()
    assert row["status"] == "queued" and row["attempts"] == 1 and row["last_error"]
    assert row["next_attempt_at"] > dt.datetime.now(dt.UTC)  # backs off
    await OutboundEmail.update({OutboundEmail.next_attempt_at: dt.datetime.now(dt.UTC)}).where(
        OutboundEmail.id == row["id"])
    up = Settings(data_dir=tmp_path, smtp_url=f"smtp://127.0.0.1:{controller.port}")
    assert await mail.dispatch(up) == {"sent": 1, "deferred": 0, "unbuildable": 0, "requeued": 0}
    assert received[0].rcpt_tos == ["dpo@supplier.example"]
    assert b"Hello" in received[0].content
    assert (await OutboundEmail.select().first())["status"] == "sent"


async def test_without_smtp_mail_is_logged_and_kept(tmp_path):
    await mail.queue(to="a@example.com", subject="S", body="B")
    assert await mail.dispatch(Settings(data_dir=tmp_path)) == {"sent": 1, "deferred": 0, "unbuildable": 0, "requeued": 0}
    assert (await OutboundEmail.select().first())["status"] == "logged"


async def test_two_dispatchers_at_once_send_each_message_once(smtp_server, tmp_path):
    controller, received = smtp_server
    for i in range(6):
        await mail.queue(to=f"p{i}@example.com", subject="S", body="B")
    settings = Settings(data_dir=tmp_path, smtp_url=f"smtp://127.0.0.1:{controller.port}")
    results = await asyncio.gather(mail.dispatch(settings), mail.dispatch(settings))
    assert sum(r["sent"] for r in results) == 6
    assert len(received) == 6


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_settings(s3_endpoint, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    bucket = "evidence-test"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="eu-west-2")
    try:
        client.create_bucket(Bucket=bucket,
                             CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    return Settings(data_dir=tmp_path, s3_bucket=bucket, s3_endpoint_url=s3_endpoint)


async def test_s3_store_round_trip_through_a_real_endpoint(s3_settings):
    store = S3Store(s3_settings)
    key = key_for("ab" * 32)
    await store.put(key, b"%PDF-1.4 certificate", "application/pdf")
    assert await store.get(key) == b"%PDF-1.4 certificate"
    url = store.download_url(key, "certificate.pdf", "application/pdf")
    import httpx

    response = await asyncio.to_thread(httpx.get, url)
    assert response.status_code == 200 and response.content == b"%PDF-1.4 certificate"
    # A name outside Latin-1 (Welsh, Polish) goes into the signed URL as RFC 6266 filename*.
    url = store.download_url(key, "Tystysgrif ŵ Łódź.pdf", "application/pdf")
    response = await asyncio.to_thread(httpx.get, url)
    assert response.status_code == 200
    header = response.headers["content-disposition"]
    assert header.isascii() and "filename*=UTF-8''Tystysgrif%20%C5%B5%20%C5%81%C3%B3d%C5%BA.pdf" \
        in header and 'filename="Tystysgrif w Lodz.pdf"' in header, header


async def test_s3_down_is_a_clear_503_not_a_lost_record(tmp_path, monkeypatch):
    from portal.core.errors import ServiceUnavailable

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    store = S3Store(Settings(data_dir=tmp_path, s3_bucket="b",
                             s3_endpoint_url=f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(ServiceUnavailable):
        await store.put(key_for("cd" * 32), b"data", "text/plain")


async def test_local_store_refuses_keys_that_escape(tmp_path):
    store = LocalStore(tmp_path)
    with pytest.raises(ValueError):
        await store.put("../outside", b"x", "text/plain")
    with pytest.raises(ValueError):
        key_for("../../etc/passwd")


async def test_reminders_and_expiry_run_safely_twice(client, procurement, tmp_path):
    from tests.integration.journeys import onboard, send

    supplier, contact = await onboard(client, procurement)
    sent, token = await send(client, procurement, supplier, contact)
    await Assessment.update({Assessment.due_date: dt.date.today() + dt.timedelta(days=5)}).where(
        Assessment.id == sent["id"])
    before = await OutboundEmail.count()
    results = await asyncio.gather(jobs.send_reminders(), jobs.send_reminders())
    assert sum(results) == 1
    assert await OutboundEmail.count() == before + 1
    assert await jobs.send_reminders() == 0  # nothing new at this stage
    await Assessment.update({Assessment.link_expires_at: dt.datetime.now(dt.UTC)
                             - dt.timedelta(minutes=1)}).where(Assessment.id == sent["id"])
    assert sum(await asyncio.gather(jobs.expire_links(), jobs.expire_links())) == 1
    assert (await client.get(f"/api/v1/respond/{token}")).status_code == 404
    row = await Assessment.select().where(Assessment.id == sent["id"]).first()
    assert row["status"] == "expired" and row["link_hash"] is None
    summary = await run_all(Settings(data_dir=tmp_path))
    assert summary["sent"] >= 1


async def test_a_mail_that_cant_be_built_fails_alone_and_the_other_jobs_still_run(
        client, procurement, tmp_path, monkeypatch):
    from models.tables import AuditEvent, Organisation
    from portal.core import ratelimit
    from tests.integration.journeys import onboard, send

    await Organisation.insert(Organisation(name="Northshire NHS Trust\nBcc: everyone@example.com"))
    supplier, contact = await onboard(client, procurement)
    await send(client, procurement, supplier, contact)  # its subject carries the line break
    await mail.queue(to="later@example.com", subject="Fine", body="Queued after the bad one")

    async def broken_prune() -> int:
        raise RuntimeError("pruning broke")

    monkeypatch.setattr(ratelimit, "prune", broken_prune)
    result = await run_all(Settings(data_dir=tmp_path))
    bad = await OutboundEmail.select().where(OutboundEmail.to_address == contact["email"]).first()
    assert bad["status"] == "failed" and "can't be built" in bad["last_error"]
    good = await OutboundEmail.select().where(OutboundEmail.to_address == "later@example.com").first()
    assert good["status"] == "logged"
    assert result["unbuildable"] == 1 and result["sent"] == 1
    # The failed job is reported; the ones after it ran.
    assert result["failed_jobs"] == "failed_attempts_pruned"
    assert "rescored" in result and isinstance(result["audit_events_sealed"], int)
    assert await AuditEvent.count() > 0


async def test_rows_stuck_sending_return_to_the_queue(tmp_path):
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    future = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    await OutboundEmail.insert(
        OutboundEmail(to_address="dead@example.com", subject="Stuck", body="B",
                      status="sending", next_attempt_at=past),
        OutboundEmail(to_address="busy@example.com", subject="Being sent", body="B",
                      status="sending", next_attempt_at=future))
    result = await mail.dispatch(Settings(data_dir=tmp_path))
    assert result["requeued"] == 1 and result["sent"] == 1
    rows = {r["to_address"]: r["status"] for r in await OutboundEmail.select()}
    assert rows == {"dead@example.com": "logged", "busy@example.com": "sending"}


async def test_portal_jobs_run_reports_a_failed_job_with_exit_status_1(monkeypatch):
    from click.testing import CliRunner

    from portal.cli import cli
    from portal.core import ratelimit

    await mail.queue(to="a@example.com", subject="Broken\nsubject", body="B")

    def run():
        return CliRunner().invoke(cli, ["jobs", "run"], catch_exceptions=False)

    ok = await asyncio.to_thread(run)
    assert ok.exit_code == 0, ok.output  # a mail that can't be built is not a failed job
    assert "unbuildable=1" in ok.output

    async def broken_prune() -> int:
        raise RuntimeError("pruning broke")

    monkeypatch.setattr(ratelimit, "prune", broken_prune)
    failed = await asyncio.to_thread(run)
    assert failed.exit_code == 1
    assert "failed_jobs=failed_attempts_pruned" in failed.output
    assert "audit_events_sealed=" in failed.output  # the job after it still ran


async def test_the_portfolio_is_rescored_once_a_day_by_the_scheduled_jobs(monkeypatch):
    from portal import jobs

    calls = []

    async def counted(*, today=None):
        calls.append(today)
        return 7

    monkeypatch.setattr(jobs, "recompute_all", counted)
    monkeypatch.setattr(jobs, "_rescored_on", None)
    day = dt.date(2026, 12, 2)
    assert await jobs.rescore_for_the_day(day) == 7
    assert await jobs.rescore_for_the_day(day) == 0  # the next minute's run: nothing to do
    assert await jobs.rescore_for_the_day(day + dt.timedelta(days=1)) == 7  # a new day
    assert calls == [day, day + dt.timedelta(days=1)]
