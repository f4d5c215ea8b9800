"""Server-side sessions of the review form (table ``web_sessions``).

A sign-in makes a random token; the browser keeps it (in the signed session cookie) and the
table keeps only its sha256, so a copy of the database opens nothing. Every request looks
the token up: a session is *active* while it exists, is not revoked and has not expired.
Logout revokes one session; revoking an API key revokes all of its sessions
(:func:`storage.keys.revoke_key` calls :func:`revoke_for_key`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from storage.models import WebSessionRow, utcnow


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create(
    session: Session, key_id: int, *, ttl: dt.timedelta, now: dt.datetime | None = None
) -> str:
    """Start a session for the key; returns the raw token (shown to the browser only)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(
        WebSessionRow(id=token_hash(token), key_id=key_id, created_at=now, expires_at=now + ttl)
    )
    session.flush()
    return token


def active(session: Session, token: str, *, now: dt.datetime | None = None) -> WebSessionRow | None:
    """The session of this token if it is neither revoked nor expired, else None."""
    if not token:
        return None
    row = session.get(WebSessionRow, token_hash(token))
    if row is None or row.revoked or row.expires_at <= (now or utcnow()):
        return None
    return row


def revoke(session: Session, token: str) -> bool:
    """End one session (logout). False when there was no such session."""
    result = session.execute(
        update(WebSessionRow)
        .where(WebSessionRow.id == token_hash(token))
        .values(revoked=True)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def revoke_for_key(session: Session, key_id: int) -> int:
    """End every session of a key (the key was revoked). Returns how many were open."""
    result = session.execute(
        update(WebSessionRow)
        .where(WebSessionRow.key_id == key_id, WebSessionRow.revoked.is_(False))
        .values(revoked=True)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


def purge_expired(session: Session, *, now: dt.datetime | None = None) -> int:
    """Delete sessions that expired more than a day ago (kept a day for the record)."""
    cutoff = (now or utcnow()) - dt.timedelta(days=1)
    result = session.execute(
        delete(WebSessionRow)
        .where(WebSessionRow.expires_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


__all__ = [
    "active",
    "create",
    "purge_expired",
    "revoke",
    "revoke_for_key",
    "token_hash",
]
