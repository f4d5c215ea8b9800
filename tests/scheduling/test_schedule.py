"""``zhenxin schedule``: what is due when, idempotent runs through BatchService, the
APScheduler jobs, and ``--once`` for cron. Chinese brand first, English second."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.blocking import BlockingScheduler

from batch.jobs import BatchKind
from cli.main import run
from core.errors import ZhenxinError
from core.settings import Settings
from scheduling.clock import build_scheduler
from scheduling.jobs import Times, due_specs, parse_clock

BRANDS = ["xiaoman", "harbor"]


@pytest.fixture
def packs(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """The zh and en starter packs, ingested, with the CLI on the test's data dir."""
    monkeypatch.setenv("ZHENXIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ZHENXIN_EMBEDDER", "hash")
    monkeypatch.setenv("ZHENXIN_LLM", "fake")
    folders = {"xiaoman": tmp_path / "xiaoman", "harbor": tmp_path / "harbor"}
    assert run(["pack", "init", str(folders["xiaoman"]), "--lang", "zh"]) == 0
    assert run(["pack", "init", str(folders["harbor"]), "--lang", "en"]) == 0
    for folder in folders.values():
        assert run(["ingest", str(folder)]) == 0
    return folders


def _once(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = run(["schedule", "--once", "--json", *args])
    return code, json.loads(capsys.readouterr().out)


# --- what is due when -------------------------------------------------------------------------


def test_zh_due_on_the_first_and_on_other_days() -> None:
    times = Times(care_at=dt.time(9, 0), monthly_at=dt.time(8, 0))

    def kinds(moment: str) -> list[tuple[str, str]]:
        specs = due_specs(dt.datetime.fromisoformat(moment), ["xiaoman"], times)
        return [(s.kind.value, s.month or str(s.date)) for s in specs]

    assert kinds("2026-12-01T07:59") == []
    assert kinds("2026-12-01T08:00") == [("monthly", "2026-12")]
    assert kinds("2026-12-01T09:00") == [("monthly", "2026-12"), ("care", "2026-12-01")]
    assert kinds("2026-12-02T08:59") == []
    assert kinds("2026-12-02T23:00") == [("care", "2026-12-02")]


def test_en_times_are_checked() -> None:
    assert parse_clock("9:05") == dt.time(9, 5)
    for bad in ("9", "25:00", "09:60", "9:5", "nine"):
        with pytest.raises(ZhenxinError, match="like 09:00"):
            parse_clock(bad)


def test_en_scheduler_fires_daily_and_on_the_first() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    calls: list[tuple[str, dt.date]] = []
    scheduler = build_scheduler(
        Times(care_at=dt.time(9, 30), monthly_at=dt.time(7, 0)),
        care=lambda day: calls.append(("care", day)),
        monthly=lambda day: calls.append(("monthly", day)),
        timezone=zone,
    )
    after = dt.datetime(2026, 12, 1, 10, 0, tzinfo=zone)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert jobs["care"].trigger.get_next_fire_time(None, after) == dt.datetime(
        2026, 12, 2, 9, 30, tzinfo=zone
    )
    assert jobs["monthly"].trigger.get_next_fire_time(None, after) == dt.datetime(
        2027, 1, 1, 7, 0, tzinfo=zone
    )
    assert all(j.coalesce and j.max_instances == 1 for j in jobs.values())
    jobs["care"].func()
    jobs["monthly"].func()
    today = dt.datetime.now(zone).date()
    assert calls == [("care", today), ("monthly", today)]


# --- --once: idempotent runs --------------------------------------------------------------------


def test_zh_once_runs_the_due_care_batch_and_a_rerun_drafts_nothing(
    packs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, first = _once(capsys, "--brand", "xiaoman", "--now", "2026-11-23T09:30")
    assert code == 0, first
    (care,) = first["runs"]
    assert (care["kind"], care["brand"], care["when"]) == ("care", "xiaoman", "2026-11-23")
    assert care["error"] is None and care["ran"].get("done", 0) >= 2  # day 3 and halfway
    code, again = _once(capsys, "--brand", "xiaoman", "--now", "2026-11-23T18:00")
    assert code == 0
    (rerun,) = again["runs"]
    assert rerun["batch"] == care["batch"], "the same spec finds the same batch"
    assert rerun["ran"] == {}, "nothing is drafted twice"
    assert rerun["counts"] == care["counts"]


def test_en_monthly_on_the_first_then_care_for_every_brand(
    packs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, early = _once(capsys, "--brand", "harbor", "--now", "2026-12-01T08:15")
    assert code == 0
    (monthly,) = early["runs"]
    assert (monthly["kind"], monthly["when"]) == (BatchKind.MONTHLY.value, "2026-12")
    assert monthly["ran"].get("done", 0) >= 2, "posts for both tiers"
    code, later = _once(capsys, "--now", "2026-12-01T09:05")  # every ingested brand
    assert code == 0
    assert sorted(later["brands"]) == sorted(BRANDS)
    got = [(r["kind"], r["brand"]) for r in later["runs"]]
    assert sorted(got) == sorted(
        [("monthly", "harbor"), ("monthly", "xiaoman"), ("care", "harbor"), ("care", "xiaoman")]
    )
    harbor_monthly = next(
        r for r in later["runs"] if r["kind"] == "monthly" and r["brand"] == "harbor"
    )
    assert harbor_monthly["batch"] == monthly["batch"] and harbor_monthly["ran"] == {}


def test_zh_nothing_due_and_text_output(
    packs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert run(["schedule", "--once", "--now", "2026-11-23T08:00", "--care-at", "08:30"]) == 0
    assert capsys.readouterr().out.startswith("nothing due at 2026-11-23 08:00")
    assert run(["schedule", "--once", "--now", "2026-11-23T08:45", "--care-at", "08:30"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(line.startswith("care 2026-11-23 ") for line in lines)
    assert all("drafted" in line or "nothing new" in line for line in lines)


def test_en_one_unknown_brand_does_not_stop_the_others(
    packs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _once(
        capsys, "--brand", "nobrand", "--brand", "harbor", "--now", "2026-11-23T10:00"
    )
    assert code == 1
    by_brand = {r["brand"]: r for r in out["runs"]}
    assert "unknown brand 'nobrand'" in by_brand["nobrand"]["error"]
    assert by_brand["harbor"]["error"] is None


def test_en_option_errors(packs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["schedule", "--now", "2026-11-23T10:00"]) == 2
    assert "--now only goes with --once" in capsys.readouterr().err
    assert run(["schedule", "--once", "--care-at", "9am"]) == 2
    assert run(["schedule", "--once", "--timezone", "Mars/Olympus"]) == 2
    assert "unknown time zone" in capsys.readouterr().err
    assert run(["schedule", "--once", "--now", "9999-12-31T09:00"]) == 2
    assert "--now 9999-12-31 is out of range" in capsys.readouterr().err


def test_zh_long_running_mode_starts_the_scheduler(
    packs: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --once the command hands the two jobs to APScheduler (run once here)."""

    def start(self: BlockingScheduler, *args: object, **kwargs: object) -> None:
        for job in self.get_jobs():
            job.func()

    monkeypatch.setattr(BlockingScheduler, "start", start)
    capsys.readouterr()
    assert run(["schedule", "--brand", "xiaoman", "--timezone", "Asia/Shanghai"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("schedule: care daily at 09:00, monthly series on the 1st at 08:00")
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert any(line.startswith(f"care {today} xiaoman: care-{today}-") for line in out), out
    assert any(line.startswith(f"monthly {today:%Y-%m} xiaoman: monthly-") for line in out), out
