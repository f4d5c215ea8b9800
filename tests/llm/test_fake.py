from __future__ import annotations

import json

import pytest

from llm import FakeLLM, FakeLLMExhaustedError, placeholder_reply
from llm.base import LLM, ChatMessage

MESSAGES: list[ChatMessage] = [
    {"role": "system", "content": "你是品牌的客服。You are the brand's care team."},
    {"role": "user", "content": "写一条第三天的关怀消息。Write a day-3 care message."},
]


def test_fake_satisfies_protocol() -> None:
    llm = FakeLLM(replies=["x"])
    assert isinstance(llm, LLM)
    assert llm.provider == "fake"
    assert llm.model == "fake"
    assert FakeLLM(model="scripted").model == "scripted"


def test_queued_replies_in_order_then_error() -> None:
    llm = FakeLLM(replies=["您好", {"text": "Hello"}])
    assert llm.complete(MESSAGES).text == "您好"
    second = llm.complete(MESSAGES, json_schema={"type": "object"})
    assert json.loads(second.text) == {"text": "Hello"}
    assert llm.pending == 0
    with pytest.raises(FakeLLMExhaustedError, match="call #3"):
        llm.complete(MESSAGES)


def test_records_calls() -> None:
    schema = {"type": "object", "properties": {"text": {"type": "string"}}}
    llm = FakeLLM(replies=['{"text": "好"}'])
    llm.complete(MESSAGES, json_schema=schema, max_tokens=64, temperature=0.1)
    [call] = llm.calls
    assert call.messages == MESSAGES
    assert call.messages is not MESSAGES
    assert call.json_schema == schema
    assert call.max_tokens == 64
    assert call.temperature == 0.1
    assert "客服" in call.system
    assert call.user.startswith("写一条")


def test_reply_fn_after_queue() -> None:
    seen: list[object] = []

    def reply(messages: list[ChatMessage], schema: dict[str, object] | None) -> str:
        seen.append(schema)
        return messages[-1]["content"].upper()

    llm = FakeLLM(replies=["first"], reply_fn=reply)
    assert llm.complete(MESSAGES).text == "first"
    assert llm.complete(MESSAGES, json_schema={"type": "string"}).text.endswith("MESSAGE.")
    assert seen == [{"type": "string"}]
    llm.queue("later")
    assert llm.complete(MESSAGES).text == "later"


def test_no_script_is_an_error() -> None:
    with pytest.raises(FakeLLMExhaustedError):
        FakeLLM().complete(MESSAGES)


def test_placeholder_reply_speaks_the_prompts_language() -> None:
    zh = placeholder_reply([{"role": "user", "content": "写一条关怀消息给许晴"}], None)
    en = placeholder_reply([{"role": "user", "content": "Write a care message for Emma"}], None)
    assert "谢谢" in zh and "Thank" not in zh
    assert "Thank" in en and "谢谢" not in en


def test_placeholder_reply_follows_schema() -> None:
    schema = {
        "type": "object",
        "properties": {
            "subject": {"type": "string", "maxLength": 5},
            "body": {"type": "string"},
            "tone": {"enum": ["warm", "plain"]},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "score": {"type": "integer", "minimum": 1},
            "ok": {"type": "boolean"},
            "note": {"anyOf": [{"type": "null"}, {"type": "string"}]},
            "part": {"$ref": "#/$defs/Part"},
        },
        "$defs": {"Part": {"type": "object", "properties": {"n": {"type": "number"}}}},
    }
    value = json.loads(placeholder_reply(MESSAGES, schema))
    assert len(value["subject"]) == 5
    assert value["tone"] == "warm"
    assert len(value["tags"]) == 2
    assert value["score"] == 1
    assert value["ok"] is False
    assert value["note"] is None
    assert value["part"] == {"n": 0}
