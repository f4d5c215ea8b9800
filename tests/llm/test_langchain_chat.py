"""``ZHENXIN_LLM=langchain:<module>:<Class>``: any LangChain chat model as a provider, tested
with LangChain's own fake chat models (no model, no network). Chinese first, English second."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult
from pydantic import Field

from cli.main import run
from core.errors import ConfigError, ProviderError
from core.settings import Settings
from llm import LangChainChatLLM, make_llm
from llm.langchain_chat import extract_json

FAKE = "langchain:langchain_core.language_models.fake_chat_models:FakeListChatModel"
SCHEMA = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


class Recorder(BaseCallbackHandler):
    """Records the messages each chat call was given."""

    def __init__(self) -> None:
        self.calls: list[list[BaseMessage]] = []

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kwargs: Any
    ) -> None:
        self.calls.extend(messages)


class TunableChat(GenericFakeChatModel):
    """A chat model of our own with temperature and max_tokens fields (like ChatOpenAI's).
    Not one of LangChain's fakes by module, so the request switch applies to it."""

    temperature: float = 0.7
    max_tokens: int | None = None
    # model_copy is shallow: the copy made for one call appends to the same list.
    seen: list[tuple[float, int | None]] = Field(default_factory=list)

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        self.seen.append((self.temperature, self.max_tokens))
        return super()._generate(messages, *args, **kwargs)


class BrokenChat(GenericFakeChatModel):
    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        raise TimeoutError("the service did not answer")


def _settings(settings: Settings, options: object) -> Settings:
    text = options if isinstance(options, str) else json.dumps(options, ensure_ascii=False)
    return settings.model_copy(update={"llm": FAKE, "llm_options": text})


def test_zh_fake_chat_model_through_make_llm_with_json(settings: Settings) -> None:
    reply = '好的，这是草稿：\n```json\n{"text": "小林，精华用到第三天了，皮肤感觉怎么样？"}\n```'
    llm = make_llm(_settings(settings, {"responses": [reply]}))
    assert isinstance(llm, LangChainChatLLM)
    assert (llm.provider, llm.model, llm.fake) == ("langchain", "FakeListChatModel", True)
    # The switch is 0 in fast tests: LangChain's fakes are not real requests, so they run.
    out = llm.complete([{"role": "user", "content": "写一条关怀消息"}], json_schema=SCHEMA)
    assert json.loads(out.text) == {"text": "小林，精华用到第三天了，皮肤感觉怎么样？"}


def test_zh_json_schema_instruction_goes_into_the_system_message() -> None:
    recorder = Recorder()
    chat = FakeListChatModel(responses=['{"text": "您好"}', "纯文本"], callbacks=[recorder])
    llm = LangChainChatLLM(chat)
    messages: list[Any] = [
        {"role": "system", "content": "你是阿青。"},
        {"role": "user", "content": "写一条消息"},
    ]
    llm.complete(messages, json_schema=SCHEMA)
    system, user = recorder.calls[0]
    assert system.type == "system" and system.content.startswith("你是阿青。")
    assert "JSON" in system.content and '"required": ["text"]' in system.content
    assert (user.type, user.content) == ("human", "写一条消息")
    # Without a schema: nothing added, the reply as it came.
    assert llm.complete(messages[1:]).text == "纯文本"
    assert [m.type for m in recorder.calls[1]] == ["human"]
    assert messages[0]["content"] == "你是阿青。", "the caller's messages are not changed"


def test_zh_a_reply_without_json_is_returned_for_the_parser() -> None:
    llm = LangChainChatLLM(FakeListChatModel(responses=["抱歉，我不能回答。"]))
    out = llm.complete([{"role": "user", "content": "写"}], json_schema=SCHEMA)
    assert out.text == "抱歉，我不能回答。"
    assert extract_json('前言 {"a": [1, 2]} 后记 {"b": 2}') == '{"a": [1, 2]}'
    assert extract_json("[1, 2] {不是 json}") is None


def test_en_request_switch_applies_to_other_chat_models(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chat = TunableChat(messages=iter([AIMessage(content='{"text": "Hi Emma"}')]))
    llm = LangChainChatLLM(chat)
    assert llm.fake is False
    with pytest.raises(ConfigError, match="real model requests are disabled"):
        llm.complete([{"role": "user", "content": "hello"}])
    assert chat.seen == []
    monkeypatch.setenv("ZHENXIN_ALLOW_MODEL_REQUESTS", "1")
    out = llm.complete(
        [{"role": "user", "content": "hello"}],
        json_schema=SCHEMA,
        max_tokens=96,
        temperature=0.1,
    )
    assert json.loads(out.text) == {"text": "Hi Emma"}
    assert chat.seen == [(0.1, 96)], "max_tokens and temperature reached the model"
    assert (chat.temperature, chat.max_tokens) == (0.7, None), "the shared model is unchanged"


def test_en_usage_and_errors_become_provider_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    reply = AIMessage(
        content="Hello",
        usage_metadata={"input_tokens": 12, "output_tokens": 3, "total_tokens": 15},
    )
    out = LangChainChatLLM(GenericFakeChatModel(messages=iter([reply]))).complete(
        [{"role": "user", "content": "hi"}]
    )
    assert (out.text, out.prompt_tokens, out.completion_tokens) == ("Hello", 12, 3)
    monkeypatch.setenv("ZHENXIN_ALLOW_MODEL_REQUESTS", "1")
    broken = LangChainChatLLM(BrokenChat(messages=iter([])), model="deepseek-chat")
    with pytest.raises(ProviderError, match="deepseek-chat failed: TimeoutError"):
        broken.complete([{"role": "user", "content": "hi"}])


@pytest.mark.parametrize(
    ("llm_name", "options", "message"),
    [
        (FAKE, "{not json", "not valid JSON"),
        (FAKE, '["a"]', "must be a JSON object"),
        (FAKE, '{"responses": 3}', "cannot build FakeListChatModel"),
        ("langchain:FakeListChatModel", "", "needs a module and a class"),
        ("langchain:json:JSONDecoder", "", "is not a LangChain chat model"),
        ("langchain:json:NoSuchClass", "", "is not a LangChain chat model"),
        ("langchain:langchain_zhenxin_absent:ChatX", "", "cannot import"),
    ],
)
def test_en_configuration_errors_are_clear(
    settings: Settings, llm_name: str, options: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        make_llm(settings.model_copy(update={"llm": llm_name, "llm_options": options}))
    assert info.value.hint


def test_en_missing_integration_names_the_package(settings: Settings) -> None:
    with pytest.raises(ConfigError) as info:
        make_llm(settings.model_copy(update={"llm": "langchain:langchain_zhenxin_absent:ChatX"}))
    assert info.value.hint == (
        "install the integration (pip install langchain-zhenxin-absent) in zhenxin's environment"
    )


def test_zh_draft_from_the_cli_through_a_langchain_model(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The whole door: env settings → make_llm → pipeline → checks, with LangChain's fake."""
    slots = {"tip": "如果有点刺痒，先减到每次4到5滴、只晚上用", "question": "脸颊还紧吗"}
    monkeypatch.setenv("ZHENXIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ZHENXIN_EMBEDDER", "hash")
    monkeypatch.setenv("ZHENXIN_LLM", FAKE)
    monkeypatch.setenv(
        "ZHENXIN_LLM_OPTIONS",
        json.dumps({"responses": [json.dumps(slots, ensure_ascii=False)]}),
    )
    assert run(["ingest", str(EXAMPLES / "qingshui")]) == 0
    capsys.readouterr()
    code = run(
        [
            "draft",
            "--brand",
            "qingshui",
            "--customer",
            "qs-001",
            "--kind",
            "care_message",
            "--as-of",
            "2026-11-23",
            "--json",
        ]
    )
    assert code == 0
    draft = json.loads(capsys.readouterr().out)
    assert draft["provider"] == "langchain" and draft["model"] == "FakeListChatModel"
    # the model's question stands; the tip is the guide's own words (the default)
    assert slots["question"] in draft["text"], draft["text"]
    assert "如果有轻微刺痒，先减到每次 4–5 滴、只晚上用，三天后再加回来" in draft["text"]
