"""The long-running schedule: an APScheduler ``BlockingScheduler`` with two cron jobs.

    care      every day at ``care_at``          -> today's care batch, every brand
    monthly   on the 1st at ``monthly_at``      -> the month's community series, every brand

Brands are listed again at every run, so a brand ingested later is picked up without a
restart. A job fires once even after a long pause (``coalesce``), never twice at once
(``max_instances=1``), and still runs if the process was busy or asleep for up to an hour
past its time (``misfire_grace_time``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from scheduling.jobs import Times

MISFIRE_GRACE_SECONDS = 3600

Job = Callable[[dt.date], object]


def build_scheduler(
    times: Times, *, care: Job, monthly: Job, timezone: ZoneInfo | None = None
) -> BlockingScheduler:
    """The scheduler with its two jobs; each job gets the date in the schedule's time zone."""
    scheduler = BlockingScheduler(timezone=timezone) if timezone else BlockingScheduler()
    zone = scheduler.timezone

    def today() -> dt.date:
        return dt.datetime.now(zone).date()

    common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS}
    scheduler.add_job(
        lambda: care(today()),
        CronTrigger(hour=times.care_at.hour, minute=times.care_at.minute, timezone=zone),
        id="care",
        name="daily care batch",
        **common,
    )
    scheduler.add_job(
        lambda: monthly(today()),
        CronTrigger(
            day=1, hour=times.monthly_at.hour, minute=times.monthly_at.minute, timezone=zone
        ),
        id="monthly",
        name="monthly community series",
        **common,
    )
    return scheduler
