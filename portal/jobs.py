"""Scheduled work (`portal jobs run`): every domain's periodic job, in one pass.

Safe to run twice at once: each reminder and expiry is claimed with a conditional update,
and the outbox claims each message before sending it.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import structlog

from portal.assessments.jobs import expire_links, send_reminders
from portal.core import audit, mail, ratelimit
from portal.scoring.service import recompute_all
from portal.settings import Settings

log = structlog.get_logger("portal.jobs")


async def run_all(settings: Settings, today: dt.date | None = None) -> dict[str, int]:
    result = {"reminders": await send_reminders(today), "expired": await expire_links()}
    result.update(await mail.dispatch(settings))
    # Time alone expires certificates and assessments, so scores are refreshed every run.
    result["rescored"] = await recompute_all(today=today)
    result["failed_attempts_pruned"] = await ratelimit.prune()
    result["audit_events_sealed"] = await audit.seal()
    return result


async def keep_running(settings: Settings, stop: asyncio.Event) -> None:
    """The in-process scheduler of one worker (`portal serve`), until `stop` is set: the first
    run a few seconds after start, then every `jobs_interval` seconds. Like the sealer it is
    stopped between runs, never cancelled inside one; a failed run is logged and retried at
    the next interval."""
    interval = settings.jobs_interval
    delay = min(5, interval)
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
            return
        except TimeoutError:
            pass
        delay = interval
        try:
            result = await run_all(settings)
            log.info("jobs.ran", **result)
        except Exception as error:  # the database may be restarting; try again next time
            log.warning("jobs.failed", error=type(error).__name__)
