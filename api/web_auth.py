"""Sessions and CSRF for the review form.

An editor signs in with their API key once; we keep a signed, time-limited cookie
(``itsdangerous``, keyed by ``settings.session_secret``) that names the key's id, brand and
role plus a random CSRF token. The raw key is never stored in the cookie. Every form post
must carry the same token (hidden ``csrf_token`` field, or the ``X-CSRF-Token`` header that
htmx sends); a post without it, or with another session's token, is refused with 403.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from core.errors import ConfigError
from core.settings import Settings

SESSION_COOKIE = "zx_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_MAX_AGE = 12 * 3600  # an editor's working day


@dataclass(frozen=True)
class WebSession:
    key_id: str
    brand: str
    role: str
    name: str
    csrf: str

    def to_dict(self) -> dict[str, str]:
        return {
            "k": self.key_id,
            "b": self.brand,
            "r": self.role,
            "n": self.name,
            "c": self.csrf,
        }


PLACEHOLDER_SECRET = "dev-only-change-me"
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


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    secret = settings.session_secret.get_secret_value()
    if settings.environment == "production" and (secret == PLACEHOLDER_SECRET or len(secret) < 32):
        raise ConfigError(
            "the review form needs a real session secret in production",
            hint="set ZHENXIN_SESSION_SECRET to 32+ random characters",
        )
    return URLSafeTimedSerializer(secret, salt="zhenxin.review.session")


def new_session(key_id: str, brand: str, role: str, name: str) -> WebSession:
    return WebSession(key_id, brand, role, name, secrets.token_urlsafe(24))


def write_session(response: Response, settings: Settings, session: WebSession) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        _serializer(settings).dumps(session.to_dict()),
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=settings.environment == "production",
        path="/",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def read_session(request: Request, settings: Settings) -> WebSession | None:
    """The session of this request, or None when absent, tampered with or expired."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(settings).loads(raw, max_age=SESSION_MAX_AGE)
    except BadSignature:  # also covers SignatureExpired
        return None
    if not isinstance(data, dict):
        return None
    try:
        return WebSession(
            str(data["k"]), str(data["b"]), str(data["r"]), str(data["n"]), str(data["c"])
        )
    except KeyError:
        return None


def csrf_ok(session: WebSession, submitted: str | None) -> bool:
    """Constant-time comparison of the submitted token with the session's."""
    return bool(submitted) and hmac.compare_digest(session.csrf, submitted or "")


# Before sign-in there is no session yet: the sign-in form gets its own double-submit token
# (a random cookie value that the form must echo), so a foreign site cannot log a browser in
# with the attacker's key.
LOGIN_CSRF_COOKIE = "zx_login_csrf"


def login_csrf(request: Request) -> str:
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)


def write_login_csrf(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=settings.environment == "production",
        path="/review",
    )
