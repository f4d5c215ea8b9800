"""The brand-wide paths the scale bench times (an ingest, the day's due customers, core
members, the outcomes report) give the same answers whatever their chunk sizes, on SQLite and
on PostgreSQL; the counts the database makes for them match the events counted one by one;
on SQLite (no planner statistics) their queries walk the (brand, customer, at) index."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

import batch.service as batch_service
from batch.jobs import BatchKind, BatchSpec
from batch.service import BatchService
from bench.synthetic import START, TODAY, SyntheticBrand
from core.settings import Settings
from drafting.service import DraftingService
from flywheel import members, report
from flywheel import service as flywheel_service
from flywheel.service import FlywheelService
from generator.fake import FakeDrafter
from knowledge.fake import FakeKnowledge
from knowledge.loader import load_pack
from storage import drafts as draft_rows
from storage import events as event_rows
from storage.db import make_engine, session_factory, upgrade_to_head
from storage.models import ConsentRow, ContactRow, CustomerRow, StageChangeRow
from tests.conftest import EXAMPLES
from tests.storage.test_postgres import db, engine  # noqa: F401  (fixtures)

SIZE = 120


def _snapshot(settings: Settings, sessions: sessionmaker[Session]) -> dict[str, Any]:
    """Every answer of the bench's operations on a small synthetic brand, as plain data."""
    pack = load_pack(EXAMPLES / "qingshui").model_copy(update={"customers": []})
    synth = SyntheticBrand(pack, SIZE)
    drafting = DraftingService(
        settings, sessions=sessions, knowledge=FakeKnowledge([pack]), drafter=FakeDrafter()
    )
    flywheel = FlywheelService(drafting)
    drafting.customers.import_many("qingshui", synth.customers(), brand=pack.brand, source="pack")
    synth.insert_drafts(sessions)
    ingested = [flywheel.ingest("qingshui", b).as_dict() for b in synth.event_batches(400)]
    spec = BatchSpec(kind=BatchKind.CARE, brand="qingshui", date=TODAY)
    with sessions() as s:
        queue = draft_rows.list_records(s, "qingshui", with_text=True, status="pending_review")
        stored = {
            "customers": sorted(
                (c, json.dumps(d, sort_keys=True, ensure_ascii=False))
                for c, d in s.execute(select(CustomerRow.customer_id, CustomerRow.data))
            ),
            "consent": sorted(s.execute(select(ConsentRow.customer_id, ConsentRow.reason)).all()),
            "contacts": sorted(
                s.execute(select(ContactRow.customer_id, ContactRow.date, ContactRow.purpose))
            ),
            "stages": sorted(
                s.execute(
                    select(StageChangeRow.customer_id, StageChangeRow.to_stage, StageChangeRow.at)
                )
            ),
        }
    return {
        "ingested": ingested,
        "stored": stored,
        "due": BatchService(drafting).plan_care(spec, pack),
        "queue": [r.id for r in queue],
        "members": flywheel.members("qingshui", on=TODAY, limit=40),
        "outcomes": flywheel.outcomes("qingshui", since=START, until=TODAY, as_of=TODAY),
    }


def _sqlite(where: Path) -> sessionmaker[Session]:
    sqlite = make_engine(f"sqlite:///{where / 'scale.db'}")
    upgrade_to_head(sqlite)
    return session_factory(sqlite)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    where = tmp_path_factory.mktemp("scale-reference")
    settings = Settings(data_dir=where / "data", llm="fake", embedder="hash", chroma_url="")
    return _snapshot(settings, _sqlite(where))


def test_the_answers_do_not_depend_on_the_chunk_sizes(
    settings: Settings, tmp_path: Path, reference: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert reference["members"] and reference["due"] and reference["outcomes"]["groups"]
    assert any(i["stage_changes"] for i in reference["ingested"])
    monkeypatch.setattr(flywheel_service, "MEMBERS_CHUNK", 7)
    monkeypatch.setattr(report, "CUSTOMERS", 7)
    monkeypatch.setattr(batch_service, "PLAN_CHUNK", 7)
    assert _snapshot(settings, _sqlite(tmp_path)) == reference


@pytest.mark.services
def test_postgresql_gives_the_same_answers(settings, db, reference) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    assert _snapshot(settings, db) == reference


def test_the_counts_made_by_the_database_match_the_events(
    settings: Settings, tmp_path: Path
) -> None:
    """Core members: replies, sends and the newest reply of the year before the day, per
    customer, as the database counts them, against the synthetic events counted here."""
    pack = load_pack(EXAMPLES / "qingshui").model_copy(update={"customers": []})
    synth = SyntheticBrand(pack, SIZE)
    sessions = _sqlite(tmp_path)
    drafting = DraftingService(
        settings, sessions=sessions, knowledge=FakeKnowledge([pack]), drafter=FakeDrafter()
    )
    drafting.customers.import_many("qingshui", synth.customers(), brand=pack.brand, source="pack")
    flywheel = FlywheelService(drafting)
    since, until = members.span(TODAY)
    expected: dict[str, event_rows.Engagement] = {}
    for batch in synth.event_batches():
        assert flywheel.ingest("qingshui", batch).accepted == len(batch)
        for e in batch:
            at = dt.datetime.fromisoformat(e["at"])
            was = expected.get(e["customer_id"], event_rows.Engagement(0, 0, None))
            if since <= at < until and e["type"] == "replied":
                newest = max(was.last_reply or at, at)
                was = event_rows.Engagement(was.replies + 1, was.sent, newest)
            elif since <= at < until and e["type"] == "sent":
                was = event_rows.Engagement(was.replies, was.sent + 1, was.last_reply)
            expected[e["customer_id"]] = was
    with sessions() as s:
        counted = event_rows.engagement(
            s,
            "qingshui",
            synth.customer_id(0),
            synth.customer_id(SIZE - 1),
            since=since,
            until=until,
        )
        some = event_rows.engagement(
            s, "qingshui", synth.customer_id(5), synth.customer_id(9), since=since, until=until
        )
    assert counted == expected
    assert sorted(some) == [synth.customer_id(i) for i in range(5, 10)]


def test_sqlite_reads_a_chunk_of_customers_through_their_index(tmp_path: Path) -> None:
    sessions = _sqlite(tmp_path)
    with sessions() as s:
        queries = [
            event_rows.with_drafts_query("b", "c1", "c9", types=("sent", "replied")),
            event_rows.engagement_query(
                "b", "c1", "c9", since=dt.datetime(2026, 1, 1), until=dt.datetime(2027, 1, 1)
            ),
        ]
        for query in queries:
            compiled = query.compile(s.get_bind(), compile_kwargs={"literal_binds": True})
            plan = " ".join(
                str(row[-1]) for row in s.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
            )
            assert "ix_events_brand_customer_at" in plan, plan
