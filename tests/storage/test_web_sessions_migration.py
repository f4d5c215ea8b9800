"""Migration 0002: the ``web_sessions`` table, matching its model, up and down."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from core.settings import Settings
from storage.db import alembic_config, make_engine, upgrade_to_head
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


def test_downgrade_to_0001_drops_only_web_sessions(settings: Settings) -> None:
    engine = make_engine(settings)
    upgrade_to_head(engine)
    before = set(inspect(engine).get_table_names())
    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0001")
    after = set(inspect(engine).get_table_names())
    assert before - after == {"web_sessions"}
    upgrade_to_head(engine)
    assert "web_sessions" in inspect(engine).get_table_names()
    engine.dispose()
