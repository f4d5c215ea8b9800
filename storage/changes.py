"""Has the database changed? A cheap answer for caches of read answers (``api.read_cache``).

:func:`generation` is a process-wide count bumped after every ORM session commit in this
process (SQLAlchemy's ``after_commit``, on every :class:`~sqlalchemy.orm.Session`), so a write
made by this process is seen by the very next read. It is bumped *after* the commit: a read
that started before it can only be stored under the older count.

:class:`ChangeWatch` adds what other processes did. For SQLite it keeps one connection of its
own and asks ``PRAGMA data_version``, which changes whenever any *other* connection — another
thread's, another process's (``zhenxin serve --workers 2``, the CLI) — commits to the file;
it is a read of the WAL index in shared memory, a few microseconds. PostgreSQL has no such
cheap signal here: its token is the generation alone, and a cache must bound how long it
trusts an answer (``ZHENXIN_READ_CACHE_SECONDS``).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

_generation = 0
_lock = threading.Lock()


def generation() -> int:
    """How many sessions committed in this process so far."""
    return _generation


def bump() -> None:
    """Count one change (a commit; also for writes that go around the ORM session)."""
    global _generation
    with _lock:
        _generation += 1


@event.listens_for(Session, "after_commit")
def _committed(_session: Session) -> None:
    bump()


class ChangeWatch:
    """``token()`` changes whenever the database may have changed: an equal token means no
    commit in this process and, for SQLite, none in any other since the last token."""

    def __init__(self, engine: Engine) -> None:
        self.exact_across_processes = False
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        database = engine.url.database
        if engine.url.get_backend_name() == "sqlite" and database and database != ":memory:":
            path = Path(database)
            if path.exists():
                # Autocommit and never writing: it holds no read transaction open between
                # asks, so each PRAGMA sees the newest commit of every other connection.
                self._conn = sqlite3.connect(
                    str(path),
                    check_same_thread=False,
                    isolation_level=None,
                    timeout=1,
                )
                self.exact_across_processes = True

    def data_version(self) -> int | None:
        """SQLite's ``PRAGMA data_version`` on this watch's own connection (None otherwise)."""
        if self._conn is None:
            return None
        with self._lock:
            try:
                row = self._conn.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error:
                return None  # treated as "changed" by the caller: never a stale answer
        return int(row[0])

    def token(self) -> tuple[int, int | None] | None:
        """The database's state as far as this process can tell, or None when it cannot
        tell (the SQLite watch failed): then nothing should be served from a cache."""
        before = _generation
        version = self.data_version()
        if self.exact_across_processes and version is None:  # failed, or closed
            return None
        return (before, version)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


__all__ = ["ChangeWatch", "bump", "generation"]
