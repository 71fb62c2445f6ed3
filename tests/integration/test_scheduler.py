"""`portal serve` runs the scheduled jobs itself (`make run` sends mail with no cron)."""

from __future__ import annotations

import asyncio
import time

from models.tables import OutboundEmail
from portal.core import mail
from portal.core.db import write_transaction
from portal.settings import Settings
from tests.net import running_portal


async def queued_mail() -> int:
    async with write_transaction():
        await mail.queue(to="helen@meridian.example", subject="Your questionnaire",
                         body="Please answer by Friday.", related_type="assessment", related_id=1)
    return (await OutboundEmail.select(OutboundEmail.id).first())["id"]


async def status_of(mail_id: int) -> str:
    return (await OutboundEmail.select(OutboundEmail.status).where(
        OutboundEmail.id == mail_id).first())["status"]


async def test_the_server_dispatches_the_outbox_by_itself():
    mail_id = await queued_mail()
    with running_portal(PORTAL_JOBS_INTERVAL_SECONDS="1"):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and await status_of(mail_id) == "queued":
            await asyncio.sleep(0.3)
    assert await status_of(mail_id) == "logged"


async def test_with_the_scheduler_off_mail_waits_for_cron():
    mail_id = await queued_mail()
    with running_portal(PORTAL_JOBS_INTERVAL_SECONDS="0"):
        await asyncio.sleep(7)  # past the first run a scheduler would have made
    assert await status_of(mail_id) == "queued"


def test_the_scheduler_runs_by_default_except_in_tests():
    assert Settings(env="development").jobs_interval == 60
    assert Settings(env="production", secret_key="x" * 40).jobs_interval == 60
    assert Settings(env="test").jobs_interval == 0
    assert Settings(env="test", jobs_interval_seconds=5).jobs_interval == 5
