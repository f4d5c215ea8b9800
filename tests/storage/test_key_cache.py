"""``storage.keys.KeyCache``: authenticated keys remembered for a few seconds, forgotten at once
when a key is revoked in this process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings
from storage import keys
from storage.db import open_database


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine, sessions = open_database(settings)
    yield sessions
    engine.dispose()


def _key_reads(engine: Engine) -> list[str]:
    """Every statement that reads the api_keys table, from now on."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "api_keys" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return seen


def _new(db: sessionmaker[Session], role: str = "editor") -> keys.NewKey:
    with db.begin() as s:
        return keys.create_key(s, "a", role)


def test_a_cached_key_is_not_read_again_until_its_ttl_ends(db: sessionmaker[Session]) -> None:
    new = _new(db)
    clock = Clock()
    cache = keys.KeyCache(5, clock=clock)
    reads = _key_reads(db.kw["bind"])
    with db() as s:
        assert cache.authenticate(s, new.secret) == new.info
        assert cache.authenticate(s, new.secret) == new.info
        assert cache.get(new.secret) == new.info
        assert len(reads) == 1
        clock.now += 5.0  # expired: asked again, never renewed by use
        assert cache.get(new.secret) is None
        assert cache.authenticate(s, new.secret) == new.info
        assert len(reads) == 2


def test_wrong_keys_are_never_cached(db: sessionmaker[Session]) -> None:
    new = _new(db)
    cache = keys.KeyCache(5)
    with db() as s:
        for wrong in (new.secret + "x", "zx_nope_nope", "not-a-key"):
            assert cache.authenticate(s, wrong) is None
            assert cache.get(wrong) is None
    assert len(cache) == 0


def test_revoking_forgets_the_key_at_once(db: sessionmaker[Session]) -> None:
    new, other = _new(db), _new(db, "operator")
    cache = keys.KeyCache(10)
    with db() as s:
        assert cache.authenticate(s, new.secret) is not None
        assert cache.authenticate(s, other.secret) is not None
    with db.begin() as s:  # any session of this process, not the cache's
        keys.revoke_key(s, new.info.prefix)
    assert cache.get(new.secret) is None
    with db() as s:
        assert cache.authenticate(s, new.secret) is None
        assert cache.authenticate(s, other.secret) == other.info  # read again, still valid


def test_a_read_before_the_revocation_commits_is_not_kept(db: sessionmaker[Session]) -> None:
    """The request read the row while the revocation was still open: what it cached must not
    outlive the commit."""
    new = _new(db)
    cache = keys.KeyCache(10)
    revoking = db()
    revoking.begin()
    keys.revoke_key(revoking, new.info.prefix)  # not committed yet
    with db() as s:
        assert cache.authenticate(s, new.secret) == new.info  # the committed row: not revoked
    assert cache.get(new.secret) == new.info
    revoking.commit()
    revoking.close()
    assert cache.get(new.secret) is None
    with db() as s:
        assert cache.authenticate(s, new.secret) is None


def test_ttl_zero_turns_the_cache_off_and_ttl_is_bounded(db: sessionmaker[Session]) -> None:
    new = _new(db)
    off = keys.KeyCache(0)
    with db() as s:
        assert off.authenticate(s, new.secret) == new.info
    assert off.get(new.secret) is None and len(off) == 0
    assert keys.KeyCache(3600).ttl == keys.MAX_KEY_CACHE_SECONDS
    with pytest.raises(ValueError):
        Settings(api_key_cache_seconds=60)


def test_the_cache_is_bounded(db: sessionmaker[Session]) -> None:
    made = [_new(db) for _ in range(5)]
    clock = Clock()
    cache = keys.KeyCache(5, max_entries=3, clock=clock)
    with db() as s:
        for new in made:
            assert cache.authenticate(s, new.secret) == new.info
            assert len(cache) <= 3
    assert cache.get(made[-1].secret) == made[-1].info
