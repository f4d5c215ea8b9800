"""``zhenxin ingest`` / ``search`` / ``brands``: output, --json shape, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import run
from core.settings import Settings
from tests.knowledge.helpers import FIXTURES, copy_pack


@pytest.fixture(autouse=True)
def _env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHENXIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ZHENXIN_EMBEDDER", "hash")
    monkeypatch.setenv("ZHENXIN_CHROMA_URL", "")


def test_ingest_prints_summary_then_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["ingest", str(FIXTURES / "cha")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("cha: 6 docs, 11 chunks (11 added, 0 updated, 0 unchanged, 0 deleted)")
    assert "3 customers" in out
    assert run(["ingest", str(FIXTURES / "cha"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["added"], report["unchanged"]) == (0, 11)


def test_search_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["ingest", str(FIXTURES / "trail")]) == 0
    capsys.readouterr()
    code = run(["search", "--brand", "trail", "ten-year warranty leak", "--json", "-k", "2"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["results"]
    assert len(data["results"]) == 2
    first = data["results"][0]
    assert {"doc_id", "kind", "title", "score", "text"} <= set(first)
    assert (first["doc_id"], first["kind"]) == ("warranty", "policy")


def test_search_filters_and_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    run(["ingest", str(FIXTURES / "cha")])
    capsys.readouterr()
    args = ["search", "-b", "cha", "怎么保存", "--kind", "usage_guide", "--product", "ripe-puerh"]
    assert run([*args, "--stage", "相恋", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert results and {r["doc_id"] for r in results} == {"pu-erh-guide"}
    assert run(["search", "-b", "cha", "茶会"]) == 0
    assert "1. [" in capsys.readouterr().out
    assert run(["search", "-b", "cha", "茶会", "--mode", "dense", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["doc_id"] == "tea-party"


def test_brands(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["brands"]) == 0
    assert "no brands" in capsys.readouterr().out
    run(["ingest", str(FIXTURES / "cha")])
    run(["ingest", str(FIXTURES / "trail")])
    capsys.readouterr()
    assert run(["brands", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["brands"]
    assert [(r["id"], r["language"]) for r in rows] == [("cha", "zh"), ("trail", "en")]
    assert rows[0]["customers"] == 3  # the pack's list, counted beside the snapshot


def test_errors_exit_2_with_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["search", "--brand", "nope", "x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zhenxin: error: unknown brand 'nope'") and err.count("\n") == 1

    assert run(["ingest", str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err

    bad = copy_pack(tmp_path, "cha")
    (bad / "brand.yaml").write_text("id: cha\nlanguage: zh\n", encoding="utf-8")
    assert run(["ingest", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "brand.yaml:name: Field required" in err and "brand.yaml:persona" in err

    run(["ingest", str(FIXTURES / "cha")])
    assert run(["search", "-b", "cha", "茶", "--stage", "熟客"]) == 2
    assert "unknown stage" in capsys.readouterr().err
    assert run(["search", "-b", "cha", "茶", "--kind", "recipe"]) == 2
    assert "unknown document kind" in capsys.readouterr().err
    assert run(["search", "-b", "cha", "茶", "--mode", "sparse"]) == 2


def test_empty_index_exit_2(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["ingest", str(FIXTURES / "cha")])
    # Another embedder, same data dir: the brand is known but has no vectors for it.
    monkeypatch.setenv("ZHENXIN_EMBEDDER", "openai:text-embedding-3-small")
    monkeypatch.setenv("ZHENXIN_EMBED_BASE_URL", "http://127.0.0.1:9/v1")
    capsys.readouterr()
    assert run(["search", "-b", "cha", "茶"]) == 2
    assert "no indexed knowledge" in capsys.readouterr().err
