"""The offline default: llama.cpp in process (llama-cpp-python) on a local GGUF file.

The model loads once per process (a module-level cache keyed by path, context size and
threads) and stays loaded: llama.cpp keeps the KV cache of the previous prompt, and the next
prompt re-evaluates only what follows their longest common token prefix. Callers that keep
a stable prefix (system prompt + brand knowledge first, the customer-specific part last)
therefore pay for the prefix once. ``Completion.cached_prompt_tokens`` reports how many
prompt tokens were reused. A ``Llama`` object is not thread safe: calls are serialised by a
per-model lock.
"""

from __future__ import annotations

import atexit
import os
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ConfigError, ProviderError
from core.settings import Settings
from llm.base import ChatMessage, Completion
from llm.guard import check_model_requests_allowed
from llm.model_files import model_path


@dataclass
class _Loaded:
    llama: Any
    lock: threading.Lock = field(default_factory=threading.Lock)


_MODELS: dict[tuple[str, int, int], _Loaded] = {}
_MODELS_LOCK = threading.Lock()


def _load(path: Path, n_ctx: int, n_threads: int) -> _Loaded:
    key = (str(path.resolve()), n_ctx, n_threads)
    with _MODELS_LOCK:
        loaded = _MODELS.get(key)
        if loaded is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:  # the [local] extra is optional
                raise ConfigError(
                    "the local model needs llama-cpp-python",
                    hint="pip install 'zhenxin[local]' or set ZHENXIN_LLM=openai:<model>",
                ) from exc
            try:
                llama = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, verbose=False)
            except (ValueError, RuntimeError) as exc:
                raise ProviderError(f"llama.cpp could not load {path}: {exc}") from exc
            loaded = _MODELS[key] = _Loaded(llama)
        return loaded


def unload_all() -> None:
    """Close and forget every loaded model (frees memory; tests and benchmarks use it)."""
    with _MODELS_LOCK:
        for loaded in _MODELS.values():
            close = getattr(loaded.llama, "close", None)
            if callable(close):
                with loaded.lock:
                    close()
        _MODELS.clear()


# Close models before interpreter teardown: llama.cpp's __del__ fails once its globals are gone.
atexit.register(unload_all)


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class LocalLLM:
    """Implements :class:`llm.base.LLM` with llama.cpp in this process."""

    provider = "local"

    def __init__(self, settings: Settings) -> None:
        self.path = model_path(settings)
        self.model = self.path.stem
        self.n_ctx = settings.local_n_ctx
        self.n_threads = settings.local_threads or os.cpu_count() or 1
        self.repeat_penalty = settings.local_repeat_penalty
        self.seed = settings.local_seed
        if not self.path.is_file():
            hint = (
                "check ZHENXIN_LOCAL_MODEL_PATH"
                if settings.local_model_path is not None
                else f"run: zhenxin model setup --model {settings.local_model}"
            )
            raise ConfigError(f"local model file not found: {self.path}", hint=hint)

    def _loaded(self) -> _Loaded:
        return _load(self.path, self.n_ctx, self.n_threads)

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.4,
    ) -> Completion:
        check_model_requests_allowed(self.provider)
        loaded = self._loaded()
        kwargs: dict[str, Any] = {
            "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "repeat_penalty": self.repeat_penalty,
        }
        # A seed on every call: the fixed one (ZHENXIN_LOCAL_SEED) reproduces a draft whatever
        # came before it; otherwise a fresh one, so asking again gives another draft (left to
        # itself llama-cpp-python reuses the seed it was built with, in every process).
        kwargs["seed"] = self.seed if self.seed is not None else secrets.randbelow(2**31 - 1)
        if json_schema is not None:
            # llama.cpp compiles the schema to a grammar: the output always parses
            kwargs["response_format"] = {"type": "json_object", "schema": json_schema}
        with loaded.lock:
            llama = loaded.llama
            before = list(llama.input_ids[: llama.n_tokens]) if llama.n_tokens else []
            started = time.perf_counter()
            try:
                result = llama.create_chat_completion(**kwargs)
            except (ValueError, RuntimeError) as exc:  # e.g. prompt longer than n_ctx
                hint = (
                    f"shorten the prompt or raise ZHENXIN_LOCAL_N_CTX (now {self.n_ctx})"
                    if "context window" in str(exc)
                    else None
                )
                raise ProviderError(f"local model failed: {exc}", hint=hint) from exc
            seconds = time.perf_counter() - started
            usage = result.get("usage") or {}
            prompt_tokens = usage.get("prompt_tokens")
            cached = None
            if isinstance(prompt_tokens, int) and prompt_tokens > 0:
                prompt_ids = list(llama.input_ids[:prompt_tokens])
                # llama.cpp always re-evaluates at least the last prompt token
                cached = min(_common_prefix(before, prompt_ids), prompt_tokens - 1)
        text = result["choices"][0]["message"].get("content") or ""
        return Completion(
            text=text,
            model=self.model,
            seconds=seconds,
            prompt_tokens=prompt_tokens,
            completion_tokens=usage.get("completion_tokens"),
            cached_prompt_tokens=cached,
        )
