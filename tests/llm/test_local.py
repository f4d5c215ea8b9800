from __future__ import annotations

import sys
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import llm.local as local
from core.errors import ConfigError, ProviderError
from core.settings import Settings
from llm import LLM, LocalLLM, make_llm


class FakeLlama:
    """Stands in for llama_cpp.Llama: tokens are characters, the KV state is input_ids."""

    instances: list[FakeLlama] = []  # noqa: RUF012

    def __init__(self, model_path: str, n_ctx: int, n_threads: int, verbose: bool) -> None:
        self.init = {"model_path": model_path, "n_ctx": n_ctx, "n_threads": n_threads}
        self.verbose = verbose
        self.input_ids: list[int] = []
        self.n_tokens = 0
        self.requests: list[dict[str, Any]] = []
        self.busy = threading.Lock()
        FakeLlama.instances.append(self)

    def create_chat_completion(self, **kwargs: Any) -> dict[str, Any]:
        if not self.busy.acquire(blocking=False):
            raise AssertionError("two calls at once: the provider must serialise them")
        try:
            self.requests.append(kwargs)
            time.sleep(0.002)  # long enough for unserialised threads to collide
            prompt = "".join(f"<{m['role']}>{m['content']}" for m in kwargs["messages"])
            if len(prompt) > self.init["n_ctx"]:
                raise ValueError("Requested tokens exceed context window")
            reply = '{"text": "您好"}' if "response_format" in kwargs else "Hello"
            ids = [ord(c) for c in prompt]
            self.input_ids = ids + [ord(c) for c in reply]
            self.n_tokens = len(self.input_ids)
            return {
                "choices": [{"message": {"role": "assistant", "content": reply}}],
                "usage": {"prompt_tokens": len(ids), "completion_tokens": len(reply)},
            }
        finally:
            self.busy.release()


@pytest.fixture
def fake_llama(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeLlama]]:
    module = types.ModuleType("llama_cpp")
    module.Llama = FakeLlama  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "llama_cpp", module)
    FakeLlama.instances = []
    local.unload_all()
    yield FakeLlama
    local.unload_all()


@pytest.fixture
def gguf_settings(settings: Settings, tmp_path: Path) -> Settings:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF")
    return settings.model_copy(
        update={"llm": "local", "local_model_path": path, "local_n_ctx": 2048, "local_threads": 2}
    )


def test_missing_model_file_says_run_setup(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="zhenxin model setup"):
        make_llm(settings.model_copy(update={"llm": "local"}))


def test_missing_override_path_names_the_setting(settings: Settings, tmp_path: Path) -> None:
    update = {"llm": "local", "local_model_path": tmp_path / "nope.gguf"}
    with pytest.raises(ConfigError, match="ZHENXIN_LOCAL_MODEL_PATH"):
        make_llm(settings.model_copy(update=update))


def test_refuses_when_model_requests_are_off(
    gguf_settings: Settings, fake_llama: type[FakeLlama]
) -> None:
    llm = make_llm(gguf_settings)
    with pytest.raises(ConfigError, match="ZHENXIN_ALLOW_MODEL_REQUESTS"):
        llm.complete([{"role": "user", "content": "你好"}])
    assert fake_llama.instances == []  # not even loaded


@pytest.mark.usefixtures("allow_model_requests")
def test_loads_once_and_passes_schema(gguf_settings: Settings, fake_llama: type[FakeLlama]) -> None:
    llm = make_llm(gguf_settings)
    assert isinstance(llm, LocalLLM) and isinstance(llm, LLM)
    assert llm.model == "model"
    schema = {"type": "object", "properties": {"text": {"type": "string"}}}
    out = llm.complete(
        [{"role": "user", "content": "写一句问候。Say hi."}],
        json_schema=schema,
        max_tokens=64,
        temperature=0.2,
    )
    assert out.text == '{"text": "您好"}'
    assert out.prompt_tokens and out.completion_tokens == len(out.text)
    again = make_llm(gguf_settings).complete([{"role": "user", "content": "Hi"}])
    assert again.text == "Hello"
    [llama] = fake_llama.instances  # one load for both LocalLLM objects
    assert llama.init == {
        "model_path": str(gguf_settings.local_model_path),
        "n_ctx": 2048,
        "n_threads": 2,
    }
    assert llama.verbose is False
    first, second = llama.requests
    assert first["response_format"] == {"type": "json_object", "schema": schema}
    assert first["max_tokens"] == 64 and first["temperature"] == 0.2
    assert first["repeat_penalty"] == gguf_settings.local_repeat_penalty == 1.1  # no loops
    assert "response_format" not in second
    # No ZHENXIN_LOCAL_SEED: a fresh seed on every call, so asking again gives another draft
    # (llama-cpp-python alone reuses its one seed, in every process: byte-identical drafts).
    assert isinstance(first["seed"], int) and first["seed"] != second["seed"]


@pytest.mark.usefixtures("allow_model_requests")
def test_a_fixed_seed_is_passed_on_every_call(
    gguf_settings: Settings, fake_llama: type[FakeLlama]
) -> None:
    llm = make_llm(gguf_settings.model_copy(update={"local_seed": 7}))
    llm.complete([{"role": "user", "content": "Hi"}])
    llm.complete([{"role": "user", "content": "Hi again"}])
    assert [r["seed"] for r in fake_llama.instances[-1].requests] == [7, 7]


@pytest.mark.usefixtures("allow_model_requests")
def test_reports_reused_prompt_prefix(gguf_settings: Settings, fake_llama: type[FakeLlama]) -> None:
    llm = make_llm(gguf_settings)
    system = {"role": "system", "content": "你是品牌客服。" * 20}
    first = llm.complete([system, {"role": "user", "content": "顾客小林"}])
    assert first.cached_prompt_tokens == 0
    second = llm.complete([system, {"role": "user", "content": "顾客阿May"}])
    common = len("<system>" + system["content"] + "<user>顾客")
    assert second.cached_prompt_tokens == common
    third = llm.complete([{"role": "user", "content": "different"}])
    assert third.cached_prompt_tokens == 1  # "<" only


@pytest.mark.usefixtures("allow_model_requests")
def test_calls_are_serialised(gguf_settings: Settings, fake_llama: type[FakeLlama]) -> None:
    llm = make_llm(gguf_settings)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            llm.complete([{"role": "user", "content": f"第{i}位顾客 " * 30}])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(fake_llama.instances[0].requests) == 8


@pytest.mark.usefixtures("allow_model_requests")
def test_context_overflow_is_provider_error(
    gguf_settings: Settings, fake_llama: type[FakeLlama]
) -> None:
    llm = make_llm(gguf_settings)
    with pytest.raises(ProviderError, match="context window") as info:
        llm.complete([{"role": "user", "content": "长" * 5000}])
    assert "ZHENXIN_LOCAL_N_CTX" in str(info.value)
