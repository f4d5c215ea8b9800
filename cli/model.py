"""``zhenxin model setup | verify | info``: the local GGUF model file."""

from __future__ import annotations

from importlib import metadata
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from cli.output import err_console, print_json
from core.errors import ConfigError
from core.settings import get_settings
from llm.model_files import (
    MODELS,
    cached_sha256,
    get_spec,
    installed_parts,
    model_path,
    setup_model,
    verify_model,
)

ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        help=f"which build: {', '.join(MODELS)} (default: ZHENXIN_LOCAL_MODEL)",
    ),
]


def _progress(label: str) -> Progress:
    return Progress(
        f"[bold]{label}[/]",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


def setup(model: ModelOption = None) -> None:
    """Join the model parts (installed from PyPI) into the data dir and verify size + SHA-256."""
    settings = get_settings()
    spec = get_spec(model or settings.local_model)
    with _progress(f"{spec.key}") as bar:
        task = bar.add_task("join", total=spec.size)
        status = setup_model(
            spec, settings.models_dir, progress=lambda done, _t: bar.update(task, completed=done)
        )
    what = {"present": "already verified", "verified": "verified", "joined": "joined and verified"}
    typer.echo(f"{spec.key}: {what.get(status.action, status.action)} → {status.path}")


def verify(model: ModelOption = None) -> None:
    """Re-hash the model file and compare size and SHA-256 with the published values."""
    settings = get_settings()
    spec = get_spec(model or settings.local_model)
    path = settings.models_dir / spec.filename
    with _progress(f"sha256 {spec.key}") as bar:
        task = bar.add_task("hash", total=spec.size)
        status = verify_model(
            spec, path, progress=lambda done, _t: bar.update(task, completed=done)
        )
    if not status.ok:
        if status.action == "missing":
            detail = "file not found"
        elif status.action == "bad-size":
            detail = f"size {status.size:,} bytes, expected {spec.size:,}"
        else:
            detail = f"sha256 {status.sha256}, expected {spec.sha256}"
        raise ConfigError(f"{path}: {detail}", hint=f"run: zhenxin model setup --model {spec.key}")
    typer.echo(f"{spec.key}: OK ({spec.size:,} bytes, sha256 {spec.sha256[:16]}…)")


def info(
    json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Show the configured model, where its file is, and whether it is verified."""
    settings = get_settings()
    rows = []
    for spec in MODELS.values():
        path = settings.models_dir / spec.filename
        rows.append(
            {
                "model": spec.key,
                "selected": spec.key == settings.local_model,
                "path": str(path),
                "present": path.is_file(),
                "verified": cached_sha256(path) == spec.sha256 if path.is_file() else False,
                "size": spec.size,
                "sha256": spec.sha256,
                "parts_installed": f"{installed_parts(spec)}/{spec.parts}",
                "pip": spec.pip_command(),
            }
        )
    try:
        runtime = f"llama-cpp-python {metadata.version('llama-cpp-python')}"
    except metadata.PackageNotFoundError:
        runtime = "llama-cpp-python not installed (pip install 'zhenxin[local]')"
    data = {
        "llm": settings.llm,
        "model_path": str(model_path(settings)),
        "runtime": runtime,
        "models": rows,
    }
    if json_output:
        print_json(data)
        return
    typer.echo(f"llm: {settings.llm}   local model file: {data['model_path']}")
    typer.echo(f"runtime: {runtime}")
    for row in rows:
        mark = "*" if row["selected"] else " "
        state = "verified" if row["verified"] else ("present" if row["present"] else "absent")
        typer.echo(f"{mark} {row['model']}: {state}, parts {row['parts_installed']}, {row['path']}")


def register(app: typer.Typer) -> None:
    """Add ``zhenxin model ...`` to the main app."""
    group = typer.Typer(help="The local model file (join, verify, inspect).", no_args_is_help=True)
    group.command("setup")(setup)
    group.command("verify")(verify)
    group.command("info")(info)
    app.add_typer(group, name="model")
