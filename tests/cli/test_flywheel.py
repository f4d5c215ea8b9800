"""``zhenxin events import``, ``zhenxin report outcomes`` and ``zhenxin members``."""

from __future__ import annotations

import json
from pathlib import Path

from cli.main import run
from core.settings import Settings


def test_import_twice_then_report(qingshui_cli: Settings, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    events = tmp_path / "events.csv"
    events.write_text(
        "id,customer_id,type,at,product,kind,trigger,text\n"
        "s1,qs-001,sent,2026-06-01,,care_message,day3,\n"
        "p1,qs-001,purchased,2026-06-12,repair-serum,,,\n"
        "r1,qs-001,replied,2026-06-02,,,,谢谢阿青\n"
        "x1,qs-999,sent,2026-06-01,,care_message,day3,\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert run(["events", "import", str(events), "--brand", "qingshui"]) == 0
    out = capsys.readouterr()
    assert "3 new, 0 already held, 1 rejected; 1 stage change(s)" in out.out
    assert "row 4 x1: unknown customer 'qs-999'" in out.err
    assert run(["events", "import", str(events), "--brand", "qingshui", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["accepted"], again["duplicates"]) == (0, 3)
    args = [
        "report",
        "outcomes",
        "--brand",
        "qingshui",
        "--from",
        "2026-01-01",
        "--to",
        "2026-11-30",
    ]
    assert run([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["groups"][0]["sent"] == 1 and report["groups"][0]["purchased_30d"] == 1
    assert run(args) == 0
    table = capsys.readouterr().out
    assert "care_message" in table and "holdout" in table
    assert run(["members", "--brand", "qingshui", "--on", "2026-11-30", "--limit", "3"]) == 0
    assert len([line for line in capsys.readouterr().out.splitlines() if line[:1] in "★ "]) >= 3


def test_a_bad_events_file_is_one_clear_line(
    qingshui_cli: Settings, capsys, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "events.xlsx"
    bad.write_text("", encoding="utf-8")
    assert run(["events", "import", str(bad), "--brand", "qingshui"]) == 2
    assert "unknown events file type" in capsys.readouterr().err
    assert run(["report", "outcomes", "--brand", "qingshui", "--from", "soon"]) == 2


def test_an_import_in_several_processes_on_sqlite_is_one_clear_line(
    qingshui_cli: Settings, capsys, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    events = tmp_path / "events.csv"
    events.write_text("id,customer_id,type,at\ns1,qs-001,sent,2026-06-01\n", encoding="utf-8")
    capsys.readouterr()
    assert run(["events", "import", str(events), "--brand", "qingshui", "--workers", "2"]) == 2
    assert "needs PostgreSQL" in capsys.readouterr().err
    assert run(["events", "import", str(events), "--brand", "qingshui", "--workers", "1"]) == 0
    assert "1 new" in capsys.readouterr().out


def test_a_far_day_is_one_clear_line(qingshui_cli: Settings, capsys) -> None:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    assert run(["members", "--brand", "qingshui", "--on", "0001-01-05"]) == 2
    err = capsys.readouterr().err
    assert "--on 0001-01-05 is out of range (a day from 1900-01-01 to 2999-12-31)" in err
    assert "Traceback" not in err
    assert run(["report", "outcomes", "--brand", "qingshui", "--to", "9999-12-31"]) == 2
    assert "--to 9999-12-31 is out of range" in capsys.readouterr().err
    assert run(["batch", "care", "--brand", "qingshui", "--date", "9999-12-31"]) == 2
    assert "--date 9999-12-31 is out of range" in capsys.readouterr().err
    assert run(["batch", "monthly", "--brand", "qingshui", "--month", "9999-12"]) == 2
    assert "month 9999-12 is out of range" in capsys.readouterr().err
