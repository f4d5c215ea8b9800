"""``zhenxin pack init DIR [--lang zh|en]`` and ``zhenxin pack check DIR``.

``init`` writes a commented starter pack (``knowledge/starter_packs/<lang>``: brand.yaml, a
values doc, a usage guide with day-3 / halfway / almost-finished tips and a safety section, a
consented story, three customers) that checks and ingests as it is. ``check`` validates a
pack without indexing anything: every problem and warning, exit 2 when it is invalid; a
pack's ``events.jsonl`` (its history of sends, replies and orders) is checked too.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from enum import StrEnum
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.output import print_json
from core.errors import ConflictError, PackProblem, ZhenxinError

if TYPE_CHECKING:
    from knowledge.pack import BrandPack

pack_app = typer.Typer(
    help="Brand packs: write a starter pack, check a pack without indexing it.",
    no_args_is_help=True,
)

STARTER_PACKS = "starter_packs"
_ID_LINE = re.compile(r"^id: .*$", re.MULTILINE)


class Lang(StrEnum):
    ZH = "zh"
    EN = "en"


def _starter(lang: Lang) -> Traversable:
    return resources.files("knowledge").joinpath(STARTER_PACKS, lang.value)


def _copy_tree(source: Traversable, dest: Path) -> list[Path]:
    written: list[Path] = []
    for item in sorted(source.iterdir(), key=lambda t: t.name):
        if item.name.startswith(("_", ".")):
            continue
        target = dest / item.name
        if item.is_dir():
            target.mkdir(exist_ok=True)
            written += _copy_tree(item, target)
        else:
            target.write_bytes(item.read_bytes())
            written.append(target)
    return written


def write_starter_pack(dest: Path, lang: Lang = Lang.ZH) -> list[Path]:
    """Write the starter pack into ``dest`` (new or empty); the brand id becomes the folder
    name when that is a valid id. Returns the files written."""
    from knowledge.pack import ID_PATTERN

    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ConflictError(
            f"{dest} already exists and is not an empty folder",
            hint="give a new folder name; pack init never overwrites files",
        )
    dest.mkdir(parents=True, exist_ok=True)
    written = _copy_tree(_starter(lang), dest)
    brand_id = dest.resolve().name.lower()
    if re.match(ID_PATTERN, brand_id):
        brand_file = dest / "brand.yaml"
        text = brand_file.read_text(encoding="utf-8")
        brand_file.write_text(_ID_LINE.sub(f"id: {brand_id}", text, count=1), encoding="utf-8")
    return written


def init(
    folder: Annotated[Path, typer.Argument(help="new folder for the pack")],
    lang: Annotated[Lang, typer.Option("--lang", help="language of the pack: zh or en")] = Lang.ZH,
) -> None:
    """Write a commented starter brand pack that checks and ingests as it is."""
    written = write_starter_pack(folder, lang)
    typer.echo(f"wrote {len(written)} files to {folder}:")
    for path in written:
        typer.echo(f"  {path.relative_to(folder).as_posix()}")
    if lang == Lang.ZH:
        typer.echo(f"下一步：改成你自己的品牌，然后 zhenxin pack check {folder}")
    else:
        typer.echo(f"next: make it your own brand, then zhenxin pack check {folder}")


def check(
    folder: Annotated[Path, typer.Argument(help="brand pack folder (brand.yaml, knowledge/, ...)")],
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Validate a pack without indexing it: problems and warnings; exit 2 if it is invalid."""
    from knowledge.loader import read_pack

    reading = read_pack(folder)
    pack = reading.pack
    events, event_problems = _check_events(folder, pack)
    problems = [*reading.problems, *event_problems]
    valid = reading.valid and not event_problems
    if as_json:
        print_json(
            {
                "valid": valid,
                "brand": reading.name,
                "docs": len(pack.docs) if pack else None,
                "customers": len(pack.customers) if pack else None,
                "events": events,
                "problems": [asdict(p) for p in problems],
                "warnings": [asdict(w) for w in reading.warnings],
            }
        )
    else:
        for problem in problems:
            typer.echo(f"problem: {problem}")
        for warning in reading.warnings:
            typer.echo(f"warning: {warning}")
        if pack is not None and valid:
            counted = f", {events} events" if events is not None else ""
            typer.echo(
                f"ok: {pack.brand.id} ({pack.brand.name}), {len(pack.docs)} docs, "
                f"{len(pack.customers)} customers{counted}, {len(reading.warnings)} warning(s)"
            )
        else:
            typer.echo(f"invalid: {reading.name}, {len(problems)} problem(s)")
    if not valid:
        raise typer.Exit(2)


def _check_events(folder: Path, pack: BrandPack | None) -> tuple[int | None, list[PackProblem]]:
    """The pack's ``events.jsonl`` (if it has one; not knowledge, ``zhenxin events import``
    reads it): how many events, and what would not import. Checked against the pack's
    customers and usage guides, so only when the rest of the pack reads."""
    from flywheel.event_files import EVENTS_FILE, check_file, read_events
    from knowledge.pack import DocKind

    path = folder / EVENTS_FILE
    if pack is None or not path.is_file():
        return None, []
    products = {d.product for d in pack.docs if d.kind == DocKind.USAGE_GUIDE and d.product}
    problems = check_file(path, customers={c.id for c in pack.customers}, products=products)
    try:
        count = sum(1 for _ in read_events(path))
    except ZhenxinError:
        count = 0
    return count, problems


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    pack_app.command()(init)
    pack_app.command()(check)
    app.add_typer(pack_app, name="pack")
