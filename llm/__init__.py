"""LLM providers: one :class:`LLM` protocol, implementations chosen by ``settings.llm``.

    "fake"            FakeLLM with placeholder replies (tests, demos without a model)
    "local"           llama.cpp in process on the verified Qwen2.5-Coder GGUF (offline default)
    "openai:<model>"  any OpenAI-compatible server via LangChain (``settings.llm_base_url``)
    "langchain:<module>:<Class>"
                      any LangChain chat model (DeepSeek, Tongyi, Zhipu, Qianfan, Ollama...),
                      built with the JSON keyword arguments in ``settings.llm_options``

The real providers are imported lazily, so ``import llm`` stays cheap and
works without llama-cpp-python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.errors import ConfigError
from core.settings import Settings
from llm.base import LLM, ChatMessage, Completion
from llm.fake import FakeCall, FakeLLM, FakeLLMExhaustedError, placeholder_reply
from llm.guard import (
    ALLOW_MODEL_REQUESTS_ENV,
    check_model_requests_allowed,
    model_requests_allowed,
)

if TYPE_CHECKING:
    from llm.langchain_chat import LangChainChatLLM
    from llm.local import LocalLLM
    from llm.openai_compat import OpenAICompatLLM

__all__ = [
    "ALLOW_MODEL_REQUESTS_ENV",
    "LLM",
    "ChatMessage",
    "Completion",
    "FakeCall",
    "FakeLLM",
    "FakeLLMExhaustedError",
    "LangChainChatLLM",
    "LocalLLM",
    "OpenAICompatLLM",
    "check_model_requests_allowed",
    "make_llm",
    "model_requests_allowed",
    "placeholder_reply",
]

_LAZY = {
    "LangChainChatLLM": "llm.langchain_chat",
    "LocalLLM": "llm.local",
    "OpenAICompatLLM": "llm.openai_compat",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_llm(settings: Settings) -> LLM:
    """Build the model named by ``settings.llm``; an unknown name is a :class:`ConfigError`."""
    name = settings.llm.strip()
    if name == "fake":
        return FakeLLM(reply_fn=placeholder_reply)
    if name == "local":
        from llm.local import LocalLLM

        return LocalLLM(settings)
    if name.startswith("openai:"):
        model = name.removeprefix("openai:").strip()
        if not model:
            raise ConfigError(
                "llm 'openai:' needs a model name", hint="e.g. ZHENXIN_LLM=openai:gpt-4o-mini"
            )
        from llm.openai_compat import OpenAICompatLLM

        return OpenAICompatLLM(settings, model=model)
    if name.startswith("langchain:"):
        from llm.langchain_chat import LangChainChatLLM

        return LangChainChatLLM.from_settings(settings, name.removeprefix("langchain:"))
    raise ConfigError(
        f"unknown llm {settings.llm!r}",
        hint='choose "local", "openai:<model>", "langchain:<module>:<Class>" or "fake" '
        "(ZHENXIN_LLM)",
    )
