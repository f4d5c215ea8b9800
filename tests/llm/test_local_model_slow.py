"""The real local model (Qwen2.5-Coder GGUF from `zhenxin model setup`), in process and behind
llama-cpp-python's OpenAI-compatible server. Run with ``pytest --slow -m slow``."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from pydantic import BaseModel, Field

from core.settings import Settings
from llm import LocalLLM, OpenAICompatLLM, make_llm
from llm.base import ChatMessage
from llm.model_files import model_path

pytestmark = pytest.mark.slow

HAN = re.compile(r"[\u4e00-\u9fff]")


class CareReply(BaseModel):
    text: str = Field(max_length=200)
    tone: str = Field(pattern="^(warm|plain)$")
    mentions_product: bool


SCHEMA = CareReply.model_json_schema()
MESSAGES: list[ChatMessage] = [
    {
        "role": "system",
        "content": "你是一家护肤品牌的客服，语气真诚、克制，不推销，不用感叹号。"
        "Reply in Chinese. Answer only with JSON.",
    },
    {
        "role": "user",
        "content": "顾客小林三天前买了氨基酸洗面奶。写一句关心她使用感受的话，"
        '以 JSON 回答：{"text": ..., "tone": "warm" 或 "plain", "mentions_product": true/false}',
    },
]


@pytest.fixture(scope="module")
def real_settings() -> Settings:
    """The default data dir's model (Makefile exports ZHENXIN_DATA_DIR=$(CURDIR)/.zhenxin)."""
    # threads: ZHENXIN_LOCAL_THREADS (1 is much faster on a busy 2-core machine), else all CPUs
    settings = Settings(llm="local", local_n_ctx=2048)
    path = model_path(settings)
    if not path.is_file():
        message = f"local model file absent: {path} (run `zhenxin model setup`)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return settings


def test_local_model_answers_chinese_json(real_settings: Settings) -> None:
    llm = make_llm(real_settings)
    assert isinstance(llm, LocalLLM)
    started = time.perf_counter()
    first = llm.complete(MESSAGES, json_schema=SCHEMA, max_tokens=160, temperature=0.2)
    reply = CareReply.model_validate_json(first.text)
    assert HAN.search(reply.text), reply.text
    # the same prefix again: llama.cpp reuses its KV cache for the shared tokens
    tail = {"role": "user", "content": MESSAGES[1]["content"].replace("小林", "阿May")}
    second = llm.complete([MESSAGES[0], tail], json_schema=SCHEMA, max_tokens=160)  # type: ignore[list-item]
    CareReply.model_validate_json(second.text)
    assert second.cached_prompt_tokens is not None and second.cached_prompt_tokens > 20
    print(
        f"\nlocal: first {first.seconds:.2f}s ({first.prompt_tokens} prompt, "
        f"{first.completion_tokens} generated, cached {first.cached_prompt_tokens}); "
        f"second {second.seconds:.2f}s (cached {second.cached_prompt_tokens}); "
        f"total with load {time.perf_counter() - started:.2f}s"
    )


def test_a_fixed_seed_repeats_the_reply(real_settings: Settings) -> None:
    llm = LocalLLM(real_settings.model_copy(update={"local_seed": 11}))
    kwargs = {"json_schema": SCHEMA, "max_tokens": 120, "temperature": 0.9}
    first = llm.complete(MESSAGES, **kwargs)  # type: ignore[arg-type]
    other = {"role": "user", "content": "顾客阿May买了面霜。写一句关心的话，以 JSON 回答。"}
    llm.complete([MESSAGES[0], other], **kwargs)  # type: ignore[list-item, arg-type]
    again = llm.complete(MESSAGES, **kwargs)  # type: ignore[arg-type]
    assert again.text == first.text  # the call in between does not change it


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(
    real_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model_path(real_settings)),
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "2048", "--n_threads", str(real_settings.local_threads or os.cpu_count() or 1),
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                log_tail = log_path.read_text(errors="replace")[-2000:]
                pytest.fail(f"llama_cpp.server exited: {log_tail}")
            try:
                if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not come up within 180 s")
            time.sleep(0.5)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_openai_provider_against_llama_cpp_server(
    real_settings: Settings, llama_server: str
) -> None:
    settings = real_settings.model_copy(
        update={"llm": "openai:qwen2.5-coder", "llm_base_url": llama_server, "llm_timeout": 300}
    )
    llm = make_llm(settings)
    assert isinstance(llm, OpenAICompatLLM)
    out = llm.complete(MESSAGES, json_schema=SCHEMA, max_tokens=160, temperature=0.2)
    reply = CareReply.model_validate_json(out.text)
    assert HAN.search(reply.text), reply.text
    # max_tokens reaches the server (it ignores max_completion_tokens)
    essay: list[ChatMessage] = [
        {"role": "user", "content": "写一篇八百字的文章，介绍护肤的十个步骤。"}
    ]
    short = llm.complete(essay, max_tokens=8)
    assert short.completion_tokens is not None and short.completion_tokens <= 8
    print(
        f"\nserver: json {out.seconds:.2f}s ({out.completion_tokens} tokens); "
        f"capped {short.seconds:.2f}s ({short.completion_tokens} tokens)"
    )
