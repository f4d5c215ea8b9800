"""The batch commands end to end: real pipeline on the fake model, hash embedder."""

from __future__ import annotations

import csv
import email
import email.policy
import json
from pathlib import Path

from cli.main import run
from core.settings import Settings


def test_care_json_then_resume_then_export(qingshui_cli: Settings, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    assert run(["batch", "care", "--brand", "qingshui", "--date", "2026-11-25", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["counts"]["done"] > 0 and first["counts"]["failed"] == 0
    assert first["counts"]["skipped"] >= 1  # opted-out customers of the example pack
    assert run(["batch", "care", "--brand", "qingshui", "--date", "2026-11-25", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["batch"] == first["batch"] and again["ran"] == {}
    assert again["counts"] == first["counts"]

    out = tmp_path / "out"
    # Nothing is approved yet: the export writes no drafts and says why for each.
    assert run(["export", "--batch", first["batch"], "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"skipped {first['counts']['done']} item(s)" in said and "not reviewed yet" in said
    for fmt in ("csv", "jsonl", "eml"):
        cmd = ["export", "--batch", first["batch"], "--format", fmt, "--out", str(out)]
        assert run([*cmd, "--include-unreviewed"]) == 0
    with (out / f"{first['batch']}.csv").open(encoding="utf-8-sig") as fh:
        assert len(list(csv.DictReader(fh))) == first["counts"]["done"]
    emls = sorted((out / first["batch"]).glob("*.eml"))
    assert len(emls) == first["counts"]["done"]
    msg = email.message_from_bytes(emls[0].read_bytes(), policy=email.policy.default)
    assert msg["List-Unsubscribe"] and msg.get_body(preferencelist=("html",)) is not None


def test_monthly_with_progress_and_status(qingshui_cli: Settings, capsys) -> None:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    code = run(
        [
            "batch",
            "monthly",
            "--brand",
            "qingshui",
            "--month",
            "2026-12",
            "--tiers",
            "new-friends",
            "--concurrency",
            "2",
        ]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "done" in err and "0 failed" in err
    batch_id = next(w for w in err.split() if w.startswith("monthly-2026-12-"))
    batch_id = batch_id.rstrip(":")
    assert run(["batch", "status", batch_id, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["counts"]["done"] == status["total"] > 0
    assert any("year_end_thanks" in i["key"] for i in status["items"])


def test_errors_are_one_line_exit_2(qingshui_cli: Settings, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(["batch", "monthly", "--brand", "qingshui", "--month", "2026-13"]) == 2
    assert run(["batch", "care", "--brand", "qingshui", "--date", "tomorrow"]) == 2
    assert (
        run(["batch", "monthly", "--brand", "qingshui", "--month", "2026-12", "--tiers", "nope"])
        == 2
    )
    assert run(["batch", "status", "nope"]) == 2
    assert run(["export", "--batch", "nope", "--format", "pdf"]) == 2
    err = capsys.readouterr().err
    assert "2026-12" in err and "nope" in err
