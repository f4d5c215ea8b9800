"""Sessions, CSRF and the session secret of the review form.

An editor signs in with their API key once. The server starts a session (a row in
``web_sessions``, see ``storage.sessions``) and the browser gets a signed cookie
(``itsdangerous``, keyed by the session secret) holding the session's random token and a
random CSRF token. The raw API key is never in the cookie, and the table keeps only the
token's hash. Every request looks the session up, so logout, key revocation and expiry end
it at once; a cookie that is forged, tampered with, revoked or expired opens nothing.

Every form post must carry the session's CSRF token (hidden ``csrf_token`` field, or the
``X-CSRF-Token`` header that htmx sends); a post without it, or with another session's token,
is refused with 403.

The session secret: ``ZHENXIN_SESSION_SECRET`` when set (32+ characters, never a known
placeholder, in every environment); otherwise a random secret made on first start and kept
in ``data_dir/session_secret`` (mode 0600) so sessions survive a restart.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import os
import secrets
import stat
from dataclasses import dataclass

from fastapi import Request, Response
from filelock import FileLock
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import SecretStr
from sqlalchemy.orm import Session

from api.forwarded import is_https
from core.errors import ConfigError
from core.settings import Settings
from storage import sessions as sessions_repo
from storage.keys import KeyInfo
from storage.models import ApiKeyRow

log = logging.getLogger("zhenxin.api")

SESSION_COOKIE = "zx_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_MAX_AGE = 12 * 3600  # an editor's working day
SESSION_SALT = "zhenxin.review.session"
MIN_SECRET_CHARS = 32
# Values seen in examples, templates and our own old default: public, so never a secret.
PLACEHOLDER_SECRETS = frozenset(
    {
        "dev-only-change-me",
        "change-me",
        "changeme",
        "change_me",
        "secret",
        "your-secret-here",
        "please-change-me",
    }
)
# Pages of the form may only load our own script and styles, post to us, and not be framed
# (an approve button inside someone else's frame is a click-jacking target).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class WebSession:
    """The signed-in editor of one request (``token`` names the ``web_sessions`` row)."""

    key_id: str
    brand: str
    role: str
    name: str
    csrf: str
    token: str = ""


# --- the session secret -------------------------------------------------------------------


def _refuse_weak(secret: str) -> None:
    if secret.strip().lower() in PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_CHARS:
        raise ConfigError(
            "ZHENXIN_SESSION_SECRET is a placeholder or too short: the review form's session "
            "secret must be secret / 会话密钥不能用示例值，也不能太短",
            hint=f"set {MIN_SECRET_CHARS}+ random characters, or unset it and a random one "
            "is kept in the data dir",
        )


def _secret_file(settings: Settings) -> str:
    """Read the kept secret, or make it (once, under a lock, readable by us only)."""
    path = settings.session_secret_file
    settings.ensure_data_dir()
    with FileLock(str(path) + ".lock", timeout=10):
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(secrets.token_urlsafe(48) + "\n")
            log.info("made a new session secret in %s", path)
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("session secret %s was mode %o; tightened to 600", path, mode)
            path.chmod(0o600)
        secret = path.read_text(encoding="utf-8").strip()
    if len(secret) < MIN_SECRET_CHARS:
        raise ConfigError(
            f"the session secret in {path} is too short / 会话密钥文件内容太短",
            hint="delete the file and restart: a new random one is made (editors sign in again)",
        )
    return secret


def resolve_session_secret(settings: Settings) -> SecretStr:
    """The secret that signs session cookies: the setting if given (checked), else the kept
    random one from the data dir (made on first use)."""
    given = settings.session_secret.get_secret_value() if settings.session_secret else ""
    if given:
        _refuse_weak(given)
        return SecretStr(given)
    return SecretStr(_secret_file(settings))


def with_session_secret(settings: Settings) -> Settings:
    """``settings`` with the session secret resolved (once, at startup)."""
    return settings.model_copy(update={"session_secret": resolve_session_secret(settings)})


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    secret = resolve_session_secret(settings).get_secret_value()
    return URLSafeTimedSerializer(secret, salt=SESSION_SALT)


# --- sessions -------------------------------------------------------------------------------


def new_session(key_id: str, brand: str, role: str, name: str, token: str = "") -> WebSession:
    return WebSession(key_id, brand, role, name, secrets.token_urlsafe(24), token)


def start_session(db: Session, key: KeyInfo) -> WebSession:
    """Sign ``key`` in: a new ``web_sessions`` row (the caller commits) and its WebSession."""
    sessions_repo.purge_expired(db)
    token = sessions_repo.create(db, key.id, ttl=dt.timedelta(seconds=SESSION_MAX_AGE))
    return new_session(str(key.id), key.brand, key.role.value, key.name or key.prefix, token)


def end_session(db: Session, web: WebSession) -> None:
    """Sign out: the session is revoked server-side (the caller commits)."""
    sessions_repo.revoke(db, web.token)


def cookie_secure(request: Request, settings: Settings) -> bool:
    """``Secure`` cookies over HTTPS (or behind a trusted TLS proxy), and always in production."""
    return settings.environment == "production" or is_https(request, settings)


def write_session(
    response: Response, settings: Settings, session: WebSession, *, secure: bool
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        _serializer(settings).dumps({"s": session.token, "c": session.csrf}),
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def read_session(request: Request, settings: Settings, db: Session) -> WebSession | None:
    """The live session of this request, or None when the cookie is absent, forged, tampered
    with or expired, or its server-side session was revoked or has expired."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(settings).loads(raw, max_age=SESSION_MAX_AGE)
    except BadSignature:  # also covers SignatureExpired
        return None
    if not isinstance(data, dict):
        return None
    token, csrf = data.get("s"), data.get("c")
    if not isinstance(token, str) or not isinstance(csrf, str) or not csrf:
        return None
    row = sessions_repo.active(db, token)
    if row is None:
        return None
    key = db.get(ApiKeyRow, row.key_id)
    if key is None or key.revoked:
        return None
    return WebSession(str(key.id), key.brand_id, key.role, key.name or key.prefix, csrf, token)


def same_token(expected: str, submitted: str | None) -> bool:
    """Constant-time comparison (as bytes: a non-ASCII submission is simply wrong)."""
    if not expected or not submitted:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), submitted.encode("utf-8"))


def csrf_ok(session: WebSession, submitted: str | None) -> bool:
    """Constant-time comparison of the submitted token with the session's."""
    return same_token(session.csrf, submitted)


# Before sign-in there is no session yet: the sign-in form gets its own double-submit token
# (a random cookie value that the form must echo), so a foreign site cannot log a browser in
# with the attacker's key.
LOGIN_CSRF_COOKIE = "zx_login_csrf"


def login_csrf(request: Request) -> str:
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)


def write_login_csrf(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/review",
    )
