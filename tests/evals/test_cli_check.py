"""``zhenxin check``: FILE or stdin, --json, --jsonl, --lang/--channel/--kind/--brand."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from cli.main import run
from core.settings import Settings


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_check_file_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "msg.txt"
    path.write_text("限时秒杀！！仅限今天", encoding="utf-8")
    assert run(["check", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # flash sale + deadline + exclamation flood: stacked pressure (it was "review" before)
    assert data["verdict"] == "block"
    assert set(data) == {"verdict", "score", "findings"}
    first = data["findings"][0]
    assert set(first) == {"rule", "severity", "start", "end", "message", "suggestion"}
    assert (first["rule"], first["start"], first["end"]) == ("spam.stacked_pressure", 0, 10)
    urgency = [(f["start"], f["end"]) for f in data["findings"] if f["rule"] == "spam.urgency"]
    assert urgency[0] == (0, 2)


def test_check_stdin_human_output(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, "The #1 serum that cures acne.")
    assert run(["check", "-"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("✗ block") and "compliance.medical" in out and "«cures»" in out


def test_check_channel_and_lang_options(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, "小周，精华快用完了吧？")
    assert run(["check", "--channel", "sms", "--lang", "en", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rules = {f["rule"] for f in data["findings"]}
    assert {"channel.sms_signature", "channel.sms_opt_out"} <= rules
    assert data["findings"][0]["message"].startswith("The SMS")  # messages in --lang
    assert run(["check", "--channel", "fax"]) == 2  # a usage error


def test_check_jsonl_bulk(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        {"id": "a", "text": "小林你好，精华用得怎么样？"},
        {"id": "b", "text": "LAST CHANCE!!! 50% OFF", "lang": "en"},
        {"id": "c", "text": "小周你好", "channel": "sms"},
    ]
    _stdin(
        monkeypatch,
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + '\nnot json\n{"id": "e"}\n',
    )
    assert run(["check", "--jsonl"]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c", 4, "e"]
    assert out[0]["verdict"] == "pass" and out[1]["verdict"] == "block"
    assert out[2]["verdict"] == "block"
    assert "error" in out[3] and "line 4" in out[3]["error"]
    assert "text" in out[4]["error"]


def test_check_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    assert run(["check", str(tmp_path / "nope.txt")]) == 2


def test_check_with_brand_from_the_registry(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ZHENXIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ZHENXIN_EMBEDDER", "hash")
    assert run(["check", "--brand", "qingshui", "-"]) == 2  # never ingested
    assert "qingshui" in capsys.readouterr().err
    root = Path(__file__).resolve().parents[2]
    assert run(["ingest", str(root / "examples" / "qingshui")]) == 0
    capsys.readouterr()
    _stdin(monkeypatch, "小周，这款面霜闭眼入，爆款！")
    assert run(["check", "--brand", "qingshui", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    banned = [f for f in data["findings"] if f["rule"] == "tone.banned"]
    assert [(f["start"], f["end"]) for f in banned] == [(7, 10), (11, 13)]


def test_check_with_the_llm_judge(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ZHENXIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ZHENXIN_LLM", "fake")  # placeholder replies: the lowest valid scores
    _stdin(monkeypatch, "小林你好，精华用得怎么样？\n")
    assert run(["check", "--judge", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["judge"]["k"] == 2 and data["judge"]["overall"] == 1.0
    low = next(f for f in data["findings"] if f["rule"] == "judge.low_score")
    assert (low["start"], low["end"]) == (0, 13)
    _stdin(monkeypatch, "Hi Sam")
    assert run(["check", "--judge", "1"]) == 0
    assert "judge ×1: mean 1.00" in capsys.readouterr().out
