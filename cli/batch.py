"""``zhenxin batch monthly|care|status`` and ``zhenxin export``.

Running the same ``batch`` command again resumes the same batch (its id comes from the
brand, month/date and tiers); ``--retry-failed`` also retries failed items.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.output import err_console, print_json
from core.days import parse_day
from core.errors import ZhenxinError
from core.runtime import freeze_startup_objects
from core.settings import get_settings

if TYPE_CHECKING:
    from batch.runner import Runner
    from batch.service import BatchService

batch_app = typer.Typer(
    help="Batch jobs: a month of community posts, the care messages due on a date.",
    no_args_is_help=True,
)

Concurrency = Annotated[
    int,
    typer.Option(
        "--concurrency",
        "-c",
        min=1,
        max=64,
        help="parallel drafts for remote models (the local model always runs one at a time)",
    ),
]
RetryFailed = Annotated[
    bool, typer.Option("--retry-failed", help="also retry the items that failed before")
]
AsJson = Annotated[bool, typer.Option("--json", help="print the summary as JSON, no progress")]
Queue = Annotated[
    bool,
    typer.Option("--queue", help="send the items to the Dramatiq/Redis workers instead"),
]


def _service() -> BatchService:
    from batch.service import BatchService

    service = BatchService.from_settings(get_settings())
    freeze_startup_objects()  # a brand-wide pass's collections no longer walk the start-up
    return service


def _runner(service: BatchService, queue: bool) -> Runner | None:
    if not queue:
        return None
    from batch.queue import DramatiqRunner

    return DramatiqRunner.from_settings(service.settings, service.repo)


def _execute(
    spec_kwargs: dict[str, object],
    concurrency: int,
    retry_failed: bool,
    as_json: bool,
    queue: bool,
) -> None:
    from pydantic import ValidationError

    from batch.jobs import BatchSpec
    from batch.progress import BatchProgress

    try:
        spec = BatchSpec(**spec_kwargs)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ZhenxinError(exc.errors(include_url=False)[0]["msg"]) from None
    service = _service()
    record = service.create(spec)
    runner = _runner(service, queue)
    if as_json:
        summary = service.run(
            record.id, runner=runner, concurrency=concurrency, retry_failed=retry_failed
        )
        print_json(summary.to_dict())
    else:
        with BatchProgress(err_console) as progress:
            summary = service.run(
                record.id,
                runner=runner,
                concurrency=concurrency,
                retry_failed=retry_failed,
                on_start=progress.start,
                on_outcome=progress.advance,
            )
        progress.print_summary(summary)
    if summary.counts.get("failed"):
        raise typer.Exit(1)


@batch_app.command()
def monthly(
    brand: Annotated[str, typer.Option("--brand", "-b", help="brand id")],
    month: Annotated[str, typer.Option("--month", help="the month, e.g. 2026-12")],
    tiers: Annotated[
        str | None, typer.Option("--tiers", help="comma-separated tier ids (default: all)")
    ] = None,
    concurrency: Concurrency = 1,
    retry_failed: RetryFailed = False,
    as_json: AsJson = False,
    queue: Queue = False,
) -> None:
    """Plan and draft a month's themed community posts for each tier."""
    tier_list = [t.strip() for t in tiers.split(",") if t.strip()] if tiers else None
    _execute(
        {"kind": "monthly", "brand": brand, "month": month, "tiers": tier_list},
        concurrency,
        retry_failed,
        as_json,
        queue,
    )


@batch_app.command()
def care(
    brand: Annotated[str, typer.Option("--brand", "-b", help="brand id")],
    date: Annotated[str, typer.Option("--date", help="the day to scan for, e.g. 2026-12-01")],
    concurrency: Concurrency = 1,
    retry_failed: RetryFailed = False,
    as_json: AsJson = False,
    queue: Queue = False,
) -> None:
    """Find the customers due a care message on DATE and draft one message each."""
    _execute(
        {"kind": "care", "brand": brand, "date": parse_day(date, "--date")},
        concurrency,
        retry_failed,
        as_json,
        queue,
    )


@batch_app.command()
def status(
    batch_id: Annotated[str, typer.Argument(help="batch id")],
    as_json: AsJson = False,
) -> None:
    """Show a batch: counts and every item."""
    data = _service().status(batch_id)
    if as_json:
        print_json(data)
        return
    counts = ", ".join(f"{k} {v}" for k, v in data["counts"].items())
    typer.echo(f"{data['id']} ({data['kind']}, {data['brand']}): {data['status']} — {counts}")
    for item in data["items"]:
        tail = f"  {item['error']}" if item["error"] else ""
        typer.echo(f"  {item['status']:<8} {item['key']}{tail}")


def export(
    batch: Annotated[str, typer.Option("--batch", help="batch id")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv | jsonl | eml")] = "csv",
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder")] = Path("."),
    unreviewed: Annotated[
        bool,
        typer.Option(
            "--include-unreviewed",
            help="also drafts nobody has approved yet (never rejected ones)",
        ),
    ] = False,
) -> None:
    """Export a batch's approved drafts, as approved, as CSV, JSON Lines or .eml files.
    Customers who opted out since are skipped; every item left out is listed."""
    from batch.export import ExportFormat, export_batch

    try:
        chosen = ExportFormat(fmt)
    except ValueError:
        raise ZhenxinError(f"unknown format {fmt!r}", hint="use csv, jsonl or eml") from None
    service = _service()
    record = service.repo.get(batch)
    pack = service.drafting.pack(record.brand_id) if chosen == ExportFormat.EML else None
    statuses = ("approved", "pending_review") if unreviewed else ("approved",)
    summary = export_batch(
        service.repo,
        batch,
        chosen,
        out,
        pack=pack,
        customers=service.drafting.customers,
        statuses=statuses,
    )
    typer.echo(summary.describe(out))


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.add_typer(batch_app, name="batch")
    app.command("export")(export)
