"""``zhenxin events import``, ``zhenxin report outcomes`` and ``zhenxin members``: what
happened after the drafts, and what it adds up to."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.output import console, print_json
from core.days import parse_day
from core.runtime import freeze_startup_objects
from core.settings import get_settings

if TYPE_CHECKING:
    from flywheel.service import FlywheelService

events_app = typer.Typer(
    help="Events after a draft (sent, replied, purchased, ...).", no_args_is_help=True
)
report_app = typer.Typer(help="Reports on what the drafts led to.", no_args_is_help=True)

BrandOpt = Annotated[str, typer.Option("--brand", "-b", help="brand id")]


def _service() -> FlywheelService:
    from drafting.service import DraftingService
    from flywheel.service import FlywheelService

    service = FlywheelService(DraftingService.from_settings(get_settings()))
    freeze_startup_objects()  # an ingest's or a report's collections skip the start-up
    return service


def _day(value: str | None, name: str) -> dt.date | None:
    return None if value is None else parse_day(value, name)


@events_app.command("import")
def import_events(
    file: Annotated[Path, typer.Argument(help="events as .csv or .jsonl")],
    brand: BrandOpt,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="processes, each a share of the customers (PostgreSQL only; a big history)",
        ),
    ] = 1,
) -> None:
    """Import events exported by a shop or a WeCom tool. Idempotent by event id: importing
    the same file again counts nothing twice. Bad rows are listed; the rest are kept."""
    result = _service().ingest_file(brand, file, workers=workers, actor="import")
    if as_json:
        print_json(result.as_dict())
        return
    typer.echo(
        f"{file.name}: {result.accepted} new, {result.duplicates} already held, "
        f"{len(result.rejected)} rejected; {len(result.stage_changes)} stage change(s), "
        f"{len(result.opted_out)} opt-out(s)"
    )
    for r in result.rejected[:20]:
        typer.echo(f"  row {r.index + 1}{' ' + r.id if r.id else ''}: {r.error}", err=True)
    if len(result.rejected) > 20:
        typer.echo(f"  … and {len(result.rejected) - 20} more", err=True)
    for c in result.stage_changes[:20]:
        typer.echo(f"  {c['customer_id']}: {c['from']} → {c['to']} on {c['at']} ({c['why']})")


def _pct(r: dict[str, Any]) -> str:
    if not r["n"]:
        return "-"
    text = f"{100 * r['rate']:.0f}% [{100 * r['low']:.0f}–{100 * r['high']:.0f}] n={r['n']}"
    return text + (" (few)" if r["few"] else "")


def print_outcomes(data: dict[str, Any]) -> None:
    """The outcomes report as two tables: the groups, then the holdout comparison."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"outcomes {data['brand']} {data['from']} → {data['to']}")
    keys = [k for k in ("month", "kind", "trigger", "stage") if k in data.get("by", [k])]
    counts = ("drafted", "approved", "sent", "reply rate", "bought ≤30d", "bought ≤60d", "unsub")
    for col in (*keys, *counts):
        table.add_column(col)
    for g in data["groups"]:
        table.add_row(
            *(g[k] or "-" for k in keys),
            str(g["drafted"]),
            str(g["approved"]),
            str(g["sent"]),
            _pct(g["reply_rate"]),
            _pct(g["purchase_rate_30d"]),
            _pct(g["purchase_rate_60d"]),
            str(g["unsubscribed"]),
        )
    # a log or a pipe: do not wrap the table at 80 columns
    out = console if console.is_terminal else Console(width=160)
    out.print(table)
    hold = data["holdout"]
    t2 = Table(title="care holdout: contacted vs held out (95% intervals)")
    for col in (
        "trigger",
        "contacted ≤30d",
        "held out ≤30d",
        "lift ≤30d",
        "contacted ≤60d",
        "held out ≤60d",
    ):
        t2.add_column(col)
    rows = [("all", hold), *hold["by_trigger"].items()]
    for name, pair in rows:
        lift = pair["lift_30d"]
        lift_text = "-"
        if lift["diff"] is not None:
            low, high = 100 * lift["low"], 100 * lift["high"]
            lift_text = f"{100 * lift['diff']:+.0f} pts [{low:+.0f}, {high:+.0f}]"
        t2.add_row(
            name,
            _pct(pair["contacted"]["purchase_rate_30d"]),
            _pct(pair["held_out"]["purchase_rate_30d"]),
            lift_text,
            _pct(pair["contacted"]["purchase_rate_60d"]),
            _pct(pair["held_out"]["purchase_rate_60d"]),
        )
    out.print(t2)


@report_app.command("outcomes")
def outcomes(
    brand: BrandOpt,
    since: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option("--to", help="last day (default today)")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="count outcomes up to this day")
    ] = None,
    by: Annotated[
        str, typer.Option("--by", help="group by these of kind,trigger,stage,month")
    ] = "kind,trigger,stage,month",
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Drafted, approved, sent, replied, repurchase within 30/60 days and unsubscribes per
    kind, trigger, stage and month, with the care holdout beside the contacted customers."""
    end = _day(until, "--to") or _day(as_of, "--as-of") or dt.date.today()
    start = _day(since, "--from") or end - dt.timedelta(days=365)
    from flywheel.report import group_fields

    fields = group_fields(by)
    data = _service().outcomes(
        brand, since=start, until=end, as_of=_day(as_of, "--as-of") or end, by=fields
    )
    if as_json:
        print_json(data)
    else:
        print_outcomes(data)


def members(
    brand: BrandOpt,
    on: Annotated[str | None, typer.Option("--on", help="score as of YYYY-MM-DD")] = None,
    limit: Annotated[int, typer.Option(help="how many")] = 20,
    core: Annotated[bool, typer.Option("--core", help="core members only")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Customers by core-member score, with the reasons and the tiers each may join."""
    found = _service().members(
        brand, on=_day(on, "--on") or dt.date.today(), limit=limit, core_only=core
    )
    if as_json:
        print_json([m.__dict__ for m in found])
        return
    for m in found:
        mark = "★" if m.core else " "
        tiers = f" → {', '.join(m.tiers)}" if m.tiers else ""
        typer.echo(f"{mark} {m.score:3d}  {m.customer_id} {m.name} ({m.stage}){tiers}")
        typer.echo(f"        {'; '.join(m.reasons)}")


def register(app: typer.Typer) -> None:
    app.add_typer(events_app, name="events")
    app.add_typer(report_app, name="report")
    app.command(name="members")(members)
