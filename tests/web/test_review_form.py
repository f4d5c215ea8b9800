"""The review form through FastAPI's TestClient: sign-in, CSRF, brand isolation, editing,
versions, decisions, regenerate, both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.web_auth import SESSION_COOKIE
from core.settings import Settings
from storage import keys as keys_repo
from tests.web.conftest import (
    B_TEXT,
    BELIEF,
    BRAND_A,
    CLEAN_TEXT,
    REGENERATED_TEXT,
    SPAM_EN,
    SPAM_TEXT,
    SPAM_ZH,
    Seeded,
    build_app,
    make_draft,
    rule_checker,
    seed,
    store_draft,
)

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client: TestClient, key: str) -> str:
    """Sign in and return the session's CSRF token."""
    page = client.get("/review/login")
    response = client.post(
        "/review/login",
        data={"api_key": key, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    queue = client.get("/review")
    assert queue.status_code == 200
    return csrf_of(queue.text)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


@pytest.fixture
def editor(client: TestClient, seeded: Seeded) -> tuple[TestClient, str]:
    return client, sign_in(client, seeded.keys["editor_a"])


# --- sign in ---------------------------------------------------------------------------------


def test_pages_need_a_session(client: TestClient, seeded: Seeded) -> None:
    for path in ("/review", f"/review/drafts/{seeded.drafts['spam']}"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/review/login"


def test_login_page_is_chinese_by_default_and_english_by_choice(client: TestClient) -> None:
    zh = client.get("/review/login")
    assert "frame-ancestors 'none'" in zh.headers["content-security-policy"]
    assert "编辑登录" in zh.text and "Editor sign-in" not in zh.text
    en = client.get("/review/login?lang=en")
    assert "Editor sign-in" in en.text and "编辑登录" not in en.text
    # the choice is kept in a cookie
    again = client.get("/review/login")
    assert "Editor sign-in" in again.text


def test_login_without_csrf_token_is_refused(client: TestClient, seeded: Seeded) -> None:
    client.get("/review/login")  # sets the double-submit cookie
    response = client.post(
        "/review/login", data={"api_key": seeded.keys["editor_a"]}, follow_redirects=False
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.cookies


def test_login_with_wrong_key_or_operator_key_fails(client: TestClient, seeded: Seeded) -> None:
    token = csrf_of(client.get("/review/login").text)
    bad = client.post("/review/login", data={"api_key": "zx_nope_nope", "csrf_token": token})
    assert bad.status_code == 401
    assert "密钥无效" in bad.text
    op = client.post(
        "/review/login", data={"api_key": seeded.keys["operator_a"], "csrf_token": token}
    )
    assert op.status_code == 401
    assert "不是编辑" in op.text
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_tampered_session_cookie_is_ignored(client: TestClient, seeded: Seeded) -> None:
    sign_in(client, seeded.keys["editor_a"])
    value = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, value[:-3] + ("AAA" if value[-3:] != "AAA" else "BBB"))
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_revoked_key_ends_the_session(client: TestClient, seeded: Seeded) -> None:
    sign_in(client, seeded.keys["editor_a"])
    assert client.get("/review").status_code == 200
    prefix = seeded.keys["editor_a"].split("_")[1]
    with seeded.sessions() as session, session.begin():
        keys_repo.revoke_key(session, prefix)
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_sign_out_needs_csrf_and_clears_the_session(editor: tuple[TestClient, str]) -> None:
    client, token = editor
    assert client.post("/review/logout", follow_redirects=False).status_code == 403
    out = client.post("/review/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/review", follow_redirects=False).status_code == 303


# --- queue and isolation ---------------------------------------------------------------------


def test_queue_lists_own_brand_drafts_with_worst_finding(
    editor: tuple[TestClient, str], seeded: Seeded
) -> None:
    client, _ = editor
    html = client.get("/review").text
    assert seeded.drafts["spam"] in html and seeded.drafts["clean"] in html
    assert seeded.drafts["other_brand"] not in html
    assert "时间压力" in html  # the spam draft's worst finding at a glance
    assert "拦截" in html and "通过" in html  # verdicts in Chinese


def test_queue_filters_by_verdict_kind_and_stage(
    editor: tuple[TestClient, str], seeded: Seeded
) -> None:
    client, _ = editor
    blocked = client.get("/review?verdict=block").text
    assert seeded.drafts["spam"] in blocked and seeded.drafts["clean"] not in blocked
    first = client.get("/review?stage=first_contact").text
    assert seeded.drafts["clean"] in first and seeded.drafts["spam"] not in first
    emails = client.get("/review?kind=aftersale_email").text
    assert seeded.drafts["spam"] not in emails and "没有符合条件的草稿" in emails


def test_brand_a_editor_cannot_see_brand_b_draft(
    editor: tuple[TestClient, str], seeded: Seeded
) -> None:
    client, token = editor
    other = seeded.drafts["other_brand"]
    page = client.get(f"/review/drafts/{other}")
    assert page.status_code == 404
    assert B_TEXT not in page.text
    for action in ("approve", "reject", "save", "check", "regenerate"):
        response = client.post(
            f"/review/drafts/{other}/{action}",
            data={"csrf_token": token, "text": "x", "reason": "x", "base_version": "1"},
        )
        assert response.status_code == 404, action
        assert B_TEXT not in response.text
    # and brand B's editor sees their own draft but not brand A's
    client_b = TestClient(client.app)
    sign_in(client_b, seeded.keys["editor_b"])
    assert B_TEXT in client_b.get(f"/review/drafts/{other}").text
    assert client_b.get(f"/review/drafts/{seeded.drafts['spam']}").status_code == 404
    assert seeded.drafts["spam"] not in client_b.get("/review").text


# --- draft page ------------------------------------------------------------------------------


def test_draft_page_highlights_findings_and_shows_context(
    editor: tuple[TestClient, str], seeded: Seeded
) -> None:
    client, _ = editor
    html = client.get(f"/review/drafts/{seeded.drafts['spam']}").text
    mark = re.search(r'<mark class="finding error" data-rule="spam.urgency"[^>]*>(.*?)<sup>', html)
    assert mark and mark.group(1) == SPAM_ZH
    assert "删掉期限" in html  # the suggestion
    assert "15 天" in html  # days since purchase
    assert "repair-serum" in html
    assert BELIEF in html  # belief statement
    assert "舒缓修护精华液 30ml 使用指南" in html  # a knowledge source
    assert "第 1 次尝试" in html  # attempt history
    assert "提到早晚各一次的用法" in html and "优惠、限时" in html  # the plan's must / must not
    assert "放行原因" in html  # blocked: the override field is shown


def test_draft_page_in_english(editor: tuple[TestClient, str], seeded: Seeded) -> None:
    client, _ = editor
    html = client.get(f"/review/drafts/{seeded.drafts['spam']}?lang=en").text
    assert "Days since purchase" in html and "Override reason" in html
    assert "Attempt 1" in html and "距购买天数" not in html
    assert ">Getting to know<" in html  # the stage's English name


def test_live_check_needs_csrf_and_rechecks_the_typed_text(
    editor: tuple[TestClient, str], seeded: Seeded
) -> None:
    client, token = editor
    url = f"/review/drafts/{seeded.drafts['clean']}/check"
    assert client.post(url, data={"text": SPAM_TEXT}).status_code == 403
    spam = client.post(
        url, data={"text": f"Only 3 left, {SPAM_EN}!!"}, headers={"X-CSRF-Token": token}
    )
    assert spam.status_code == 200
    assert 'data-rule="spam.urgency"' in spam.text and 'data-rule="spam.exclamation"' in spam.text
    clean = client.post(url, data={"text": CLEAN_TEXT}, headers={"X-CSRF-Token": token})
    assert "<mark" not in clean.text and "没有发现问题" in clean.text


def test_post_without_or_with_foreign_csrf_token_is_refused(
    editor: tuple[TestClient, str], seeded: Seeded
) -> None:
    client, _ = editor
    draft_id = seeded.drafts["clean"]
    other = TestClient(client.app)
    foreign_token = sign_in(other, seeded.keys["editor_a"])  # same brand, another session
    for data in ({}, {"csrf_token": "forged"}, {"csrf_token": foreign_token}):
        response = client.post(f"/review/drafts/{draft_id}/approve", data=data)
        assert response.status_code == 403
        assert "表单已过期" in response.text
    assert seeded.record(BRAND_A, draft_id).status == "pending_review"


def test_edit_save_diff_and_stale_version(editor: tuple[TestClient, str], seeded: Seeded) -> None:
    client, token = editor
    draft_id = seeded.drafts["spam"]
    saved = client.post(
        f"/review/drafts/{draft_id}/save",
        data={"csrf_token": token, "text": CLEAN_TEXT, "base_version": "1"},
    )
    assert saved.status_code == 200
    assert "已保存为第 2 版" in saved.text
    record = seeded.record(BRAND_A, draft_id)
    assert record.current is not None
    assert record.current.version == 2 and record.current.verdict == "pass"
    assert record.current.findings == []
    assert "<del>" + SPAM_ZH in saved.text  # the diff of version 1 -> 2
    # a second editor still on version 1 gets a kind 409, and their text is kept
    stale = client.post(
        f"/review/drafts/{draft_id}/save",
        data={"csrf_token": token, "text": CLEAN_TEXT + "谢谢", "base_version": "1"},
    )
    assert stale.status_code == 409
    assert "有人在你之前保存了新版本（第 2 版）" in stale.text
    assert CLEAN_TEXT + "谢谢" in stale.text
    assert seeded.record(BRAND_A, draft_id).draft.current_version == 2  # type: ignore[union-attr]


def test_approve_block_needs_override_reason(
    editor: tuple[TestClient, str], seeded: Seeded
) -> None:
    client, token = editor
    draft_id = seeded.drafts["spam"]
    url = f"/review/drafts/{draft_id}/approve"
    refused = client.post(url, data={"csrf_token": token, "version": "1"})
    assert refused.status_code == 422 and "必须写下放行原因" in refused.text
    assert seeded.record(BRAND_A, draft_id).status == "pending_review"
    ok = client.post(
        url, data={"csrf_token": token, "version": "1", "override_reason": "客户主动问过活动"}
    )
    assert ok.status_code == 200 and "已通过" in ok.text
    record = seeded.record(BRAND_A, draft_id)
    assert record.status == "approved"
    assert record.reviews[-1].override_reason == "客户主动问过活动"
    assert record.reviews[-1].reviewer == seeded.keys["editor_a"].split("_")[1]
    again = client.post(url, data={"csrf_token": token, "version": "1"})
    assert again.status_code == 409


def test_approve_clean_draft_without_reason(editor: tuple[TestClient, str], seeded: Seeded) -> None:
    client, token = editor
    draft_id = seeded.drafts["clean"]
    ok = client.post(f"/review/drafts/{draft_id}/approve", data={"csrf_token": token})
    assert ok.status_code == 200
    assert seeded.record(BRAND_A, draft_id).status == "approved"


def test_reject_needs_a_reason(editor: tuple[TestClient, str], seeded: Seeded) -> None:
    client, token = editor
    draft_id = seeded.drafts["clean"]
    url = f"/review/drafts/{draft_id}/reject"
    assert client.post(url, data={"csrf_token": token, "reason": "  "}).status_code == 422
    done = client.post(url, data={"csrf_token": token, "reason": "语气太像广告"})
    assert done.status_code == 200 and "已退回" in done.text
    record = seeded.record(BRAND_A, draft_id)
    assert record.status == "rejected" and record.reviews[-1].reason == "语气太像广告"


def test_regenerate_makes_a_new_draft_for_the_same_customer(
    editor: tuple[TestClient, str], seeded: Seeded
) -> None:
    client, token = editor
    pipeline = client.app.state.drafter  # type: ignore[attr-defined]
    response = client.post(
        f"/review/drafts/{seeded.drafts['spam']}/regenerate",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    new_id = response.headers["location"].split("/")[-1].split("?")[0]
    assert new_id not in seeded.drafts.values()
    assert pipeline.requests[0].brand == BRAND_A
    assert pipeline.requests[0].customer_id == "qs-001"
    assert pipeline.requests[0].kind == "care_message"
    assert REGENERATED_TEXT in client.get(f"/review/drafts/{new_id}").text
    assert seeded.record(BRAND_A, seeded.drafts["spam"]).status == "pending_review"  # kept


def test_static_files_are_served_and_paths_cannot_escape(client: TestClient) -> None:
    assert client.get("/review/static/vendor/htmx.min.js").status_code == 200
    assert "--accent" in client.get("/review/static/review.css").text
    assert client.get("/review/static/../web_auth.py").status_code == 404
    assert client.get("/review/static/%2e%2e/web_auth.py").status_code == 404


def test_draft_page_shows_customer_and_passages_from_the_ingested_pack(
    editor: tuple[TestClient, str], seeded: Seeded, settings: Settings
) -> None:
    client, _ = editor
    html = client.get(f"/review/drafts/{seeded.drafts['spam']}").text
    assert "林小雨" in html  # the customer's name from the brand's customers
    assert "敏感肌" in html  # one of their tags
    assert "1996-04-12" in html  # birthday
    passages = re.findall(r'<div class="passage small">(.*?)</div>', html, flags=re.S)
    assert len(passages) == 2  # the text each knowledge source points at
    assert "皮肤会自己修复" in passages[1]  # from values.md


def test_a_rejected_draft_can_be_fixed_and_an_approved_one_is_final(
    editor: tuple[TestClient, str], seeded: Seeded
) -> None:
    client, token = editor
    draft_id = seeded.drafts["clean"]
    client.post(f"/review/drafts/{draft_id}/reject", data={"csrf_token": token, "reason": "太长"})
    page = client.get(f"/review/drafts/{draft_id}").text
    assert 'data-testid="editor"' in page and 'data-testid="approve"' not in page
    client.post(
        f"/review/drafts/{draft_id}/save",
        data={
            "csrf_token": token,
            "text": "小雨你好，精华用得还顺手吗？——阿青",
            "base_version": "1",
        },
    )
    assert seeded.record(BRAND_A, draft_id).status == "pending_review"  # back in the queue
    client.post(f"/review/drafts/{draft_id}/approve", data={"csrf_token": token, "version": "2"})
    assert seeded.record(BRAND_A, draft_id).status == "approved"
    final = client.get(f"/review/drafts/{draft_id}").text
    assert 'data-testid="editor"' not in final and 'data-testid="approve"' not in final
    late = client.post(
        f"/review/drafts/{draft_id}/save",
        data={"csrf_token": token, "text": "改一下", "base_version": "2"},
    )
    assert late.status_code == 422 and "已经审核过了" in late.text


def test_regenerate_through_the_real_pipeline_with_the_fake_model(settings: Settings) -> None:
    app = build_app(settings, real_pipeline=True)  # settings.llm == "fake": no real model
    seeded = seed(app.state.sessions, rule_checker)
    client = TestClient(app)
    token = sign_in(client, seeded.keys["editor_a"])
    response = client.post(
        f"/review/drafts/{seeded.drafts['spam']}/regenerate",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    new_id = response.headers["location"].split("/")[-1].split("?")[0]
    record = seeded.record(BRAND_A, new_id)
    assert record.draft is not None and record.draft.customer_id == "qs-001"
    assert record.request.requested_by == seeded.keys["editor_a"].split("_")[1]
    page = client.get(f"/review/drafts/{new_id}?done=regenerated")
    assert page.status_code == 200 and "已开始重新生成" in page.text and "林小雨" in page.text


def test_regenerate_failure_is_explained_and_the_draft_kept(
    editor: tuple[TestClient, str], seeded: Seeded
) -> None:
    client, token = editor
    client.app.state.drafter.down = True  # type: ignore[attr-defined]
    draft_id = seeded.drafts["spam"]
    response = client.post(f"/review/drafts/{draft_id}/regenerate", data={"csrf_token": token})
    # The new draft's page says why its job failed; the old draft is untouched.
    assert response.status_code == 200
    assert "这一稿没能生成" in response.text and "the model timed out" in response.text
    assert seeded.record(BRAND_A, draft_id).status == "pending_review"


def test_approving_a_stale_version_is_refused_kindly(
    editor: tuple[TestClient, str], seeded: Seeded
) -> None:
    client, token = editor
    draft_id = seeded.drafts["clean"]
    client.post(
        f"/review/drafts/{draft_id}/save",
        data={"csrf_token": token, "text": CLEAN_TEXT + "祝好", "base_version": "1"},
    )
    # an editor who opened version 1 in another tab approves it
    stale = client.post(
        f"/review/drafts/{draft_id}/approve", data={"csrf_token": token, "version": "1"}
    )
    assert stale.status_code == 409
    assert "第 2 版" in stale.text
    assert seeded.record(BRAND_A, draft_id).status == "pending_review"


def test_english_brand_with_its_own_stage_names(
    app: FastAPI, seeded: Seeded, settings: Settings
) -> None:
    from knowledge.loader import load_pack

    stride = load_pack(Path(__file__).resolve().parents[2] / "examples" / "stride")
    app.state.service.knowledge.add(stride)  # the brand's pack, as an ingest would make it
    with seeded.sessions() as session, session.begin():
        key = keys_repo.create_key(session, "stride", "editor", name="sam").secret
    text = f"Hi Emma, your new shoes are two weeks in. Last chance: {SPAM_EN}!!"
    draft_id = store_draft(seeded.sessions, make_draft("stride", text, customer="st-001"))
    client = TestClient(app)
    sign_in(client, key)
    queue = client.get("/review?lang=en").text
    assert "Finding a rhythm" in queue  # the brand's name for getting_to_know
    assert draft_id in queue and seeded.drafts["spam"] not in queue
    page = client.get(f"/review/drafts/{draft_id}").text  # English kept by the cookie
    mark = re.search(r'<mark class="finding error" data-rule="spam.urgency"[^>]*>(.*?)<sup>', page)
    assert mark and mark.group(1) == SPAM_EN
    assert "Override reason" in page
