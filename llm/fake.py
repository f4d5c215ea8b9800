"""A scripted chat model for tests and demos: queued replies or a reply function.

    llm = FakeLLM(replies=['{"text": "您好"}', {"text": "Hello"}])
    llm = FakeLLM(reply_fn=lambda messages, json_schema: '{"text": "..."}')

Every call is recorded in ``.calls`` (messages, json_schema, max_tokens, temperature).
Queued replies are used first, then ``reply_fn``; with neither left the call raises
:class:`FakeLLMExhaustedError` — a test bug, so deliberately not a ``ZhenxinError``.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from llm.base import ChatMessage, Completion

ReplyFn = Callable[[list[ChatMessage], dict[str, Any] | None], str]
Reply = str | dict[str, Any] | list[Any]


class FakeLLMExhaustedError(RuntimeError):
    """The fake model was called more often than the test scripted."""


@dataclass(frozen=True)
class FakeCall:
    """One recorded call to :class:`FakeLLM`."""

    messages: list[ChatMessage]
    json_schema: dict[str, Any] | None
    max_tokens: int
    temperature: float

    @property
    def system(self) -> str:
        """The system messages joined (handy in assertions)."""
        return "\n".join(m["content"] for m in self.messages if m["role"] == "system")

    @property
    def user(self) -> str:
        """The last user message ("" if none)."""
        users = [m["content"] for m in self.messages if m["role"] == "user"]
        return users[-1] if users else ""


def _as_text(reply: Reply) -> str:
    return reply if isinstance(reply, str) else json.dumps(reply, ensure_ascii=False)


class FakeLLM:
    """Implements :class:`llm.base.LLM` without any model."""

    provider = "fake"

    def __init__(
        self,
        replies: Iterable[Reply] | None = None,
        reply_fn: ReplyFn | None = None,
        model: str = "fake",
    ) -> None:
        self.model = model
        self.reply_fn = reply_fn
        self._queue: deque[str] = deque(_as_text(r) for r in (replies or ()))
        self.calls: list[FakeCall] = []

    def queue(self, *replies: Reply) -> None:
        """Append more scripted replies."""
        self._queue.extend(_as_text(r) for r in replies)

    @property
    def pending(self) -> int:
        """How many queued replies are still unused."""
        return len(self._queue)

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.4,
    ) -> Completion:
        started = time.perf_counter()
        copied: list[ChatMessage] = [{"role": m["role"], "content": m["content"]} for m in messages]
        self.calls.append(FakeCall(copied, json_schema, max_tokens, temperature))
        if self._queue:
            text = self._queue.popleft()
        elif self.reply_fn is not None:
            text = _as_text(self.reply_fn(copied, json_schema))
        else:
            raise FakeLLMExhaustedError(
                f"FakeLLM got call #{len(self.calls)} but has no queued reply and no reply_fn"
            )
        return Completion(
            text=text,
            model=self.model,
            seconds=time.perf_counter() - started,
            prompt_tokens=sum(len(m["content"]) for m in copied),
            completion_tokens=len(text),
        )


def placeholder_reply(messages: list[ChatMessage], json_schema: dict[str, Any] | None) -> str:
    """A deterministic reply for ``llm="fake"`` without a script.

    Without a schema: a short placeholder in the prompt's language (Chinese when the last
    message is mostly Chinese, else English). With a schema: the smallest JSON value
    that validates against it (strings get the placeholder, arrays one item, enums the first
    value), so code that parses the reply keeps working in demos and fast tests.
    """
    last = messages[-1]["content"] if messages else ""
    chinese = sum(1 for ch in last if "\u4e00" <= ch <= "\u9fff") * 5 > len(last)
    text = "（示例草稿）谢谢你的信任。" if chinese else "(sample draft) Thank you for your trust."
    if json_schema is None:
        return text
    return json.dumps(_example(json_schema, json_schema, text), ensure_ascii=False)


def _example(schema: dict[str, Any], root: dict[str, Any], text: str, depth: int = 0) -> Any:
    if depth > 12:
        return None
    if "$ref" in schema:
        ref = schema["$ref"]
        target: Any = root
        for part in ref.removeprefix("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return _example(target, root, text, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return _example(schema[key][0], root, text, depth + 1)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props: dict[str, Any] = schema.get("properties", {})
        return {name: _example(sub, root, text, depth + 1) for name, sub in props.items()}
    if kind == "array":
        items = schema.get("items", {"type": "string"})
        count = max(1, int(schema.get("minItems", 1)))
        return [_example(items, root, text, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    max_len = schema.get("maxLength")
    return text[:max_len] if isinstance(max_len, int) else text
