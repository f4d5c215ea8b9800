"""``zhenxin schedule``: the due care batch every day and the monthly series on the 1st, for
every ingested brand (or ``--brand``). ``--once`` runs what is due now and exits (cron,
systemd timers and the tests use it); without it the process keeps the schedule itself.
Re-running is safe: batch ids come from the spec, so nothing is drafted twice.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from cli.output import print_json
from core.days import check_day
from core.errors import ZhenxinError
from core.settings import get_settings

if TYPE_CHECKING:
    from batch.service import BatchService
    from scheduling.jobs import ScheduledRun


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ZhenxinError(
            f"unknown time zone {name!r}", hint="e.g. Asia/Shanghai, Europe/London, UTC"
        ) from None


def _now(value: str | None, zone: ZoneInfo | None) -> dt.datetime:
    if value is None:
        return dt.datetime.now(zone) if zone else dt.datetime.now()
    try:
        now = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ZhenxinError(f"--now must look like 2026-12-01T09:30, got {value!r}") from None
    check_day(now.date(), "--now")
    return now


def _brands(service: BatchService, named: list[str] | None) -> list[str]:
    if named:
        return named
    from knowledge.registry import PackRegistry

    return PackRegistry(service.settings).brands()


def _report(run: ScheduledRun) -> None:
    typer.echo(run.line(), err=run.error is not None)


def schedule(
    brand: Annotated[
        list[str] | None,
        typer.Option("--brand", "-b", help="brand id (repeatable; default: every ingested brand)"),
    ] = None,
    care_at: Annotated[
        str, typer.Option("--care-at", help="daily time of the due care batch, HH:MM")
    ] = "09:00",
    monthly_at: Annotated[
        str, typer.Option("--monthly-at", help="time of the monthly series on the 1st, HH:MM")
    ] = "08:00",
    once: Annotated[
        bool, typer.Option("--once", help="run what is due now and exit (for cron)")
    ] = False,
    now: Annotated[
        str | None,
        typer.Option("--now", help="with --once: act as if it were this time (2026-12-01T09:30)"),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help="the brand's clock, e.g. Asia/Shanghai (default: local)"),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option("--concurrency", "-c", min=1, max=64, help="parallel drafts (remote models)"),
    ] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="with --once: print JSON")] = False,
) -> None:
    """Run the care batch daily and the monthly series on the 1st (or once, with --once)."""
    from batch.service import BatchService
    from scheduling.jobs import Times, care_specs, due_specs, monthly_specs, parse_clock, run_specs

    times = Times(parse_clock(care_at), parse_clock(monthly_at, option="--monthly-at"))
    zone = _zone(timezone)
    if now is not None and not once:
        raise ZhenxinError("--now only goes with --once")
    service = BatchService.from_settings(get_settings())

    if once:
        moment = _now(now, zone)
        brands = _brands(service, brand)
        specs = due_specs(moment, brands, times)
        runs = run_specs(
            service, specs, concurrency=concurrency, on_run=None if as_json else _report
        )
        if as_json:
            print_json(
                {"now": moment.isoformat(), "brands": brands, "runs": [r.to_dict() for r in runs]}
            )
        elif not brands:
            typer.echo("no brands ingested yet (zhenxin ingest PATH)")
        elif not specs:
            typer.echo(
                f"nothing due at {moment:%Y-%m-%d %H:%M}: care runs daily at {care_at}, "
                f"the monthly series on the 1st at {monthly_at}"
            )
        if any(r.failed for r in runs):
            raise typer.Exit(1)
        return

    from scheduling.clock import build_scheduler

    def care(day: dt.date) -> None:
        run_specs(
            service,
            care_specs(day, _brands(service, brand)),
            concurrency=concurrency,
            on_run=_report,
        )

    def monthly(day: dt.date) -> None:
        run_specs(
            service,
            monthly_specs(day, _brands(service, brand)),
            concurrency=concurrency,
            on_run=_report,
        )

    scheduler = build_scheduler(times, care=care, monthly=monthly, timezone=zone)
    typer.echo(
        f"schedule: care daily at {care_at}, monthly series on the 1st at {monthly_at} "
        f"({scheduler.timezone}); Ctrl-C to stop"
    )
    scheduler.start()  # blocks; Ctrl-C ends it (exit 130)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.command("schedule")(schedule)
