"""End-to-end: Debian's Chromium (headless, via Playwright) drives the review form served by
uvicorn on a loopback port: sign in, queue, a highlighted spam finding, edit until it goes
away, save, approve; reject with a reason; brand isolation. Screenshots go to
``artifacts/screenshots/``."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from evals.types import CheckContext, CheckReport
from tests.web.conftest import (
    B_TEXT,
    CLEAN_TEXT,
    SPAM_ZH,
    Seeded,
    build_app,
    seed,
)

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but /usr/bin/chromium is missing: apt-get install -y chromium")
    pytest.skip("/usr/bin/chromium is missing: apt-get install -y chromium fonts-noto-cjk")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _real_checker() -> Callable[[CheckContext], CheckReport]:
    from evals import check

    return check


@pytest.fixture
def live(settings: Settings) -> Iterator[tuple[str, Seeded]]:
    """The form served by uvicorn in a thread, seeded and checked by the real eval suite."""
    import uvicorn

    checker = _real_checker()
    app = build_app(settings)  # the real eval suite checks every edit
    seeded = seed(app.state.sessions, checker)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", seeded
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _sign_in(page: Any, base: str, key: str) -> None:
    page.goto(f"{base}/review/login")
    page.fill("#api_key", key)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/review")


def test_editor_fixes_a_spam_draft_and_approves_it(live: tuple[str, Seeded], browser: Any) -> None:
    from playwright.sync_api import expect

    base, seeded = live
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page.set_default_timeout(15_000)
    _sign_in(page, base, seeded.keys["editor_a"])

    spam_id = seeded.drafts["spam"]
    row = page.locator(f"tr[data-draft='{spam_id}']")
    expect(row).to_be_visible()
    expect(row.locator(".badge.pass")).to_have_count(0)  # review or block
    expect(row.locator("td.worst .sev")).to_be_visible()  # its worst finding at a glance
    page.screenshot(path=str(SHOTS / "queue.png"), full_page=True)

    row.locator("a").first.click()
    page.wait_for_url(f"{base}/review/drafts/{spam_id}")
    spam_mark = page.locator("#current-check mark.finding", has_text=SPAM_ZH)
    expect(spam_mark.first).to_be_visible()
    assert spam_mark.first.get_attribute("title")  # rule, message and suggestion on hover
    page.screenshot(path=str(SHOTS / "draft.png"), full_page=True)

    # edit until the finding goes away: the live check re-runs as the editor types
    editor = page.locator("[data-testid=editor]")
    editor.fill(CLEAN_TEXT)
    live_marks = page.locator("#live-check mark.finding", has_text=SPAM_ZH)
    expect(live_marks).to_have_count(0)
    expect(page.locator("#live-check [data-testid=verdict]")).not_to_have_class("badge block")
    page.screenshot(path=str(SHOTS / "draft-edited.png"), full_page=True)

    page.click("[data-testid=save]")
    expect(page.locator("[data-testid=flash]")).to_contain_text("已保存为第 2 版")
    expect(page.locator("[data-testid=version]")).to_have_text("2")
    expect(page.locator("[data-testid=diff] del").first).to_contain_text(SPAM_ZH)
    expect(page.locator("#current-check mark.finding", has_text=SPAM_ZH)).to_have_count(0)

    page.click("[data-testid=approve]")
    expect(page.locator("[data-testid=flash]")).to_contain_text("已通过")
    expect(page.locator("[data-testid=status]")).to_have_text("已通过")
    assert seeded.record("qingshui", spam_id).status == "approved"


def test_editor_rejects_with_a_reason_and_sees_only_their_brand(
    live: tuple[str, Seeded], browser: Any
) -> None:
    from playwright.sync_api import expect

    base, seeded = live
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.set_default_timeout(15_000)
    _sign_in(page, base, seeded.keys["editor_a"])

    clean_id = seeded.drafts["clean"]
    page.goto(f"{base}/review/drafts/{clean_id}")
    page.fill("[data-testid=reject-reason]", "语气太像广告，重写成问候")
    page.click("[data-testid=reject]")
    expect(page.locator("[data-testid=flash]")).to_contain_text("已退回")
    expect(page.locator("[data-testid=status]")).to_have_text("已退回")
    record = seeded.record("qingshui", clean_id)
    assert record.status == "rejected"
    assert record.reviews[-1].reason == "语气太像广告，重写成问候"

    # brand isolation: brand B's draft is neither listed nor reachable by its id
    other = seeded.drafts["other_brand"]
    page.goto(f"{base}/review?status=")
    expect(page.locator(f"tr[data-draft='{clean_id}']")).to_be_visible()
    expect(page.locator(f"tr[data-draft='{other}']")).to_have_count(0)
    response = page.goto(f"{base}/review/drafts/{other}")
    assert response is not None and response.status == 404
    assert B_TEXT not in page.content()

    # English by choice, kept for the next page
    page.goto(f"{base}/review?lang=en")
    expect(page.locator("h1")).to_contain_text("Drafts waiting for review")
    page.goto(f"{base}/review/drafts/{clean_id}")
    expect(page.locator("[data-testid=status]")).to_have_text("Rejected")
    page.screenshot(path=str(SHOTS / "draft-en.png"), full_page=True)


def test_editor_reads_a_criticising_reply_and_the_outcomes_charts(
    live: tuple[str, Seeded], browser: Any, settings: Settings
) -> None:
    import json

    from playwright.sync_api import expect

    from drafting.service import DraftingService
    from flywheel.service import FlywheelService
    from generator.fake import FakeDrafter
    from knowledge.fake import FakeKnowledge
    from knowledge.loader import load_pack

    base, seeded = live
    examples = Path(__file__).resolve().parents[2] / "examples"
    drafting = DraftingService(
        settings,
        sessions=seeded.sessions,
        knowledge=FakeKnowledge([load_pack(examples / "qingshui")]),
        drafter=FakeDrafter(),
    )
    flywheel = FlywheelService(drafting)
    lines = (examples / "qingshui" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    reply = {"id": "wx-1", "customer_id": "qs-001", "type": "replied", "at": "2026-11-25T21:10",
             "draft_id": seeded.drafts["spam"], "text": "用了两周两颊反而更红了"}  # fmt: skip
    result = flywheel.ingest("qingshui", [*map(json.loads, lines), reply])
    assert not result.rejected

    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page.set_default_timeout(15_000)
    _sign_in(page, base, seeded.keys["editor_a"])

    page.goto(f"{base}/review/drafts/{seeded.drafts['spam']}")
    criticism = page.locator("[data-testid=criticism]")
    expect(criticism).to_contain_text("用了两周两颊反而更红了")
    expect(criticism.locator(".badge")).to_have_text("批评")

    page.click("[data-testid=nav-outcomes]")
    page.wait_for_url(f"{base}/review/outcomes")
    page.fill("#o-from", "2025-12-01")
    page.fill("#o-to", "2026-11-30")
    page.click("[data-testid=outcomes-range] button[type=submit]")
    page.wait_for_url("**/review/outcomes?from=2025-12-01&to=2026-11-30")
    chart = page.locator("[data-testid=chart-holdout] svg")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100  # drawn, not empty
    assert chart.locator("rect").count() >= 4  # contacted and held out, all and per trigger
    expect(page.locator("[data-testid=chart-triggers] svg")).to_be_visible()
    expect(page.locator("[data-testid=holdout]")).to_contain_text("对照组")
    expect(page.locator("[data-testid=groups] .few").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "outcomes.png"), full_page=True)
