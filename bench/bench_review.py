"""The review form under load: queue pages, draft pages and the live re-check endpoint,
served by the real app (TestClient, SQLite in a temp dir, the real eval suite, the fake
model). Prints requests per second and the ratio of a live check to a page."""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient


def _rate(label: str, fn: Callable[[], object], seconds: float = 2.0) -> float:
    fn()  # warm up
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    rate = n / (time.perf_counter() - start)
    print(f"{label:<34} {rate:8.1f} req/s  ({1000 / rate:6.1f} ms each)")
    return rate


def main() -> None:
    from api.main import create_app
    from core.settings import Settings
    from evals import check
    from tests.web.conftest import SPAM_TEXT, make_draft, seed, store_draft

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), llm="fake", embedder="hash", environment="test")
        app = create_app(settings)
        seeded = seed(app.state.sessions, check)
        for i in range(197):  # 200 drafts in brand A's queue
            store_draft(
                app.state.sessions,
                make_draft("qingshui", SPAM_TEXT, customer=f"qs-{i:03d}", checker=check),
            )
        client = TestClient(app)
        page = client.get("/review/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        client.post(
            "/review/login", data={"api_key": seeded.keys["editor_a"], "csrf_token": token[1]}
        )
        queue = client.get("/review")
        session_token = re.search(r'name="csrf_token" value="([^"]+)"', queue.text)
        assert session_token
        draft_id = seeded.drafts["spam"]
        headers = {"X-CSRF-Token": session_token[1]}

        q = _rate("queue page (200 drafts)", lambda: client.get("/review"))
        d = _rate("draft page", lambda: client.get(f"/review/drafts/{draft_id}"))
        c = _rate(
            "live re-check (htmx partial)",
            lambda: client.post(
                f"/review/drafts/{draft_id}/check", data={"text": SPAM_TEXT}, headers=headers
            ),
        )
        print(f"live check / draft page speed ratio: {c / d:.2f}x")
        print(f"draft page / queue page speed ratio: {d / q:.2f}x")


if __name__ == "__main__":
    main()
