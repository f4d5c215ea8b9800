"""API keys: ``zx_<prefix>_<secret>``, stored as a sha256 hash; the prefix finds the row.

Revoking a key also revokes its review-form sessions (``storage.sessions``).

The full key is returned once, by :func:`create_key`; it cannot be read back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
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
    return _info(row)
