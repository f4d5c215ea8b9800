"""The shortcuts of an ingest give the answers and the stored rows of the plain way, on
SQLite and (services) PostgreSQL: looking a chunk's ids up before writing it (a held event
is a duplicate, nothing of it written or applied) or leaving held ids to the unique key, in
any mix of new events, repeats, repeats within a batch, unknown customers and bad items."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bench.synthetic import SyntheticBrand
from core.settings import Settings
from drafting.service import DraftingService
from flywheel import ingest as ingest_mod
from flywheel.ingest import Ingest
from flywheel.service import FlywheelService
from generator.fake import FakeDrafter
from knowledge.fake import FakeKnowledge
from knowledge.loader import load_pack
from storage import events as event_rows
from storage.db import make_engine, session_factory, upgrade_to_head
from storage.models import ConsentRow, ContactRow, CustomerRow, EventRow, StageChangeRow
from tests.conftest import EXAMPLES
from tests.storage.test_postgres import db, engine  # noqa: F401  (fixtures)

SIZE = 40


def _batches(synth: SyntheticBrand) -> list[list[dict[str, Any]]]:
    """New events, then all of them again (half repeats), then repeats mixed with new
    events, unknown customers, repeats within the batch and bad items."""
    every = [e for batch in synth.event_batches(10_000) for e in batch]
    half = len(every) // 2
    first = every[:half]
    odd = [
        {"id": "x-1", "customer_id": "nobody", "type": "sent", "at": "2026-07-01"},
        {**every[3], "customer_id": "nobody"},  # a held id, of an unknown customer
        {"id": "x-2", "customer_id": synth.customer_id(1), "type": "bought", "at": "2026-07-01"},
        {"id": "x-3", "customer_id": synth.customer_id(1), "type": "replied", "at": "2026-07-02"},
        {"id": "x-3", "customer_id": synth.customer_id(1), "type": "replied", "at": "2026-07-03"},
        {"id": "x-4", "customer_id": synth.customer_id(2), "type": "purchased", "at": "2026-07-02"},
    ]
    mixed = every[half - 30 : half + 30] + odd + every[:20]
    return [first, every, mixed, every[::-1]]


def _run(sessions: sessionmaker[Session], settings: Settings) -> dict[str, Any]:
    pack = load_pack(EXAMPLES / "qingshui").model_copy(update={"customers": []})
    synth = SyntheticBrand(pack, SIZE)
    drafting = DraftingService(
        settings, sessions=sessions, knowledge=FakeKnowledge([pack]), drafter=FakeDrafter()
    )
    drafting.customers.import_many("qingshui", synth.customers(), brand=pack.brand, source="pack")
    synth.insert_drafts(sessions)
    flywheel = FlywheelService(drafting)
    answers = [flywheel.ingest("qingshui", b, actor="import").as_dict() for b in _batches(synth)]
    with sessions() as s:
        events = s.execute(
            select(
                *(c for c in EventRow.__table__.c if c.name not in ("id", "created_at"))
            ).order_by(EventRow.id)
        ).all()
        stored = {
            "events": [tuple(r) for r in events],
            "customers": sorted(s.execute(select(CustomerRow.customer_id, CustomerRow.data))),
            "consent": s.execute(
                select(ConsentRow.customer_id, ConsentRow.status, ConsentRow.reason).order_by(
                    ConsentRow.id
                )
            ).all(),
            "contacts": s.execute(
                select(ContactRow.customer_id, ContactRow.date, ContactRow.purpose).order_by(
                    ContactRow.id
                )
            ).all(),
            "stages": s.execute(
                select(
                    StageChangeRow.customer_id,
                    StageChangeRow.to_stage,
                    StageChangeRow.at,
                    StageChangeRow.event_id,
                ).order_by(StageChangeRow.id)
            ).all(),
        }
    return {"answers": answers, "stored": stored}


def _sqlite(where: Path) -> sessionmaker[Session]:
    sqlite = make_engine(f"sqlite:///{where / 'ingest.db'}")
    upgrade_to_head(sqlite)
    return session_factory(sqlite)


def _modes(
    make: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> dict[str, dict[str, Any]]:
    monkeypatch.setattr(ingest_mod, "CHUNK", 37)  # chunks that start and end mid-customer
    out = {"as shipped": _run(make("shipped"), settings)}
    with monkeypatch.context() as m:  # every chunk looked up first
        always = property(lambda self: True, lambda self, value: None)
        m.setattr(Ingest, "_look_up", always, raising=False)
        out["always look up"] = _run(make("always"), settings)
    with monkeypatch.context() as m:  # the unique key alone decides
        m.setattr(event_rows, "existing_ids", lambda *a, **k: set())
        out["never look up"] = _run(make("never"), settings)
    return out


def _check(modes: dict[str, dict[str, Any]]) -> None:
    shipped = modes["as shipped"]
    answers = shipped["answers"]
    assert answers[0]["accepted"] > 0 and answers[0]["duplicates"] == 0
    assert answers[1]["duplicates"] == answers[0]["accepted"]  # the first half again
    assert answers[3]["accepted"] == 0 and not answers[3]["stage_changes"]
    assert {r["error"] for r in answers[2]["rejected"]} >= {"unknown customer 'nobody'"}
    assert any(a["stage_changes"] for a in answers)
    for name, got in modes.items():
        assert got == shipped, name


def test_looking_ids_up_first_changes_nothing_sqlite(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def make(name: str) -> sessionmaker[Session]:
        (tmp_path / name).mkdir()
        return _sqlite(tmp_path / name)

    _check(_modes(make, settings, monkeypatch))


@pytest.mark.services
def test_looking_ids_up_first_changes_nothing_postgresql(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    engine,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    def make(name: str) -> sessionmaker[Session]:
        with engine.begin() as c:  # a fresh database each time: the same tables, emptied
            names = ", ".join(t.name for t in EventRow.metadata.sorted_tables)
            c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return sessionmaker(bind=engine, expire_on_commit=False)

    modes = _modes(make, settings, monkeypatch)
    _check(modes)
    sqlite = _sqlite(tmp_path)
    assert _run(sqlite, settings) == modes["as shipped"]  # and the same as on SQLite
