"""The review form's flywheel pages: a customer's replies on the draft they answer (criticism
marked), and 成效 / Outcomes — the outcomes report of the key's brand with SVG charts."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from flywheel.service import FlywheelService
from tests.web.conftest import BRAND_A, BRAND_B, Seeded
from tests.web.test_review_form import sign_in

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RANGE = "from=2025-12-01&to=2026-11-30"


def flywheel(app: FastAPI) -> FlywheelService:
    return FlywheelService(app.state.service)


def import_pack_events(app: FastAPI, brand: str) -> None:
    lines = (EXAMPLES / brand / "events.jsonl").read_text(encoding="utf-8").splitlines()
    result = flywheel(app).ingest(brand, [json.loads(line) for line in lines])
    assert not result.rejected and result.accepted == len(lines)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


# --- replies on a draft ------------------------------------------------------------------------


def test_a_criticising_reply_is_shown_on_its_draft_and_marked(
    app: FastAPI, client: TestClient, seeded: Seeded
) -> None:
    draft = seeded.drafts["spam"]
    flywheel(app).ingest(
        BRAND_A,
        [
            {"id": "r1", "customer_id": "qs-001", "type": "replied", "at": "2026-11-24T09:00",
             "draft_id": draft, "text": "谢谢提醒，我今晚试试"},
            {"id": "r2", "customer_id": "qs-001", "type": "replied", "at": "2026-11-25T21:10",
             "draft_id": draft, "text": "用了两周两颊反而更红了"},
        ],
    )  # fmt: skip
    sign_in(client, seeded.keys["editor_a"])
    page = client.get(f"/review/drafts/{draft}").text
    assert 'data-testid="replies"' in page
    assert "谢谢提醒，我今晚试试" in page
    marked = re.findall(
        r'<li class="reply criticism" data-testid="criticism">(.*?)</li>', page, re.S
    )
    assert len(marked) == 1 and "用了两周两颊反而更红了" in marked[0] and "批评" in marked[0]
    assert "其中批评 1 条" in page

    # English, and a draft nobody answered shows no replies card
    en = client.get(f"/review/drafts/{draft}?lang=en").text
    assert "Customer replies" in en and "Criticism" in en
    assert (
        'data-testid="replies"' not in client.get(f"/review/drafts/{seeded.drafts['clean']}").text
    )


def test_replies_of_another_brand_never_show(
    app: FastAPI, client: TestClient, seeded: Seeded
) -> None:
    draft = seeded.drafts["spam"]  # brand A's draft; brand B's event names its id
    flywheel(app).ingest(
        BRAND_B,
        [{"id": "x", "customer_id": "ss-001", "type": "complaint", "at": "2026-11-24",
          "draft_id": draft, "text": "不满意"}],
    )  # fmt: skip
    sign_in(client, seeded.keys["editor_a"])
    assert 'data-testid="replies"' not in client.get(f"/review/drafts/{draft}").text


# --- the outcomes page -----------------------------------------------------------------------


def test_outcomes_page_needs_a_session_and_is_in_the_navigation(
    client: TestClient, seeded: Seeded
) -> None:
    response = client.get("/review/outcomes", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/review/login"
    sign_in(client, seeded.keys["editor_a"])
    queue = client.get("/review").text
    assert 'href="/review/outcomes"' in queue and "成效" in queue


def test_outcomes_page_shows_the_brands_report_with_svg_charts(
    app: FastAPI, client: TestClient, seeded: Seeded
) -> None:
    import_pack_events(app, BRAND_A)
    sign_in(client, seeded.keys["editor_a"])
    response = client.get(f"/review/outcomes?{RANGE}")
    assert response.status_code == 200
    page = response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # the holdout beside the contacted, as numbers and as a chart with intervals
    report = flywheel(app).outcomes(
        BRAND_A, since=dt.date(2025, 12, 1), until=dt.date(2026, 11, 30)
    )
    held = report["holdout"]["held_out"]["purchase_rate_30d"]
    assert held["n"] > 0 and f"n={held['n']}" in page
    holdout = re.search(r'data-testid="chart-holdout">(.*?)</div>', page, re.S)
    assert holdout and "<svg" in holdout.group(1) and "<script" not in page.split("</head>")[1]
    assert holdout.group(1).count('data-series="发了关怀"') >= 2  # all + per trigger
    assert 'data-series="对照组（未发）"' in holdout.group(1)
    assert "使用第 3 天" in holdout.group(1)  # triggers by their names
    assert 'data-testid="chart-triggers"' in page
    # the groups table: every group, its sample size, few marked under 30
    table = re.search(r'data-testid="groups">(.*?)</table>', page, re.S)
    assert table is not None
    assert table.group(1).count("<tr>") == len(report["groups"]) + 1
    assert "样本少" in table.group(1)
    assert 'value="2025-12-01"' in page and 'value="2026-11-30"' in page


def test_outcomes_page_in_english_and_scoped_to_the_key_brand(
    app: FastAPI, client: TestClient, seeded: Seeded
) -> None:
    import_pack_events(app, BRAND_B)  # only brand B has events
    sign_in(client, seeded.keys["editor_a"])
    page = client.get(f"/review/outcomes?{RANGE}&lang=en").text
    assert "Outcomes" in page and 'data-testid="outcomes-empty"' in page
    assert "<svg" not in page

    other = TestClient(app)
    sign_in(other, seeded.keys["editor_b"])
    page_b = other.get(f"/review/outcomes?{RANGE}&lang=en").text
    assert "Bought again within 30 days" in page_b and "<svg" in page_b
    assert "Contacted" in page_b and "Held out" in page_b


def test_outcomes_page_with_bad_dates_says_so_and_shows_the_last_year(
    client: TestClient, seeded: Seeded
) -> None:
    sign_in(client, seeded.keys["editor_a"])
    for query in ("from=2026-13-01", "from=2026-11-30&to=2026-01-01", "to=soon"):
        response = client.get(f"/review/outcomes?{query}")
        assert response.status_code == 200
        assert 'data-testid="flash"' in response.text and "最近 365 天" in response.text
