"""Migrations: head matches the models; each later migration goes down and up again; the
consent history starts from the opt-outs stored before it."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from core.settings import Settings
from knowledge.pack import Customer
from storage import consent, customers
from storage.db import alembic_config, make_engine, session_factory, upgrade_to_head
from storage.models import Base


def test_head_has_web_sessions_and_matches_the_models(settings: Settings) -> None:
    engine = make_engine(settings)
    upgrade_to_head(engine)
    assert "web_sessions" in inspect(engine).get_table_names()
    columns = {c["name"] for c in inspect(engine).get_columns("web_sessions")}
    assert columns == {"id", "key_id", "created_at", "expires_at", "revoked"}
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def _to(engine: Any, revision: str, *, down: bool) -> None:
    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_downgrades_drop_only_what_each_migration_added(settings: Settings) -> None:
    engine = make_engine(settings)
    upgrade_to_head(engine)
    before = set(inspect(engine).get_table_names())
    flywheel = {"events", "stage_changes"}
    _to(engine, "0005", down=True)
    assert before - set(inspect(engine).get_table_names()) == flywheel
    _to(engine, "0004", down=True)
    assert before - set(inspect(engine).get_table_names()) == {"exemplars", *flywheel}
    _to(engine, "0003", down=True)
    gone = {"exemplars", "consent_events", *flywheel}
    assert before - set(inspect(engine).get_table_names()) == gone
    _to(engine, "0001", down=True)
    gone = {"exemplars", "consent_events", "web_sessions", *flywheel}
    assert before - set(inspect(engine).get_table_names()) == gone
    columns = {c["name"] for c in inspect(engine).get_columns("draft_requests")}
    assert "claim_token" not in columns and "batch_id" not in columns
    upgrade_to_head(engine)
    assert set(inspect(engine).get_table_names()) == before
    engine.dispose()


def test_opt_outs_stored_before_the_history_become_its_first_rows(settings: Settings) -> None:
    engine = make_engine(settings)
    _to(engine, "0003", down=False)
    sessions = session_factory(engine)
    with sessions.begin() as s:
        for cid, out in (("c-out", True), ("c-in", False)):
            customer = Customer(id=cid, name="小林", stage="repeat", opted_out=out)
            customers.upsert_customer(s, "qingshui", customer, source="pack")
    upgrade_to_head(engine)
    with sessions() as s:
        assert consent.current(s, "qingshui", "c-out") == consent.OPTED_OUT
        assert consent.current(s, "qingshui", "c-in") is None
        assert consent.history(s, "qingshui", "c-out")[0].actor == "migration"
    engine.dispose()
