"""POST /v1/check: the eval suite's JSON, in Chinese and English, with brand context."""

from __future__ import annotations

from tests.api.conftest import Env


def test_check_chinese_spam_is_blocked(env: Env) -> None:
    r = env.client.post(
        "/v1/check",
        headers=env.h("qs_operator"),
        json={
            "text": "仅限今天！！！全网最低价，100%根治痘痘，赶紧转发到群里！！！",
            "channel": "wechat",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["verdict"] == "block" and 0 <= body["score"] <= 1
    assert {"rule", "severity", "start", "end", "message"} <= set(body["findings"][0])


def test_check_english_pressure(env: Env) -> None:
    r = env.client.post(
        "/v1/check",
        headers=env.h("st_operator"),
        json={
            "text": "LAST CHANCE!!! Only 3 left, 100% guaranteed best shoe ever, buy NOW!!!",
            "lang": "en",
            "channel": "email",
        },
    )
    assert r.status_code == 200
    assert r.json()["verdict"] in ("review", "block") and r.json()["findings"]


def test_check_sincere_text_passes_better_than_spam(env: Env) -> None:
    h = env.h("qs_operator")
    good = env.client.post(
        "/v1/check",
        headers=h,
        json={
            "text": "小雨你好，修护精华用到第三天了，早晚各一次、两泵就够。"
            "脸颊还泛红吗？有任何不舒服随时告诉我。",
            "channel": "wechat",
            "kind": "care_message",
            "customer_id": "qs-001",
        },
    ).json()
    spam = env.client.post(
        "/v1/check", headers=h, json={"text": "仅限今天！！！全网最低价！！！", "channel": "wechat"}
    ).json()
    assert good["verdict"] != "block" and good["score"] > spam["score"]


def test_check_validation_and_limits(env: Env) -> None:
    h = env.h("qs_operator")
    empty = env.client.post("/v1/check", headers=h, json={"text": ""})
    assert empty.status_code == 422 and empty.json()["error"]["fields"][0]["loc"] == [
        "body",
        "text",
    ]
    unknown = env.client.post("/v1/check", headers=h, json={"text": "hi", "oops": 1})
    assert unknown.status_code == 422
    big = "好" * (env.settings.max_text_chars + 1)
    too_long = env.client.post("/v1/check", headers=h, json={"text": big})
    assert too_long.status_code == 413 and too_long.json()["error"]["code"] == "too_large"
    missing = env.client.post("/v1/check", headers=h, json={"text": "hi", "customer_id": "zz"})
    assert missing.status_code == 404
