from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from core.errors import ConfigError, ProviderError, RateLimitedError
from core.settings import Settings
from llm import LLM, OpenAICompatLLM, make_llm
from llm.openai_compat import PLACEHOLDER_API_KEY, response_format

SCHEMA = {
    "title": "CareMessage",
    "type": "object",
    "properties": {"text": {"type": "string"}},
    "required": ["text"],
}
MESSAGES: list[Any] = [
    {"role": "system", "content": "你是品牌的客服。"},
    {"role": "user", "content": "写一句问候。Write a greeting."},
    {"role": "assistant", "content": "好的"},
    {"role": "user", "content": "再短一点。Shorter."},
]

Handler = Callable[[httpx.Request], httpx.Response]


def completion(content: str, *, cached: int | None = None) -> dict[str, Any]:
    usage: dict[str, Any] = {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49}
    if cached is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": cached}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "qwen-local",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": usage,
    }


class FakeServer:
    """An OpenAI chat endpoint in process: scripted responses, recorded requests."""

    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


def ok(content: str = '{"text": "您好"}', **kw: Any) -> httpx.Response:
    return httpx.Response(200, json=completion(content, **kw))


def error(status: int) -> httpx.Response:
    body = {"error": {"message": f"status {status}", "type": "server_error"}}
    return httpx.Response(status, json=body, headers={"retry-after-ms": "1"})


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch, allow_model_requests: None) -> None:
    """Every request goes to the in-process server; any real socket use is a failure."""

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def make(settings: Settings, server: FakeServer, **update: Any) -> OpenAICompatLLM:
    values = {"llm_base_url": "http://llama.local/v1", "llm_max_retries": 2, **update}
    return OpenAICompatLLM(
        settings.model_copy(update=values),
        model="qwen-local",
        http_client=httpx.Client(transport=httpx.MockTransport(server)),
    )


def test_make_llm_builds_openai_provider(settings: Settings) -> None:
    llm = make_llm(settings.model_copy(update={"llm": "openai:qwen", "llm_base_url": "http://x"}))
    assert isinstance(llm, OpenAICompatLLM) and isinstance(llm, LLM)
    assert llm.model == "qwen" and llm.provider == "openai"


def test_local_server_request_body(settings: Settings) -> None:
    server = FakeServer(ok())
    llm = make(settings, server)
    out = llm.complete(MESSAGES, json_schema=SCHEMA, max_tokens=77, temperature=0.3)
    assert json.loads(out.text) == {"text": "您好"}
    assert (out.model, out.prompt_tokens, out.completion_tokens) == ("qwen-local", 42, 7)
    [request] = server.requests
    assert request.url == "http://llama.local/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {PLACEHOLDER_API_KEY}"
    body = server.bodies[0]
    assert body["model"] == "qwen-local"
    assert body["max_tokens"] == 77  # what llama.cpp's server reads
    assert body["max_completion_tokens"] == 77  # what OpenAI reads
    assert body["temperature"] == 0.3
    assert body["response_format"] == {"type": "json_object", "schema": SCHEMA}
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "user"]
    assert body["messages"][0]["content"] == "你是品牌的客服。"
    assert not body.get("stream")


def test_plain_text_without_schema(settings: Settings) -> None:
    server = FakeServer(ok("您好，Hello"))
    out = make(settings, server).complete(MESSAGES)
    assert out.text == "您好，Hello"
    assert "response_format" not in server.bodies[0]


def test_openai_api_uses_structured_outputs_and_one_limit(settings: Settings) -> None:
    server = FakeServer(ok(cached=30))
    llm = make(settings, server, llm_base_url=None, llm_api_key=SecretStr("sk-test"))
    out = llm.complete(MESSAGES, json_schema=SCHEMA, max_tokens=50)
    assert out.cached_prompt_tokens == 30
    request = server.requests[0]
    assert request.url == "https://api.openai.com/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test"
    body = server.bodies[0]
    assert body["max_completion_tokens"] == 50
    assert "max_tokens" not in body  # api.openai.com rejects both at once
    assert body["response_format"] == response_format(SCHEMA, "json_schema")
    assert body["response_format"]["json_schema"]["name"] == "CareMessage"


def test_env_key_is_used(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    server = FakeServer(ok())
    make(settings, server).complete(MESSAGES)
    assert server.requests[0].headers["authorization"] == "Bearer sk-env"


def test_openai_api_without_key_is_config_error(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="key"):
        OpenAICompatLLM(settings, model="gpt-4o-mini")


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retries_then_succeeds(settings: Settings, status: int) -> None:
    server = FakeServer(error(status), error(status), ok())
    out = make(settings, server).complete(MESSAGES, json_schema=SCHEMA)
    assert json.loads(out.text)["text"] == "您好"
    assert len(server.requests) == 3


def test_gives_up_after_max_retries(settings: Settings) -> None:
    server = FakeServer(*(error(500) for _ in range(5)))
    with pytest.raises(ProviderError, match="HTTP 500"):
        make(settings, server, llm_max_retries=1).complete(MESSAGES)
    assert len(server.requests) == 2


def test_rate_limit_is_a_typed_error_with_retry_after(settings: Settings) -> None:
    limited = httpx.Response(
        429, json={"error": {"message": "slow down"}}, headers={"Retry-After": "7"}
    )
    server = FakeServer(limited)
    with pytest.raises(RateLimitedError) as caught:  # no SDK retry: it would wait the 7 s
        make(settings, server, llm_max_retries=0).complete(MESSAGES)
    assert caught.value.retry_after == 7.0 and caught.value.http_status == 429


def test_client_errors_are_not_retried(settings: Settings) -> None:
    server = FakeServer(error(400), ok())
    with pytest.raises(ProviderError, match="HTTP 400"):
        make(settings, server).complete(MESSAGES)
    assert len(server.requests) == 1


def test_timeout_is_retried_then_provider_error(settings: Settings) -> None:
    server = FakeServer(httpx.ReadTimeout("slow"), httpx.ReadTimeout("slow"))
    with pytest.raises(ProviderError, match="timed out"):
        make(settings, server, llm_max_retries=1).complete(MESSAGES)
    assert len(server.requests) == 2


def test_refuses_when_model_requests_are_off(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHENXIN_ALLOW_MODEL_REQUESTS", "0")
    server = FakeServer(ok())
    with pytest.raises(ConfigError, match="disabled"):
        make(settings, server).complete(MESSAGES)
    assert server.requests == []


def test_json_mode_setting_overrides_auto(settings: Settings) -> None:
    server = FakeServer(ok())
    llm = make(settings, server, llm_json_mode="json_schema")  # e.g. vLLM, Ollama
    llm.complete(MESSAGES, json_schema=SCHEMA)
    body = server.bodies[0]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == SCHEMA
    assert body["max_tokens"] == 512  # still a local-style server: both limits are sent


def test_html_body_is_provider_error(settings: Settings) -> None:
    page = httpx.Response(
        200, text="<html>proxy login</html>", headers={"content-type": "text/html"}
    )
    with pytest.raises(ProviderError):
        make(settings, FakeServer(page)).complete(MESSAGES)


def test_connection_refused_is_provider_error(settings: Settings) -> None:
    server = FakeServer(httpx.ConnectError("refused"), httpx.ConnectError("refused"))
    with pytest.raises(ProviderError, match="qwen-local"):
        make(settings, server, llm_max_retries=1).complete(MESSAGES)
