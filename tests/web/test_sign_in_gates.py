"""Sign-in throttling, ``Secure`` cookies over HTTPS and flash messages of the review form.

Attacks replayed here: 50 wrong keys in a quarter second were all answered (no 429); the
``n=`` of a flash URL was rendered whatever it said (a phishing line on our own page).
"""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.web_auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from core.settings import Settings
from tests.web.conftest import Seeded, build_app, rule_checker, seed
from tests.web.test_review_form import csrf_of, sign_in

LIMIT = 10  # the default: failed sign-ins per minute per client IP and per key prefix


@pytest.fixture
def editor(app: FastAPI, seeded: Seeded) -> tuple[TestClient, str]:
    client = TestClient(app)
    return client, sign_in(client, seeded.keys["editor_a"])


def _try(client: TestClient, key: str, lang: str = "zh") -> tuple[int, str, dict[str, str]]:
    page = client.get(f"/review/login?lang={lang}")
    answer = client.post(
        "/review/login",
        data={"api_key": key, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    return answer.status_code, answer.text, dict(answer.headers)


def test_wrong_keys_from_one_address_are_throttled(app: FastAPI, seeded: Seeded) -> None:
    client = TestClient(app)
    statuses = [_try(client, f"zx_guess{n:02d}_wrong")[0] for n in range(LIMIT)]
    assert statuses == [401] * LIMIT
    status, text, headers = _try(client, "zx_guess99_wrong")
    assert status == 429
    assert int(headers["retry-after"]) >= 1
    assert "尝试次数太多" in text and "<form" in text  # a friendly page, in Chinese first
    # ...and while blocked, even the right key from that address waits (no guessing oracle).
    status, _, _ = _try(client, seeded.keys["editor_a"])
    assert status == 429 and SESSION_COOKIE not in client.cookies
    # Another address is not affected.
    other = TestClient(app, client=("198.51.100.7", 40000))
    sign_in(other, seeded.keys["editor_a"])


def test_the_friendly_page_speaks_english_too(app: FastAPI, seeded: Seeded) -> None:
    client = TestClient(app)
    for n in range(LIMIT):
        _try(client, f"zx_guess{n:02d}_wrong", "en")
    status, text, _ = _try(client, "zx_guess99_wrong", "en")
    assert status == 429 and "Too many attempts" in text


def test_guessing_one_keys_secret_from_many_addresses_is_throttled(
    app: FastAPI, seeded: Seeded
) -> None:
    prefix = seeded.keys["editor_a"].split("_")[1]
    for n in range(LIMIT):
        client = TestClient(app, client=(f"203.0.113.{n + 1}", 40000))
        assert _try(client, f"zx_{prefix}_guess{n}")[0] == 401
    fresh = TestClient(app, client=("203.0.113.200", 40000))
    assert _try(fresh, f"zx_{prefix}_guess-last")[0] == 429


def test_successful_sign_ins_are_not_counted(app: FastAPI, seeded: Seeded) -> None:
    client = TestClient(app)
    for _ in range(LIMIT + 5):
        sign_in(client, seeded.keys["editor_a"])


def test_a_missing_csrf_token_is_not_a_guess(app: FastAPI, seeded: Seeded) -> None:
    client = TestClient(app)
    client.get("/review/login")
    for _ in range(LIMIT + 2):
        refused = client.post("/review/login", data={"api_key": "zx_a_b"}, follow_redirects=False)
        assert refused.status_code == 403
    sign_in(client, seeded.keys["editor_a"])


# --- Secure cookies ------------------------------------------------------------------------


def _set_cookies(client: TestClient, key: str, **headers: str) -> list[str]:
    page = client.get("/review/login", headers=headers)
    login_cookie = page.headers["set-cookie"]
    token = csrf_of(page.text)
    # Sent by hand: the client talks plain HTTP to the app, and a browser behind a TLS proxy
    # would send the (Secure) double-submit cookie back.
    answer = client.post(
        "/review/login",
        data={"api_key": key, "csrf_token": token},
        headers={**headers, "Cookie": f"{LOGIN_CSRF_COOKIE}={token}"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return [login_cookie, *answer.headers.get_list("set-cookie")]


def _named(cookies: list[str], name: str) -> str:
    return next(c for c in cookies if c.startswith(f"{name}=") and "Max-Age=0" not in c)


def test_cookies_are_secure_over_https(app: FastAPI, seeded: Seeded) -> None:
    https = TestClient(app, base_url="https://review.example")
    cookies = _set_cookies(https, seeded.keys["editor_a"])
    for name in (SESSION_COOKIE, LOGIN_CSRF_COOKIE):
        assert "Secure" in _named(cookies, name), name
    plain = TestClient(app)
    cookies = _set_cookies(plain, seeded.keys["editor_a"])
    for name in (SESSION_COOKIE, LOGIN_CSRF_COOKIE):
        assert "Secure" not in _named(cookies, name), name
        assert "HttpOnly" in _named(cookies, name)


def test_forwarded_proto_counts_only_behind_a_trusted_proxy(settings: Settings) -> None:
    for trusted, secure in ((False, False), (True, True)):
        app = build_app(settings.model_copy(update={"trust_proxy_headers": trusted}), rule_checker)
        seeded = seed(app.state.sessions, rule_checker)
        client = TestClient(app)
        cookies = _set_cookies(client, seeded.keys["editor_a"], **{"X-Forwarded-Proto": "https"})
        assert ("Secure" in _named(cookies, SESSION_COOKIE)) is secure
        app.state.engine.dispose()
        settings = settings.model_copy(update={"data_dir": settings.data_dir / "next"})


# --- flash messages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n",
    [
        "3。您的账户存在风险，请立即致电 400-000-0000",
        "3. Your account is at risk, call +1 555 0100 now",
        "<script>alert(1)</script>",
        "9" * 40,
    ],
)
def test_a_flash_shows_only_a_small_number(
    editor: tuple[TestClient, str], seeded: Seeded, n: str
) -> None:
    client, _ = editor
    page = client.get(f"/review/drafts/{seeded.drafts['clean']}", params={"done": "saved", "n": n})
    assert page.status_code == 200
    flash = re.search(r'data-testid="flash">([^<]*)<', page.text)
    assert flash is None or ("400" not in flash.group(1) and "555" not in flash.group(1))
    assert "致电" not in page.text and "call +1" not in page.text
    assert "<script>alert" not in page.text and "9" * 40 not in page.text


def test_a_flash_with_a_good_number_still_shows(
    editor: tuple[TestClient, str], seeded: Seeded
) -> None:
    client, _ = editor
    zh = client.get(f"/review/drafts/{seeded.drafts['clean']}?done=saved&n=3").text
    assert "已保存为第 3 版" in zh
    en = client.get(f"/review/drafts/{seeded.drafts['clean']}?done=saved&n=3&lang=en").text
    assert "Saved as version 3" in en
    unknown = client.get(f"/review/drafts/{seeded.drafts['clean']}?done=hacked&n=3").text
    assert 'data-testid="flash"' not in unknown


def test_a_non_ascii_csrf_token_is_refused_not_a_server_error(
    editor: tuple[TestClient, str], seeded: Seeded
) -> None:
    client, _ = editor
    draft = f"/review/drafts/{seeded.drafts['clean']}/approve"
    for token in ("令牌", "tokén"):
        assert client.post(draft, data={"csrf_token": token}).status_code == 403
    fresh = TestClient(client.app)
    fresh.get("/review/login")
    answer = fresh.post("/review/login", data={"api_key": "zx_a_b", "csrf_token": "令牌"})
    assert answer.status_code == 403
