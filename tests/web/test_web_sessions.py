"""Server-side sessions of the review form: a cookie names a ``web_sessions`` row, checked on
every request, so logout, key revocation and expiry end it at once.

Attack replayed here: replaying the session cookie after logout answered 200 for 12 hours.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.web_auth import SESSION_COOKIE
from storage import keys as keys_repo
from storage import sessions as sessions_repo
from storage.models import WebSessionRow
from tests.web.conftest import Seeded
from tests.web.test_review_form import sign_in


def _rows(seeded: Seeded) -> list[WebSessionRow]:
    with seeded.sessions() as db:
        return list(db.scalars(select(WebSessionRow)))


def test_a_replayed_cookie_after_logout_is_refused(app: FastAPI, seeded: Seeded) -> None:
    client = TestClient(app)
    token = sign_in(client, seeded.keys["editor_a"])
    cookie = client.cookies[SESSION_COOKIE]
    out = client.post("/review/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    replay = TestClient(app)
    replay.cookies.set(SESSION_COOKIE, cookie)
    assert replay.get("/review", follow_redirects=False).status_code == 303
    assert replay.post(
        f"/review/drafts/{seeded.drafts['clean']}/approve",
        data={"csrf_token": token},
        follow_redirects=False,
    ).status_code in (303, 401)
    assert seeded.record("qingshui", seeded.drafts["clean"]).status == "pending_review"
    (row,) = _rows(seeded)
    assert row.revoked


def test_the_database_keeps_only_a_hash_of_the_session_token(app: FastAPI, seeded: Seeded) -> None:
    client = TestClient(app)
    sign_in(client, seeded.keys["editor_a"])
    (row,) = _rows(seeded)
    assert len(row.id) == 64 and not row.revoked
    assert row.expires_at - row.created_at == dt.timedelta(hours=12)
    cookie = client.cookies[SESSION_COOKIE]
    assert row.id not in cookie  # the cookie carries the token, the table its sha256


def test_revoking_the_key_revokes_its_sessions(app: FastAPI, seeded: Seeded) -> None:
    a, b = TestClient(app), TestClient(app)
    sign_in(a, seeded.keys["editor_a"])
    sign_in(b, seeded.keys["editor_a"])
    other = TestClient(app)
    sign_in(other, seeded.keys["editor_b"])
    with seeded.sessions() as db, db.begin():
        keys_repo.revoke_key(db, seeded.keys["editor_a"].split("_")[1])
    revoked = {r.revoked for r in _rows(seeded) if r.key_id != _key_id(seeded, "editor_b")}
    assert revoked == {True}
    assert a.get("/review", follow_redirects=False).status_code == 303
    assert b.get("/review", follow_redirects=False).status_code == 303
    assert other.get("/review", follow_redirects=False).status_code == 200


def test_an_expired_session_is_refused(app: FastAPI, seeded: Seeded) -> None:
    client = TestClient(app)
    sign_in(client, seeded.keys["editor_a"])
    with seeded.sessions() as db, db.begin():
        db.execute(update(WebSessionRow).values(expires_at=dt.datetime(2000, 1, 1)))
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_sessions_repository_round_trip(app: FastAPI, seeded: Seeded) -> None:
    key_id = _key_id(seeded, "editor_a")
    now = dt.datetime(2026, 12, 1, 9, 0)
    with seeded.sessions() as db, db.begin():
        token = sessions_repo.create(db, key_id, ttl=dt.timedelta(hours=1), now=now)
        old = sessions_repo.create(
            db, key_id, ttl=dt.timedelta(hours=1), now=now - dt.timedelta(days=2)
        )
    with seeded.sessions() as db:
        found = sessions_repo.active(db, token, now=now + dt.timedelta(minutes=59))
        assert found is not None and found.key_id == key_id
        assert found.id == hashlib.sha256(token.encode()).hexdigest()
        assert sessions_repo.active(db, token, now=now + dt.timedelta(minutes=61)) is None
        assert sessions_repo.active(db, "not-a-token", now=now) is None
        assert sessions_repo.active(db, "", now=now) is None
    with seeded.sessions() as db, db.begin():
        assert sessions_repo.purge_expired(db, now=now) == 1  # the two-day-old one
        assert sessions_repo.revoke(db, token) is True
        assert sessions_repo.revoke(db, old) is False  # already purged
    with seeded.sessions() as db:
        assert sessions_repo.active(db, token, now=now) is None


def _key_id(seeded: Seeded, name: str) -> int:
    prefix = seeded.keys[name].split("_")[1]
    with seeded.sessions() as db:
        return next(k.info.id for k in keys_repo.list_keys(db) if k.info.prefix == prefix)
