"""The example packs' year of events (``examples/<brand>/events.jsonl``, written by
``scripts/make_example_events.py``): each file is what the script writes, every event is one
the pack can import, nothing contradicts the customer list, importing twice counts nothing
twice, and the outcomes report on them has groups and a holdout."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from cli.main import run
from core.settings import Settings
from drafting.service import DraftingService
from flywheel.event_files import EVENTS_FILE, check_file
from flywheel.events import CO_CREATION, Event, EventType
from flywheel.service import FlywheelService
from generator.fake import FakeDrafter
from knowledge.fake import FakeKnowledge
from knowledge.loader import load_pack
from knowledge.pack import BrandPack, DocKind
from scripts import make_example_events as maker
from storage.db import open_database
from tests.conftest import EXAMPLES

BRANDS = ("qingshui", "shanshi", "stride")
START, END = dt.date(2025, 12, 1), dt.date(2026, 11, 30)


def events_of(brand: str) -> list[dict[str, object]]:
    text = (EXAMPLES / brand / EVENTS_FILE).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def products_of(pack: BrandPack) -> set[str]:
    return {d.product for d in pack.docs if d.kind == DocKind.USAGE_GUIDE and d.product}


@pytest.mark.parametrize("brand", BRANDS)
def test_the_file_is_what_the_script_writes(brand: str) -> None:
    written = (EXAMPLES / brand / EVENTS_FILE).read_text(encoding="utf-8")
    assert written == maker.render(maker.generate(brand)), (
        "run: .venv/bin/python -m scripts.make_example_events"
    )


@pytest.mark.parametrize("brand", BRANDS)
def test_every_event_is_one_the_pack_can_import(brand: str) -> None:
    pack = load_pack(EXAMPLES / brand)
    path = EXAMPLES / brand / EVENTS_FILE
    assert (
        check_file(path, customers={c.id for c in pack.customers}, products=products_of(pack)) == []
    )
    items = events_of(brand)
    events = [Event.model_validate(e) for e in items]
    assert 100 <= len(events) <= 400  # a few hundred: small enough to read
    assert len({e.id for e in events}) == len(events)
    assert all(START <= e.day <= END for e in events)


@pytest.mark.parametrize("brand", BRANDS)
def test_the_events_tell_a_plausible_year(brand: str) -> None:
    pack = load_pack(EXAMPLES / brand)
    customers = {c.id: c for c in pack.customers}
    events = [Event.model_validate(e) for e in events_of(brand)]
    types = Counter(e.type for e in events)
    sends = [e for e in events if e.type == EventType.SENT]
    held = [e for e in events if e.type == EventType.HELD_OUT]
    # sends made before zhenxin say what they were; the holdout is about a tenth of the due
    assert sends and all(e.kind == "care_message" and e.trigger and e.stage for e in sends)
    assert {e.trigger for e in sends} >= {"day3", "half_used", "almost_finished", "birthday"}
    assert held and all(e.trigger for e in held)
    assert 0.04 <= len(held) / (len(held) + len(sends)) <= 0.2
    assert types[EventType.DELIVERED] > 0.9 * len(sends)
    # replies in the brand's language; some criticise, co-builders co-create
    replies = [e for e in events if e.type == EventType.REPLIED]
    zh = pack.brand.language == "zh"
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e.text or "") == zh for e in replies)
    assert 0 < sum(e.is_criticism for e in replies) < len(replies) / 2
    co = [e for e in events if e.topic == CO_CREATION]
    assert co and all(customers[e.customer_id].stage == "co_builder" for e in co)
    assert types[EventType.COMPLAINT] >= 1
    # unsubscribes: exactly the customers the list has as opted out
    unsubscribed = {e.customer_id for e in events if e.type == EventType.UNSUBSCRIBED}
    assert unsubscribed == {c.id for c in pack.customers if c.opted_out}
    # orders: new ones only, of products with a usage guide
    for e in events:
        if e.type == EventType.PURCHASED:
            listed = {(p.product, p.date) for p in customers[e.customer_id].purchases}
            assert (e.product, e.day) not in listed
            assert e.product in products_of(pack)


@pytest.mark.parametrize("brand", BRANDS)
def test_the_demo_dates_keep_their_story(brand: str) -> None:
    """No send on or after a customer's last listed contact, none after 2026-11-19, and no
    order after the last listed one: the triggers of examples/README.md still hold."""
    pack = load_pack(EXAMPLES / brand)
    customers = {c.id: c for c in pack.customers}
    for e in (Event.model_validate(x) for x in events_of(brand)):
        c = customers[e.customer_id]
        if e.type == EventType.SENT:
            assert e.day <= dt.date(2026, 11, 19)
            assert c.last_contacts and e.day < max(x.date for x in c.last_contacts)
        if e.type == EventType.PURCHASED:
            assert c.purchases and e.day < c.purchases[-1].date


def flywheel_for(settings: Settings, brand: str) -> FlywheelService:
    _, sessions = open_database(settings)
    pack = load_pack(EXAMPLES / brand)
    drafting = DraftingService(
        settings, sessions=sessions, knowledge=FakeKnowledge([pack]), drafter=FakeDrafter()
    )
    drafting.customers.import_many(brand, pack.customers, brand=pack.brand, source="pack")
    return FlywheelService(drafting)


@pytest.mark.parametrize("brand", BRANDS)
def test_importing_twice_counts_nothing_twice_and_the_report_has_a_holdout(
    settings: Settings, brand: str
) -> None:
    flywheel = flywheel_for(settings, brand)
    items = events_of(brand)
    first = flywheel.ingest(brand, items)
    assert first.accepted == len(items) and not first.rejected
    report = flywheel.outcomes(brand, since=START, until=END, as_of=END)
    again = flywheel.ingest(brand, items)
    assert again.accepted == 0 and again.duplicates == len(items)
    assert again.stage_changes == [] and again.opted_out == []
    assert flywheel.outcomes(brand, since=START, until=END, as_of=END) == report

    assert report["groups"] and sum(g["sent"] for g in report["groups"]) == sum(
        1 for e in items if e["type"] == "sent"
    )
    hold = report["holdout"]
    assert hold["held_out"]["purchase_rate_30d"]["n"] > 0
    assert hold["contacted"]["purchase_rate_30d"]["n"] > hold["held_out"]["purchase_rate_30d"]["n"]
    assert hold["lift_30d"]["diff"] is not None


def test_the_cli_imports_a_pack_file_once_and_pack_check_reads_it(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ZHENXIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ZHENXIN_LLM", "fake")
    monkeypatch.setenv("ZHENXIN_EMBEDDER", "hash")
    monkeypatch.setenv("ZHENXIN_DATABASE_URL", "")
    assert run(["ingest", str(EXAMPLES / "stride")]) == 0
    path = str(EXAMPLES / "stride" / EVENTS_FILE)
    n = len(events_of("stride"))
    capsys.readouterr()
    assert run(["events", "import", path, "--brand", "stride"]) == 0
    assert f"{n} new, 0 already held, 0 rejected" in capsys.readouterr().out
    assert run(["events", "import", path, "--brand", "stride"]) == 0
    assert f"0 new, {n} already held, 0 rejected" in capsys.readouterr().out

    assert run(["pack", "check", str(EXAMPLES / "stride")]) == 0
    assert f"{n} events" in capsys.readouterr().out
    # a broken events file makes the pack invalid, and says which line
    pack = tmp_path / "stride"
    shutil.copytree(EXAMPLES / "stride", pack)
    lines = (pack / EVENTS_FILE).read_text(encoding="utf-8").splitlines()
    lines[4] = json.dumps({"id": "x", "customer_id": "st-999", "type": "sent", "at": "2026-01-02"})
    (pack / EVENTS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run(["pack", "check", str(pack)]) == 2
    assert "events.jsonl:line 5: unknown customer 'st-999'" in capsys.readouterr().out
