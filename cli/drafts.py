"""``zhenxin draft``: one draft for one customer, printed for a person or as JSON."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from cli.output import print_json
from core.days import parse_day
from core.settings import get_settings
from generator.drafts import ContentKind, Draft, DraftRequest, Trigger
from knowledge.pack import Channel

_MARK = {"pass": "✓ pass", "review": "! review", "block": "✗ block"}


def _as_of(value: str | None) -> dt.date | None:
    return None if value is None else parse_day(value, "--as-of")


def draft(
    brand: Annotated[str, typer.Option("--brand", "-b", help="brand id")],
    kind: Annotated[ContentKind, typer.Option("--kind", "-k", help="what to write")],
    customer: Annotated[
        str | None, typer.Option("--customer", "-c", help="customer id from the brand's pack")
    ] = None,
    trigger: Annotated[
        Trigger | None, typer.Option(help="the moment (inferred from the customer if omitted)")
    ] = None,
    channel: Annotated[
        Channel | None, typer.Option(help="channel (default: the kind's or the customer's)")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="plan as if today were YYYY-MM-DD")
    ] = None,
    question: Annotated[
        str | None, typer.Option(help="the customer's question (trigger: question)")
    ] = None,
    story: Annotated[
        str | None, typer.Option("--story", help="story document id (user_story_post)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the draft as JSON")] = False,
) -> None:
    """Draft a care message, after-sale email or user-story post for one customer. The draft
    is stored like any other: it waits in the review queue under the id printed."""
    from drafting.service import DraftingService

    day = _as_of(as_of)
    request = DraftRequest(
        brand=brand,
        kind=kind,
        customer_id=customer,
        trigger=trigger,
        channel=channel,
        question=question,
        story_doc=story,
    )
    record = DraftingService.from_settings(get_settings()).generate(
        brand, request, requested_by="cli", as_of=day
    )
    result = Draft.model_validate(record.generated or {})
    if as_json:
        print_json({"id": record.id, **result.model_dump(mode="json")})
    else:
        _print(result)
        typer.echo(f"draft id: {record.id} (in the review queue)")


def _print(d: Draft) -> None:
    head = f"{d.kind.value} · {d.brand}/{d.customer or '-'} · {d.plan.stage_name} · {d.trigger}"
    typer.echo(f"{head} · {d.channel}")
    typer.echo("")
    typer.echo(d.text or "(no usable draft: see the findings)")
    typer.echo("")
    typer.echo(
        f"verdict: {_MARK.get(d.verdict.value, d.verdict.value)}  score {d.score:.2f}  "
        f"attempts {len(d.attempts)}  {d.provider}:{d.model}  {d.timings.get('total', 0):.1f}s"
    )
    for f in d.findings:
        tip = f" → {f.suggestion}" if f.suggestion else ""
        typer.echo(f"  [{f.severity.value}] {f.rule}: {f.message}{tip}")
    if d.belief:
        typer.echo(f"belief: {d.belief}")
    if d.sources:
        typer.echo("sources:")
        for s in d.sources:
            typer.echo(f"  {s.chunk_id or s.doc_id} ({s.kind}) {s.title}")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.command(name="draft")(draft)
