from __future__ import annotations

import hashlib

import pytest

from core.errors import ConfigError
from generator.drafts import DraftRequest
from generator.parse import ParseFailure, parse_reply
from generator.render import PROMPTS_DIR, render_revision, render_template, templates_hash
from generator.schemas import CareReply, EmailReply, PostReply, json_schema
from knowledge.pack import BrandPack
from tests.generator.conftest import AS_OF, draft_for


def test_missing_variable_is_a_clear_error(qingshui: BrandPack) -> None:
    with pytest.raises(ConfigError, match=r"missing a variable.*plan"):
        render_template("zh/care_message.j2", brand=qingshui.brand)
    with pytest.raises(ConfigError, match="no prompt template"):
        render_template("zh/nope.j2")


def test_brand_prefix_is_identical_across_customers(make_pipeline) -> None:
    pipeline = make_pipeline(
        {"opening": "精华用了半个月", "tip": "看看两颊", "question": "最近皮肤怎么样"},
        {"wish": "生日快乐"},
    )
    draft_for(
        pipeline,
        DraftRequest(brand="qingshui", customer_id="qs-006", kind="care_message"),
        as_of=AS_OF,
    )
    draft_for(
        pipeline,
        DraftRequest(brand="qingshui", customer_id="qs-013", kind="care_message"),
        as_of=AS_OF,
    )
    first, second = pipeline.llm.calls
    assert first.messages[0]["role"] == "system" and first.system == second.system
    assert "青水肌研" in first.system and "慢、讲道理" in first.system
    # the kind's instructions come before anything about the customer
    assert first.user.split("\n")[0] == second.user.split("\n")[0]
    assert "许晴" in first.user and "许晴" not in first.system
    assert "何静" in second.user and first.user != second.user


def test_template_hash_covers_the_sources() -> None:
    names = ["zh/brand.j2", "zh/care_message.j2"]
    digest = hashlib.sha256()
    for name in names:
        source = (PROMPTS_DIR / name).read_text(encoding="utf-8")
        digest.update(name.encode() + b"\0" + source.encode() + b"\0")
    assert templates_hash(names) == digest.hexdigest()
    assert templates_hash(["en/brand.j2"]) != templates_hash(["zh/brand.j2"])


def test_revision_message_zh_and_en() -> None:
    finding = {"message": "出现“限时”", "suggestion": "去掉时间压力"}
    zh = render_revision("zh", [type("F", (), finding)()])
    assert "出现“限时”" in zh and "建议：去掉时间压力" in zh and "JSON" in zh
    en = render_revision("en", [type("F", (), {"message": "urgent", "suggestion": ""})()])
    assert en.startswith("This draft has problems") and "urgent" in en


@pytest.mark.parametrize(
    "raw",
    [
        '{"text": "您好，最近用得怎么样？"}',
        '```json\n{"text": "您好，最近用得怎么样？"}\n```',
        '```\n{"text": "您好，最近用得怎么样？"}\n```',
        '好的，这是草稿：\n{"text": "您好，最近用得怎么样？"}\n希望有帮助',
        'Here: {"oops": 1} then {"text": "您好，最近用得怎么样？"}',
    ],
)
def test_parse_accepts_fences_and_prose(raw: str) -> None:
    parsed = parse_reply(raw, CareReply)
    assert isinstance(parsed, CareReply) and parsed.text == "您好，最近用得怎么样？"


def test_parse_accepts_raw_line_breaks_inside_strings() -> None:
    # the local model writes real line breaks inside JSON strings (strictly invalid JSON)
    body = "第一段写她的开始。\n第二段写她的变化。"
    raw = '{"title": "晓林的故事", "body": "' + body + '"}'
    for text in (raw, "好的：" + raw):
        parsed = parse_reply(text, PostReply)
        assert isinstance(parsed, PostReply) and parsed.body == body


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("I cannot help with that.", "no JSON object"),
        ('{"text": ', "no JSON object"),
        ("[1, 2]", "not an object"),
        ('{"subject": "Hi"}', "does not fit"),
    ],
)
def test_parse_failures_say_why(raw: str, reason: str) -> None:
    parsed = parse_reply(raw, EmailReply)
    assert isinstance(parsed, ParseFailure) and reason in parsed.reason and parsed.raw == raw


def test_schemas_require_every_field() -> None:
    schema = json_schema(EmailReply)
    assert schema["required"] == ["subject", "body", "belief_used", "sign_off"]
    assert "title" not in schema
