"""GET / sends a person to the review form instead of answering 404 JSON."""

from __future__ import annotations

from tests.api.conftest import Env


def test_root_redirects_to_the_review_form(env: Env) -> None:
    r = env.client.get("/", follow_redirects=False)
    assert r.status_code == 307
    assert r.headers["location"] == "/review"
    page = env.client.get("/")  # followed: the form (its sign-in page), HTML, not JSON
    assert page.status_code == 200
    assert page.url.path.startswith("/review")
    assert page.headers["content-type"].startswith("text/html")
    assert "/" not in env.app.openapi()["paths"], "a page for people, not part of the API"
