"""Any OpenAI-compatible chat server (OpenAI, vLLM, llama.cpp's server, ...) through LangChain.

``ZHENXIN_LLM=openai:<model>``, ``ZHENXIN_LLM_BASE_URL`` (empty: api.openai.com) and
``ZHENXIN_LLM_API_KEY`` (else ``OPENAI_API_KEY``). Retries with exponential backoff on
429/5xx/timeouts/connection errors are the OpenAI SDK's (``max_retries``; it honours
``Retry-After``). Nothing here touches tiktoken (we never count tokens client side), so no
encoding file is ever downloaded.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any, Literal

import httpx
import openai
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from core.errors import ConfigError, ProviderError, RateLimitedError
from core.settings import Settings
from llm.base import ChatMessage, Completion
from llm.guard import check_model_requests_allowed

# Local OpenAI-compatible servers (llama.cpp, vLLM, Ollama) accept any key, but the OpenAI
# client refuses to start without one: send a harmless placeholder instead of failing.
PLACEHOLDER_API_KEY = "not-needed-for-local-server"

JsonMode = Literal["json_schema", "json_object"]

_MESSAGE_TYPES: dict[str, type[BaseMessage]] = {
    "system": SystemMessage,
    "user": HumanMessage,
    "assistant": AIMessage,
}


def response_format(json_schema: dict[str, Any], mode: JsonMode) -> dict[str, Any]:
    """The ``response_format`` body field asking for JSON that follows ``json_schema``.

    "json_schema" is OpenAI's structured-output form; "json_object" with a ``schema`` key
    is what llama.cpp's servers (and Anyscale-style APIs) turn into a grammar.
    """
    if mode == "json_schema":
        name = str(json_schema.get("title") or "reply").replace(" ", "_")[:64]
        return {"type": "json_schema", "json_schema": {"name": name, "schema": json_schema}}
    return {"type": "json_object", "schema": json_schema}


class OpenAICompatLLM:
    """Implements :class:`llm.base.LLM` over the OpenAI chat API."""

    provider = "openai"

    def __init__(
        self,
        settings: Settings,
        *,
        model: str,
        http_client: httpx.Client | None = None,
        json_mode: JsonMode | None = None,
    ) -> None:
        self.model = model
        self.base_url = settings.llm_base_url or None
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        key = key or os.environ.get("OPENAI_API_KEY")
        if not key:
            if self.base_url is None:
                raise ConfigError(
                    "the OpenAI API needs a key",
                    hint="set ZHENXIN_LLM_API_KEY or OPENAI_API_KEY, or ZHENXIN_LLM_BASE_URL",
                )
            key = PLACEHOLDER_API_KEY
        # "auto": api.openai.com speaks structured outputs; other servers get json_object +
        # schema, which llama.cpp understands (its Python server knows no "json_schema" type).
        configured = settings.llm_json_mode
        self.json_mode: JsonMode = json_mode or (
            configured
            if configured != "auto"
            else ("json_schema" if self.base_url is None else "json_object")
        )
        self._chat = ChatOpenAI(
            model=model,
            base_url=self.base_url,
            api_key=key,  # type: ignore[arg-type]
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
            temperature=settings.llm_temperature,
            max_tokens=settings.llm_max_tokens,  # type: ignore[call-arg]
            http_client=http_client,
            use_responses_api=False,
            stream_usage=False,
        )

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.4,
    ) -> Completion:
        check_model_requests_allowed(self.provider)
        lc_messages = [_MESSAGE_TYPES[m["role"]](content=m["content"]) for m in messages]
        kwargs: dict[str, Any] = {"max_tokens": max_tokens, "temperature": temperature}
        if self.base_url is not None:
            # langchain-openai renames max_tokens to max_completion_tokens, which llama.cpp's
            # OpenAI server ignores (it would generate until n_ctx): send the legacy field too.
            # Not to api.openai.com, which rejects requests that set both.
            kwargs["extra_body"] = {"max_tokens": max_tokens}
        if json_schema is not None:
            kwargs["response_format"] = response_format(json_schema, self.json_mode)
        started = time.perf_counter()
        try:
            reply = self._chat.invoke(lc_messages, **kwargs)
        except openai.APITimeoutError as exc:
            raise ProviderError(f"{self.model} timed out: {exc}") from exc
        except openai.RateLimitError as exc:  # 429 after the SDK's own retries
            raise RateLimitedError(
                f"{self.model} answered HTTP 429: {exc.message}",
                retry_after=_retry_after(exc.response.headers.get("retry-after")),
            ) from exc
        except openai.APIStatusError as exc:
            raise ProviderError(
                f"{self.model} answered HTTP {exc.status_code}: {exc.message}"
            ) from exc
        except openai.OpenAIError as exc:
            raise ProviderError(f"{self.model} failed: {exc}") from exc
        except ValueError as exc:  # langchain: a non-JSON body, a malformed response
            raise ProviderError(f"{self.model} sent an unusable response: {exc}") from exc
        seconds = time.perf_counter() - started
        text = reply.content if isinstance(reply.content, str) else str(reply.text)
        usage = reply.usage_metadata
        details = (usage.get("input_token_details") if usage else None) or {}
        return Completion(
            text=text,
            model=str(reply.response_metadata.get("model_name") or self.model),
            seconds=seconds,
            prompt_tokens=usage.get("input_tokens") if usage else None,
            completion_tokens=usage.get("output_tokens") if usage else None,
            cached_prompt_tokens=details.get("cache_read"),
        )


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (a number; an HTTP date counts as unknown)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
