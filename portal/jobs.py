"""Scheduled work (`portal jobs run`, and every minute inside `portal serve`): every domain's
periodic job, in one pass.

Safe to run twice at once: each reminder and expiry is claimed with a conditional update,
and the outbox claims each message before sending it. Each job runs on its own: one that
fails is logged and named in the result, and the jobs after it still run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from portal.assessments import campaigns, links
from portal.assessments.jobs import expire_links, send_reminders
from portal.core import audit, mail, ratelimit
from portal.core.dates import uk_today
from portal.notices import service as notices
from portal.scoring.service import recompute_all
from portal.settings import Settings

log = structlog.get_logger("portal.jobs")


# The day this process last rescored the portfolio. Rescoring every score each minute in
# each worker took seconds of CPU a minute at 10,000 suppliers and, 5 s after start, ran
# through whatever the server was answering (found measuring the supplier list).
_rescored_on: dt.date | None = None


async def rescore_for_the_day(today: dt.date | None = None) -> int:
    """Rescore every supplier once a day (a date moving on is the only change that no write
    rescored); later runs that day rescore nobody and return 0."""
    global _rescored_on
    day = today or uk_today()  # the day the packs and approvals are dated by
    if _rescored_on == day:
        return 0
    count = await recompute_all(today=day)
    _rescored_on = day
    return count


async def run_all(settings: Settings, today: dt.date | None = None) -> dict[str, Any]:
    steps: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("reminders", lambda: send_reminders(today)),
        ("expired", expire_links),
        ("campaign_sends", campaigns.send_pending),
        ("notice_reminders", lambda: notices.send_reminders(today)),
        ("notices_applied", lambda: notices.apply_due(today)),
        # Supplier links are not stored: the outbox asks the assessments to build them.
        ("mail", lambda: mail.dispatch(settings, fill=links.fill)),
        # Time alone expires certificates and assessments (by the day): every score is
        # refreshed on the first run of each day; every change is rescored as it is made.
        ("rescored", lambda: rescore_for_the_day(today)),
        ("failed_attempts_pruned", ratelimit.prune),
        ("audit_events_sealed", audit.seal),
    ]
    result: dict[str, Any] = {}
    for name, step in steps:
        try:
            outcome = await step()
        except Exception as error:  # noqa: BLE001 - one failed job never stops the others
            log.error("job_failed", job=name, error=type(error).__name__, detail=str(error)[:200])
            result[name if name != "mail" else "sent"] = "failed"
            result["failed_jobs"] = ",".join(filter(None, [result.get("failed_jobs"), name]))
            continue
        if isinstance(outcome, dict):
            result.update(outcome)
        else:
            result[name] = outcome
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
