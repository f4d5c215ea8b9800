"""``zhenxin check`` (check any text, one or many) and ``zhenxin eval run`` (the scenario
suite through the generator, with a Markdown/JSON/HTML report)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.output import print_json
from core.errors import ZhenxinError
from core.settings import get_settings
from generator.drafts import ContentKind
from knowledge.pack import BrandPack, Channel

if TYPE_CHECKING:
    from evals import LLMJudge

_MARK = {"pass": "✓ pass", "review": "! review", "block": "✗ block"}


class Lang(StrEnum):
    ZH = "zh"
    EN = "en"


def _read(file: str) -> str:
    if file == "-":
        return sys.stdin.read()
    path = Path(file)
    if not path.is_file():
        raise typer.BadParameter(f"{file!r} is not a file", param_hint="FILE")
    return path.read_text(encoding="utf-8")


def _pack(brand_id: str | None) -> BrandPack | None:
    if brand_id is None:
        return None
    from knowledge.service import KnowledgeBase

    return KnowledgeBase(get_settings()).pack(brand_id)


def _check_one(
    text: str,
    *,
    lang: str | None,
    channel: str | None,
    kind: str | None,
    pack: BrandPack | None,
    judge: LLMJudge | None = None,
) -> dict[str, Any]:
    from evals import check, detect_lang, report_json
    from generator.basis import CheckBasis

    brand = pack.brand if pack else None
    basis = CheckBasis.for_text(
        pack,
        lang=lang or (brand.language if brand else None) or detect_lang(text),
        channel=channel,
        kind=kind,
    )
    ctx = basis.context(text, brand)
    result = report_json(check(ctx, judge=judge))
    if judge is not None and judge.last is not None:
        result["judge"] = judge.last.model_dump(exclude={"runs"})
    return result


def _judge(k: int) -> LLMJudge | None:
    if k <= 0:
        return None
    from evals import LLMJudge
    from llm import make_llm

    return LLMJudge(make_llm(get_settings()), k=k)


def _print_human(text: str, result: dict[str, Any]) -> None:
    typer.echo(f"{_MARK[result['verdict']]}  score {result['score']:.2f}")
    j = result.get("judge")
    if j and j.get("overall") is not None:
        means = ", ".join(f"{c} {v:.1f}" for c, v in j["mean"].items())
        typer.echo(
            f"  judge ×{j['k']}: mean {j['overall']:.2f} ± {j['overall_spread']:.2f} ({means})"
        )
    for f in result["findings"]:
        span = text[f["start"] : f["end"]].replace("\n", " ")
        if len(span) > 40:
            span = span[:39] + "…"
        typer.echo(f"  [{f['severity']}] {f['rule']} {f['start']}-{f['end']} «{span}»")
        typer.echo(f"      {f['message']}")
        if f["suggestion"]:
            typer.echo(f"      → {f['suggestion']}")


def check_command(
    file: Annotated[str, typer.Argument(help="text file to check, or - for stdin")] = "-",
    lang: Annotated[
        Lang | None, typer.Option("--lang", help="language of messages (default: detected)")
    ] = None,
    channel: Annotated[Channel | None, typer.Option("--channel", help="channel rules")] = None,
    kind: Annotated[ContentKind | None, typer.Option("--kind", help="content kind")] = None,
    brand: Annotated[
        str | None, typer.Option("--brand", "-b", help="ingested brand id (its lexicon, rules)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help='bulk: one {"id", "text", ...} per line in and out')
    ] = False,
    judge: Annotated[
        int,
        typer.Option("--judge", min=0, max=9, help="also ask the LLM judge K times (0: off)"),
    ] = 0,
) -> None:
    """Check a text for spam, compliance, channel, tone, grounding and injection problems."""
    the_pack = _pack(brand)
    defaults = {
        "lang": lang.value if lang else None,
        "channel": channel.value if channel else None,
        "kind": kind.value if kind else None,
    }
    if jsonl:
        _check_lines(_read(file), defaults, the_pack)
        return
    text = _read(file)
    result = _check_one(text, pack=the_pack, judge=_judge(judge), **defaults)
    if as_json:
        print_json(result)
    else:
        _print_human(text, result)


def _check_lines(data: str, defaults: dict[str, Any], pack: BrandPack | None) -> None:
    channels = {c.value for c in Channel}
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        item_id: Any = number
        try:
            item = json.loads(line)
            if isinstance(item, dict):
                item_id = item.get("id", number)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError('each line must be an object with a "text" string')
            opts = {k: item.get(k) or defaults[k] for k in ("lang", "channel", "kind")}
            if opts["lang"] not in (None, "zh", "en"):
                raise ValueError(f"lang {opts['lang']!r} is not zh or en")
            if opts["kind"] not in (None, *(k.value for k in ContentKind)):
                raise ValueError(f"kind {opts['kind']!r} is not a content kind")
            if opts["channel"] not in (None, *channels):
                raise ValueError(f"channel {opts['channel']!r} is not one of {sorted(channels)}")
            out = {"id": item_id, **_check_one(item["text"], pack=pack, **opts)}
        except (ValueError, ZhenxinError) as exc:  # json.JSONDecodeError is a ValueError
            out = {"id": item_id, "error": f"line {number}: {exc}"}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")


eval_app = typer.Typer(help="Run the scenario suite through the generator.", no_args_is_help=True)


@eval_app.command("run")
def eval_run(
    provider: Annotated[
        str | None, typer.Option("--provider", help='LLM: "local", "openai:<model>", "fake"')
    ] = None,
    scenarios: Annotated[
        Path | None, typer.Option("--scenarios", help="scenario folder (default: built-in)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="report folder (default: <data_dir>/evals/...)")
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--brand", "-b", help="only these brands")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Draft every scenario with the generator, check expectations, write the report."""
    from scenarios.report import write_report
    from scenarios.runner import run_suite

    overrides: dict[str, Any] = {"llm": provider} if provider else {}
    settings = get_settings(**overrides)
    result = run_suite(settings, scenarios_dir=scenarios, brands=only or None)
    paths = write_report(result, out or result.default_dir(settings))
    if as_json:
        print_json({"summary": result.summary(), "files": {k: str(v) for k, v in paths.items()}})
        return
    s = result.summary()
    typer.echo(f"{s['passed']}/{s['total']} scenarios passed ({s['pass_rate']:.0%})")
    for name, path in paths.items():
        typer.echo(f"  {name}: {path}")


def register(app: typer.Typer) -> None:
    """Add ``check`` and ``eval run`` to the main app."""
    app.command("check")(check_command)
    app.add_typer(eval_app, name="eval")
