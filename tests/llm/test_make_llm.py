from __future__ import annotations

import json

import pytest

import llm as providers
from core.errors import ConfigError
from core.settings import Settings
from llm import (
    ALLOW_MODEL_REQUESTS_ENV,
    FakeLLM,
    check_model_requests_allowed,
    make_llm,
    model_requests_allowed,
)


def test_all_is_complete() -> None:
    public = {
        name
        for name, value in vars(providers).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("llm")
    }
    assert public <= set(providers.__all__)
    for name in providers.__all__:
        assert getattr(providers, name) is not None
    assert sorted(providers.__all__) == sorted(set(providers.__all__))


def test_make_fake(settings: Settings) -> None:
    llm = make_llm(settings)
    assert isinstance(llm, FakeLLM)
    schema = {"type": "object", "properties": {"text": {"type": "string"}}}
    reply = llm.complete([{"role": "user", "content": "你好"}], json_schema=schema)
    assert isinstance(json.loads(reply.text)["text"], str)


@pytest.mark.parametrize("name", ["gpt", "openai:", "llama", ""])
def test_unknown_llm_is_config_error(settings: Settings, name: str) -> None:
    with pytest.raises(ConfigError):
        make_llm(settings.model_copy(update={"llm": name}))


def test_fast_tests_forbid_model_requests() -> None:
    # tests/conftest.py switches real model requests off for every non-slow test
    assert not model_requests_allowed()
    with pytest.raises(ConfigError, match=ALLOW_MODEL_REQUESTS_ENV):
        check_model_requests_allowed("local")


@pytest.mark.parametrize(("value", "allowed"), [("1", True), ("0", False), ("false", False)])
def test_switch_values(monkeypatch: pytest.MonkeyPatch, value: str, allowed: bool) -> None:
    monkeypatch.setenv(ALLOW_MODEL_REQUESTS_ENV, value)
    assert model_requests_allowed() is allowed
    monkeypatch.delenv(ALLOW_MODEL_REQUESTS_ENV)
    assert model_requests_allowed()
