from __future__ import annotations

import hashlib

import pytest

from core.errors import ConfigError
from generator.drafts import DraftRequest
from generator.parse import parse_json_object
from generator.render import PROMPTS_DIR, render_slot_revision, render_template, templates_hash
from knowledge.pack import BrandPack
from tests.generator.conftest import AS_OF, draft_for


def test_missing_variable_is_a_clear_error(qingshui: BrandPack) -> None:
    with pytest.raises(ConfigError, match=r"missing a variable.*kind_label"):
        render_template("zh/slots.j2", brand=qingshui.brand)
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
    names = ["zh/brand.j2", "zh/slots.j2"]
    digest = hashlib.sha256()
    for name in names:
        source = (PROMPTS_DIR / name).read_text(encoding="utf-8")
        digest.update(name.encode() + b"\0" + source.encode() + b"\0")
    assert templates_hash(names) == digest.hexdigest()
    assert templates_hash(["en/brand.j2"]) != templates_hash(["zh/brand.j2"])


def test_slot_revision_message_zh_and_en() -> None:
    finding = {"message": "出现“限时”", "suggestion": "去掉时间压力"}
    zh = render_slot_revision("zh", [("tip", [type("F", (), finding)()])])
    assert "- tip：出现“限时”（去掉时间压力）" in zh and zh.endswith('{"tip": "…"}')
    en = render_slot_revision(
        "en", [("opening", [type("F", (), {"message": "urgent", "suggestion": ""})()])]
    )
    assert en.startswith("These sentences have problems") and "- opening: urgent" in en


@pytest.mark.parametrize(
    "raw",
    [
        '{"text": "您好，最近用得怎么样？"}',
        '```json\n{"text": "您好，最近用得怎么样？"}\n```',
        '```\n{"text": "您好，最近用得怎么样？"}\n```',
        '好的，这是草稿：\n{"text": "您好，最近用得怎么样？"}\n希望有帮助',
    ],
)
def test_parse_accepts_fences_and_prose(raw: str) -> None:
    assert parse_json_object(raw) == {"text": "您好，最近用得怎么样？"}


def test_parse_takes_the_first_object_in_prose() -> None:
    assert parse_json_object('Here: {"oops": 1} then {"text": "好"}') == {"oops": 1}


def test_parse_accepts_raw_line_breaks_inside_strings() -> None:
    # the local model writes real line breaks inside JSON strings (strictly invalid JSON)
    lead = "第一段写她的开始。\n第二段写她的变化。"
    raw = '{"lead": "' + lead + '"}'
    for text in (raw, "好的：" + raw):
        assert parse_json_object(text) == {"lead": lead}


@pytest.mark.parametrize("raw", ["I cannot help with that.", '{"text": ', "[1, 2]", '"text"'])
def test_a_reply_without_a_json_object_is_none(raw: str) -> None:
    assert parse_json_object(raw) is None
