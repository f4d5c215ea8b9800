"""Engines, sessions and migrations. SQLite (WAL, foreign keys on) by default, PostgreSQL by URL.

The schema is owned by Alembic (``storage/migrations``, shipped in the wheel);
:func:`upgrade_to_head` runs at startup of the API and the CLI commands that need the database.
:func:`open_database` hands every caller of a process the same engine for a URL.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(target: Settings | str, **kwargs: Any) -> Engine:
    """An engine for ``settings.sqlalchemy_url`` (creating the data dir) or for a URL."""
    if isinstance(target, Settings):
        if not target.database_url:
            target.ensure_data_dir()
        url = target.sqlalchemy_url
    else:
        url = target
    # The API's thread pool runs up to 40 requests at once; each holds at most one
    # connection at a time, so the pool keeps that many open (an overflow connection is
    # closed when returned, and opening a new one costs more than most queries).
    kwargs.setdefault("pool_size", 40)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_timeout", 10)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 10})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        url = engine.url.render_as_string(hide_password=False)
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser escaping
    return cfg


def upgrade_to_head(engine: Engine) -> None:
    """Bring the database schema to the newest Alembic revision (idempotent)."""
    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


_databases: dict[str, tuple[Engine, sessionmaker[Session]]] = {}
_databases_lock = threading.Lock()


def open_database(settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    """Engine + session factory with the schema migrated to head: one engine (one pool) per
    database URL per process, created and migrated once under a lock and shared by every
    thread and caller (the API, the batch service, the CLI). A SQLite file that was deleted
    since is created and migrated again."""
    if not settings.database_url:
        settings.ensure_data_dir()
    url = settings.sqlalchemy_url
    with _databases_lock:
        known = _databases.get(url)
        if known is not None and not _sqlite_file_missing(known[0]):
            return known
        engine = make_engine(settings)
        upgrade_to_head(engine)
        known = _databases[url] = (engine, session_factory(engine))
        return known


def _sqlite_file_missing(engine: Engine) -> bool:
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return False
    return not Path(database).exists()


def forget_databases() -> None:
    """Dispose of and drop the shared engines (tests; a process that forks)."""
    with _databases_lock:
        for engine, _ in _databases.values():
            engine.dispose()
        _databases.clear()
