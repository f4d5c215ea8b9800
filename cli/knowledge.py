"""``zhenxin ingest PATH``, ``zhenxin search --brand ID QUERY``, ``zhenxin brands``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli.output import print_json
from core.settings import get_settings


class Mode(StrEnum):
    HYBRID = "hybrid"
    DENSE = "dense"


def ingest(
    path: Annotated[Path, typer.Argument(help="brand pack folder (brand.yaml, knowledge/, ...)")],
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Validate a brand pack, index its knowledge (only changed chunks are re-embedded) and
    store its customers (opt-outs recorded since are kept)."""
    from drafting.customers import CustomerStore
    from drafting.packs import ingest_pack
    from knowledge.service import KnowledgeBase
    from storage.db import open_database

    settings = get_settings()
    _, sessions = open_database(settings)
    report = ingest_pack(KnowledgeBase(settings), CustomerStore(sessions), path)
    if as_json:
        print_json(report.model_dump())
        return
    typer.echo(
        f"{report.brand}: {report.docs} docs, {report.chunks} chunks "
        f"({report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.deleted} deleted), {report.customers} customers in {report.seconds:.2f}s"
    )
    print_warnings(report.warnings)


def print_warnings(warnings: list[str]) -> None:
    """Warnings go to stderr, one a line, so scripts reading stdout are not disturbed."""
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)


def search(
    query: Annotated[str, typer.Argument(help="what to look for, in any language")],
    brand: Annotated[str, typer.Option("--brand", "-b", help="brand id")],
    kind: Annotated[str | None, typer.Option(help="document kind, e.g. usage_guide")] = None,
    product: Annotated[str | None, typer.Option(help="product id of a usage guide")] = None,
    stage: Annotated[str | None, typer.Option(help="stage id or name (相知, repeat, ...)")] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="how many passages")] = 5,
    mode: Annotated[
        Mode | None, typer.Option(help="retrieval mode (default: ZHENXIN_RETRIEVAL_MODE)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Search one brand's knowledge."""
    from knowledge.service import KnowledgeBase

    settings = get_settings(**({"retrieval_mode": mode.value} if mode else {}))
    passages = KnowledgeBase(settings).search(
        brand, query, kind=kind, product=product, stage=stage, k=k
    )
    if as_json:
        print_json(
            {
                "results": [
                    {
                        "doc_id": p.doc_id,
                        "kind": p.kind,
                        "title": p.title,
                        "score": p.score,
                        "text": p.text,
                        "chunk_id": p.chunk_id,
                        "product": p.product,
                        "stages": p.stages,
                    }
                    for p in passages
                ]
            }
        )
        return
    if not passages:
        typer.echo("no matching passages")
    for i, p in enumerate(passages, start=1):
        typer.echo(f"{i}. [{p.score:.3f}] {p.doc_id} ({p.kind}) {p.title}")
        snippet = " ".join(p.text.split())
        typer.echo(f"   {snippet[:160]}{'…' if len(snippet) > 160 else ''}")


def brands(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List the brands whose packs were ingested."""
    from knowledge.registry import PackRegistry

    registry = PackRegistry(get_settings())
    rows = []
    for brand_id in registry.brands():
        pack = registry.load(brand_id)
        rows.append(
            {
                "id": brand_id,
                "name": pack.brand.name,
                "language": pack.brand.language,
                "docs": len(pack.docs),
                "customers": registry.customer_count(brand_id),
            }
        )
    if as_json:
        print_json({"brands": rows})
        return
    if not rows:
        typer.echo("no brands ingested yet (zhenxin ingest PATH)")
    for r in rows:
        typer.echo(
            f"{r['id']}\t{r['name']}\t{r['language']}\t{r['docs']} docs\t{r['customers']} customers"
        )


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.command()(ingest)
    app.command()(search)
    app.command()(brands)
