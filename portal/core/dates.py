"""Calendar arithmetic the rules share (plain Python)."""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day some months on, or that month's last day (31 January + 1 = 28/29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def now() -> dt.datetime:
    """The current moment (UTC). The one clock audit events and record stamps read; tests
    move time with `monkeypatch.setattr(portal.core.dates, "now", ...)`."""
    return dt.datetime.now(dt.UTC)


def end_of_uk_day(day: dt.date) -> dt.datetime:
    """The first moment after `day` ends in UK time (Europe/London, so BST in summer), in UTC:
    a record 'as at' a date is its state at events strictly before this."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=UK).astimezone(dt.UTC)


def uk_today() -> dt.date:
    return now().astimezone(UK).date()
