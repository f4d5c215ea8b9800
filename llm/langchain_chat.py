"""Any LangChain chat model as a provider: ``ZHENXIN_LLM=langchain:<module>:<Class>``.

The class is imported and built with the JSON keyword arguments in ``ZHENXIN_LLM_OPTIONS``,
so LangChain's integrations work without code of ours, for example::

    ZHENXIN_LLM=langchain:langchain_deepseek:ChatDeepSeek
    ZHENXIN_LLM_OPTIONS='{"model": "deepseek-chat"}'               # key: DEEPSEEK_API_KEY
    ZHENXIN_LLM=langchain:langchain_community.chat_models.tongyi:ChatTongyi
    ZHENXIN_LLM_OPTIONS='{"model": "qwen-plus"}'                   # key: DASHSCOPE_API_KEY
    ZHENXIN_LLM=langchain:langchain_ollama:ChatOllama
    ZHENXIN_LLM_OPTIONS='{"model": "qwen2.5:1.5b"}'                # a local Ollama server

Structured replies: not every chat model has a JSON mode, so a ``json_schema`` request adds
one instruction with the schema to the system message, and the reply is cut down to the
first JSON object in it (code fences and chatter around it removed). A reply without one is
returned as it came, for the pipeline's parser to report.

``max_tokens`` and ``temperature`` are honoured where the model has a field for them
(``max_tokens``, ``max_output_tokens``, ``num_predict``, ``max_new_tokens``; ``temperature``):
the call uses a copy of the model with those fields set. Models without such fields keep
their own settings.

The :mod:`llm.guard` switch: an arbitrary class may call any service, so every request is
refused while ``ZHENXIN_ALLOW_MODEL_REQUESTS=0`` — except for LangChain's own fake chat
models (``langchain_core.language_models.fake_chat_models``), which answer from a list in
memory and are no more a real request than our ``FakeLLM``. Tests use them through the same
``make_llm`` path as a real integration.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from core.errors import ConfigError, ProviderError, ZhenxinError
from core.settings import Settings
from llm.base import ChatMessage, Completion
from llm.guard import check_model_requests_allowed

FAKE_MODELS_MODULE = "langchain_core.language_models.fake_chat_models"
MAX_TOKENS_FIELDS = ("max_tokens", "max_output_tokens", "num_predict", "max_new_tokens")

_MESSAGE_TYPES: dict[str, type[BaseMessage]] = {
    "system": SystemMessage,
    "user": HumanMessage,
    "assistant": AIMessage,
}

JSON_INSTRUCTION = (
    "Reply with one JSON object only, no text before or after it, that follows this JSON "
    "schema (只输出一个符合下面 JSON Schema 的 JSON 对象，前后不要有其他文字):\n{schema}"
)


def is_fake_chat_model(chat: BaseChatModel) -> bool:
    """True for LangChain's in-memory fake chat models (not for subclasses defined elsewhere)."""
    return type(chat).__module__ == FAKE_MODELS_MODULE


def parse_options(text: str) -> dict[str, Any]:
    """``ZHENXIN_LLM_OPTIONS``: a JSON object of keyword arguments ("" means none)."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"ZHENXIN_LLM_OPTIONS is not valid JSON: {exc.msg} at character {exc.pos}",
            hint='write a JSON object, e.g. {"model": "deepseek-chat", "timeout": 60}',
        ) from None
    if not isinstance(value, dict):
        raise ConfigError(
            "ZHENXIN_LLM_OPTIONS must be a JSON object of keyword arguments",
            hint='e.g. {"model": "qwen-plus"}',
        )
    return value


def load_chat_model(spec: str, options: dict[str, Any]) -> BaseChatModel:
    """Import ``module:Class`` and build it with ``options``; every failure a ConfigError."""
    module_name, sep, class_name = spec.strip().rpartition(":")
    if not sep or not module_name or not class_name:
        raise ConfigError(
            f"llm 'langchain:{spec}' needs a module and a class",
            hint="e.g. ZHENXIN_LLM=langchain:langchain_ollama:ChatOllama",
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        package = module_name.split(".")[0].replace("_", "-")
        raise ConfigError(
            f"cannot import {module_name!r}: {exc}",
            hint=f"install the integration (pip install {package}) in zhenxin's environment",
        ) from None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, BaseChatModel)):
        raise ConfigError(
            f"{module_name}:{class_name} is not a LangChain chat model",
            hint="name a BaseChatModel class, e.g. langchain_deepseek:ChatDeepSeek",
        )
    try:
        return cls(**options)
    except Exception as exc:  # pydantic validation, a missing API key, ...
        raise ConfigError(
            f"cannot build {class_name} from ZHENXIN_LLM_OPTIONS: {exc}".splitlines()[0][:300],
            hint="check the keyword arguments and the integration's API key variable",
        ) from None


def _model_name(chat: BaseChatModel) -> str:
    for name in ("model_name", "model", "model_id"):
        value = getattr(chat, name, None)
        if isinstance(value, str) and value:
            return value
    return type(chat).__name__


def extract_json(text: str) -> str | None:
    """The first JSON object in ``text`` (fences and chatter around it dropped), re-encoded."""
    decoder = json.JSONDecoder(strict=False)
    i = text.find("{")
    while i != -1:
        try:
            value, _ = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            i = text.find("{", i + 1)
            continue
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False)
        i = text.find("{", i + 1)
    return None


class LangChainChatLLM:
    """Implements :class:`llm.base.LLM` over any LangChain ``BaseChatModel``."""

    provider = "langchain"

    def __init__(self, chat: BaseChatModel, *, model: str | None = None) -> None:
        self.chat = chat
        self.model = model or _model_name(chat)
        self.fake = is_fake_chat_model(chat)

    @classmethod
    def from_settings(cls, settings: Settings, spec: str) -> LangChainChatLLM:
        return cls(load_chat_model(spec, parse_options(settings.llm_options)))

    def _configured(self, max_tokens: int, temperature: float) -> BaseChatModel:
        fields = type(self.chat).model_fields
        update: dict[str, Any] = {}
        if "temperature" in fields:
            update["temperature"] = temperature
        for name in MAX_TOKENS_FIELDS:
            if name in fields:
                update[name] = max_tokens
                break
        return self.chat.model_copy(update=update) if update else self.chat

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.4,
    ) -> Completion:
        if not self.fake:
            check_model_requests_allowed(self.provider)
        chat_messages: list[dict[str, str]] = [
            {"role": m["role"], "content": m["content"]} for m in messages
        ]
        if json_schema is not None:
            instruction = JSON_INSTRUCTION.format(
                schema=json.dumps(json_schema, ensure_ascii=False)
            )
            system = [m for m in chat_messages if m["role"] == "system"]
            if system:
                system[0]["content"] = f"{system[0]['content']}\n\n{instruction}"
            else:
                chat_messages.insert(0, {"role": "system", "content": instruction})
        lc_messages = [_MESSAGE_TYPES[m["role"]](content=m["content"]) for m in chat_messages]
        chat = self._configured(max_tokens, temperature)
        started = time.perf_counter()
        try:
            reply = chat.invoke(lc_messages)
        except ZhenxinError:
            raise
        except Exception as exc:  # every integration has its own errors: one ProviderError
            raise ProviderError(f"{self.model} failed: {type(exc).__name__}: {exc}") from exc
        seconds = time.perf_counter() - started
        text = reply.content if isinstance(reply.content, str) else reply.text
        if json_schema is not None:
            text = extract_json(text) or text
        usage = reply.usage_metadata if isinstance(reply, AIMessage) else None
        return Completion(
            text=text,
            model=self.model,
            seconds=seconds,
            prompt_tokens=usage.get("input_tokens") if usage else None,
            completion_tokens=usage.get("output_tokens") if usage else None,
        )
