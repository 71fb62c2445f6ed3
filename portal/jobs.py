"""Scheduled work (`portal jobs run`): every domain's periodic job, in one pass.

Safe to run twice at once: each reminder and expiry is claimed with a conditional update,
and the outbox claims each message before sending it.
"""

from __future__ import annotations

import datetime as dt

from portal.assessments.jobs import expire_links, send_reminders
from portal.core import audit, mail, ratelimit
from portal.scoring.service import recompute_all
from portal.settings import Settings


async def run_all(settings: Settings, today: dt.date | None = None) -> dict[str, int]:
    result = {"reminders": await send_reminders(today), "expired": await expire_links()}
    result.update(await mail.dispatch(settings))
    # Time alone expires certificates and assessments, so scores are refreshed every run.
    result["rescored"] = await recompute_all(today=today)
    result["failed_attempts_pruned"] = await ratelimit.prune()
    result["audit_events_sealed"] = await audit.seal()
    return result
