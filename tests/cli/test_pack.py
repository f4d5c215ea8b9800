"""``zhenxin pack init`` writes a starter pack that ``pack check`` accepts and that ingests;
``pack check`` reports problems and warnings without indexing. Chinese first, English second."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cli.main import run
from core.settings import Settings
from evals import CheckContext, Verdict, check
from knowledge.loader import load_pack
from knowledge.pack import DocKind


@pytest.fixture(autouse=True)
def _env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHENXIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ZHENXIN_EMBEDDER", "hash")
    monkeypatch.setenv("ZHENXIN_CHROMA_URL", "")


@pytest.mark.parametrize(
    ("lang", "moments", "signature"),
    [
        ("zh", (r"第 ?3 ?天", r"一半", r"快用完"), "—— 小满 · 小满手工皂"),
        ("en", (r"Day 3", r"Halfway", r"Nearly done"), "Maya at Little Harbor Soap"),
    ],
)
def test_init_writes_a_pack_that_checks_and_ingests(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    lang: str,
    moments: tuple[str, ...],
    signature: str,
) -> None:
    folder = tmp_path / f"my-shop-{lang}"
    assert run(["pack", "init", str(folder), "--lang", lang]) == 0
    assert "brand.yaml" in capsys.readouterr().out
    brand_yaml = (folder / "brand.yaml").read_text(encoding="utf-8")
    assert brand_yaml.count("\n#") >= 10, "brand.yaml explains itself in comments"

    assert run(["pack", "check", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"ok: my-shop-{lang} ") and "0 warning(s)" in out

    pack = load_pack(folder)
    assert pack.brand.id == f"my-shop-{lang}"  # the folder name became the brand id
    assert pack.brand.language == lang
    assert pack.brand.persona.signature == signature  # derived: the starter leaves it out
    assert all(b.id.startswith("b-") for b in pack.brand.beliefs)  # plain sentences
    kinds = [d.kind for d in pack.docs]
    assert sorted(kinds) == sorted([DocKind.VALUE, DocKind.USAGE_GUIDE, DocKind.STORY])
    (guide,) = [d for d in pack.docs if d.kind == DocKind.USAGE_GUIDE]
    for moment in moments:
        assert re.search(moment, guide.body), moment
    assert re.search(r"注意事项|Safety", guide.body)
    (story,) = [d for d in pack.docs if d.kind == DocKind.STORY]
    assert story.consent is True and story.customer in {c.id for c in pack.customers}
    assert len(pack.customers) == 3
    assert any(k == v for c in pack.customers for k, v in c.tags.items()), "a label tag"
    for belief in pack.brand.beliefs:  # drafts quote beliefs: the starter's must be sendable
        ctx = CheckContext(text=belief.text, lang=lang, channel="community", brand=pack.brand)
        assert check(ctx).verdict == Verdict.PASS, belief.text

    assert run(["ingest", str(folder), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["docs"], report["customers"], report["warnings"]) == (3, 3, [])


def test_zh_init_refuses_a_folder_with_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "shop"
    folder.mkdir()
    (folder / "notes.txt").write_text("我的笔记", encoding="utf-8")
    assert run(["pack", "init", str(folder)]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "我的笔记"
    assert not (folder / "brand.yaml").exists()


def test_zh_check_reports_problems_and_warnings_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], settings: Settings
) -> None:
    folder = tmp_path / "shop"
    assert run(["pack", "init", str(folder)]) == 0
    (folder / "customers.csv").write_text(
        "id,name,stage,微信号\nc001,王小雨,熟客,wx123\n", encoding="utf-8"
    )
    capsys.readouterr()
    assert run(["pack", "check", str(folder)]) == 2
    out = capsys.readouterr().out
    assert "problem: customers.csv:line 2, stage: unknown stage '熟客'" in out
    assert "warning: customers.csv:line 1, 微信号: unknown column" in out
    assert out.rstrip().endswith("invalid: shop, 2 problem(s)")  # + story customer c003
    assert not (settings.data_dir / "brands").exists(), "check never indexes"


def test_en_check_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "harbor"
    assert run(["pack", "init", str(folder), "--lang", "en"]) == 0
    (folder / "customers.csv").write_text(
        "name,id,stage,preferred_channel\nEmma,c003,repeat,sms\n", encoding="utf-8"
    )
    capsys.readouterr()
    assert run(["pack", "check", str(folder), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["valid"], data["brand"], data["customers"], data["problems"]) == (
        True,
        "harbor",
        1,
        [],
    )
    (warning,) = data["warnings"]
    assert warning["hint"].startswith("did you mean channel?")
    assert run(["pack", "check", str(tmp_path / "missing"), "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["problems"][0]["message"] == "no such folder"
