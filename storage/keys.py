"""API keys: ``zx_<prefix>_<secret>``, stored as a sha256 hash; the prefix finds the row.

Revoking a key also revokes its review-form sessions (``storage.sessions``), and empties every
:class:`KeyCache` of this process.

The full key is returned once, by :func:`create_key`; it cannot be read back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from core.errors import NotFoundError
from storage.brands import ensure_brand
from storage.models import ApiKeyRow, utcnow
from storage.sessions import revoke_for_key

KEY_PREFIX = "zx"


class Role(StrEnum):
    """operator: request, read, edit drafts · editor: + approve/reject · admin: + ingest, keys."""

    OPERATOR = "operator"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


_RANK = {Role.OPERATOR: 1, Role.EDITOR: 2, Role.ADMIN: 3}


@dataclass(frozen=True)
class KeyInfo:
    """Who is calling: the key's brand and role (never the secret)."""

    id: int
    brand: str
    role: Role
    prefix: str
    name: str = ""


@dataclass(frozen=True)
class NewKey:
    info: KeyInfo
    secret: str  # the whole key, shown once


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _split(key: str) -> str | None:
    parts = key.split("_")
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1]


def _info(row: ApiKeyRow) -> KeyInfo:
    return KeyInfo(
        id=row.id, brand=row.brand_id, role=Role(row.role), prefix=row.prefix, name=row.name
    )


def create_key(session: Session, brand_id: str, role: Role | str, name: str = "") -> NewKey:
    ensure_brand(session, brand_id)
    prefix = secrets.token_hex(6)
    secret = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32).replace('_', 'A')}"
    row = ApiKeyRow(
        brand_id=brand_id,
        prefix=prefix,
        key_hash=hash_key(secret),
        role=Role(role).value,
        name=name,
    )
    session.add(row)
    session.flush()
    return NewKey(info=_info(row), secret=secret)


def authenticate(session: Session, key: str, *, touch: bool = False) -> KeyInfo | None:
    """The key's identity, or None for an unknown, malformed or revoked key."""
    prefix = _split(key)
    if prefix is None:
        return None
    row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix))
    if row is None or row.revoked or not hmac.compare_digest(row.key_hash, hash_key(key)):
        return None
    if touch:
        row.last_used_at = utcnow()
    return _info(row)


@dataclass(frozen=True)
class KeyListing:
    info: KeyInfo
    revoked: bool
    created_at: dt.datetime
    last_used_at: dt.datetime | None


def list_keys(session: Session, brand_id: str | None = None) -> list[KeyListing]:
    query = select(ApiKeyRow).order_by(ApiKeyRow.id)
    if brand_id:
        query = query.where(ApiKeyRow.brand_id == brand_id)
    return [
        KeyListing(_info(r), r.revoked, r.created_at, r.last_used_at)
        for r in session.scalars(query)
    ]


def revoke_key(session: Session, prefix: str, *, brand_id: str | None = None) -> KeyInfo:
    query = select(ApiKeyRow).where(ApiKeyRow.prefix == prefix)
    if brand_id:
        query = query.where(ApiKeyRow.brand_id == brand_id)
    row = session.scalar(query)
    if row is None:
        raise NotFoundError(f"no API key with prefix {prefix!r}")
    row.revoked = True
    revoke_for_key(session, row.id)  # the review form's sign-ins with this key end too
    # Every KeyCache of this process forgets every key: now, and again when the revocation
    # commits (a request that read the row before the commit cannot keep it cached).
    _forget_all()
    event.listen(session, "after_commit", lambda _s: _forget_all(), once=True)
    return _info(row)


# --- the cache of authenticated keys -----------------------------------------------------------
# Authenticating is a sha256 and a row read; for a read request the row read was a large part
# of its cost. A KeyCache (one per API app) remembers the keys that authenticated, for at most
# ``ttl`` seconds (ZHENXIN_API_KEY_CACHE_SECONDS, 0 to 10, default 5; 0 turns it off):
# - only keys that authenticated are kept; a wrong key is looked up (and counted) every time;
# - an entry is found by the sha256 of the whole key, so a hit is the very secret verified;
# - revoke_key in this process empties every cache (a generation count), so the revoked key
#   gets 401 on its very next request to this process;
# - another process does not hear of it: a key revoked by `zhenxin keys revoke`, or through
#   another uvicorn worker, keeps working in this one until its entry expires (at most ``ttl``
#   seconds; the entry is never renewed by use).

MAX_KEY_CACHE_SECONDS = 10.0
_generation = 0  # bumped by every revocation in this process
_generation_lock = threading.Lock()


def _forget_all() -> None:
    global _generation
    with _generation_lock:
        _generation += 1


class KeyCache:
    """Authenticated keys of one app, each for at most ``ttl`` seconds (see above)."""

    def __init__(
        self,
        ttl: float,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = min(max(ttl, 0.0), MAX_KEY_CACHE_SECONDS)
        self.max_entries = max_entries
        self._clock = clock
        # sha256 of the key -> (identity, expiry on the clock, generation when it was read)
        self._entries: dict[str, tuple[KeyInfo, float, int]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> KeyInfo | None:
        """The identity of a key that authenticated in the last ``ttl`` seconds and was not
        revoked in this process since; no database, no I/O."""
        if self.ttl <= 0 or not self._entries:
            return None
        digest = hash_key(key)
        entry = self._entries.get(digest)
        if entry is None:
            return None
        info, expires, generation = entry
        if generation != _generation or self._clock() >= expires:
            self._entries.pop(digest, None)
            return None
        return info

    def authenticate(self, session: Session, key: str) -> KeyInfo | None:
        """:func:`authenticate`, answered from the cache when it can be."""
        info = self.get(key)
        if info is not None:
            return info
        generation = _generation  # read before the row: a later revocation drops the entry
        info = authenticate(session, key)
        if info is not None and self.ttl > 0:
            self._put(hash_key(key), info, generation)
        return info

    def _put(self, digest: str, info: KeyInfo, generation: int) -> None:
        now = self._clock()
        if len(self._entries) >= self.max_entries:  # bounded: drop the expired, else all
            for d, (_, expires, _) in list(self._entries.items()):
                if expires <= now:
                    self._entries.pop(d, None)
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
        self._entries[digest] = (info, now + self.ttl, generation)
