"""The ``zhenxin`` command: a thin shell over the packages. Each area registers its own
commands from a small module in this package; errors become one clear line and exit 2."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from cli import batch, drafts, evals, flywheel, knowledge, model, pack, schedule, serve
from core.errors import ZhenxinError
from core.pii import install_pii_masking

app = typer.Typer(
    name="zhenxin",
    help="真心 zhenxin: sincere customer-care drafts for private-domain brands.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """真心 zhenxin: sincere customer-care drafts for private-domain brands."""


for area in (knowledge, pack, evals, drafts, model, serve, batch, schedule, flywheel):
    area.register(app)


@app.command()
def version() -> None:
    """Print the installed version."""
    from importlib.metadata import version as dist_version

    print(dist_version("zhenxin"))


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` and return the exit code (tests call this directly)."""
    install_pii_masking()  # CLI logs (batches, ingest) never carry a customer's contact data
    try:
        app(args=list(argv) if argv is not None else None, prog_name="zhenxin")
    except SystemExit as exc:  # typer/click finish with SystemExit, usage errors with 2
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except ZhenxinError as exc:
        print(f"zhenxin: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("zhenxin: interrupted", file=sys.stderr)
        return 130
    return 0


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
