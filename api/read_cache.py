"""Answers of the read routes kept for a moment, and served without running the route again.

Cached: ``GET /v1/drafts``, ``GET /v1/drafts/{id}``, ``GET /v1/customers/{id}``,
``GET /v1/knowledge/search`` and ``POST /v1/check`` (a pure function of its body, the brand's
pack and stored customer, and the date). Only ``200`` answers are kept.

What an answer is kept under: the caller's brand and role, the method, the path, the query
(its parameters sorted by name, repeated names in their order) and, for the check, the body's
hash and content type. So a key never sees what a key of another brand or role was answered.

When it is served: only to a key the app authenticated in the last few seconds
(``storage.keys.KeyCache``; a revoked key is refused as before), after the address's
wrong-key limit is checked (429 as before); and only while the database's
``storage.changes.ChangeWatch`` token is the one the answer was read under, the date is the
same, and the answer is younger than ``ZHENXIN_READ_CACHE_SECONDS`` (default 1, 0 turns the
cache off). Any commit in this process changes the token before its request answers, so a
write is never followed by a stale read in the same process; with SQLite a commit by any
other process (``--workers 2``, the CLI) changes it too (``PRAGMA data_version``). What can
be stale, for at most those seconds: with PostgreSQL, a write by another process; with
either, knowledge ingested by another process when no stored row changed with it.

Everything else — a key not yet authenticated, a wrong key, an error, a body over 64 KiB —
goes to the route as before. The cache is bounded (entries and bytes, least recently used
first out). ETags stay: a hit compares ``If-None-Match`` with the kept answer's ETag and
answers ``304`` without a body. Concurrent misses of one answer wait for the first instead
of all reading it.

It is a pure ASGI middleware, so a hit costs no thread, no dependency resolution, no query
validation and no JSON: a dictionary look-up and two sends.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.forwarded import client_ip
from api.responses import matches_etag
from core.errors import RateLimitedError
from storage.changes import ChangeWatch
from storage.keys import KeyInfo

MAX_ENTRIES = 2048
MAX_BYTES = 32 * 1024 * 1024
MAX_ENTRY_BYTES = 1024 * 1024
MAX_CHECK_BODY = 64 * 1024

_ONE_SEGMENT = r"[^/]+"
_GET_ROUTES = re.compile(
    rf"^/v1/(?:drafts|drafts/{_ONE_SEGMENT}|customers/{_ONE_SEGMENT}|knowledge/search)$"
)
_POST_ROUTES = frozenset({"/v1/check"})
# Headers of a kept 200 that a 304 does not carry.
_BODY_HEADERS = frozenset({b"content-length", b"content-type"})

CacheKey = tuple[Any, ...]
Token = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Answer:
    """A kept ``200``: its raw headers and body, the ETag, what it was read under."""

    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str | None
    token: Token
    expires: float


class ReadCache:
    """The kept answers of one app: at most ``max_entries`` and ``max_bytes`` of bodies, each
    for at most ``seconds``; least recently used out first. ``seconds <= 0``: off."""

    def __init__(
        self,
        seconds: float,
        *,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.clock = clock
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[CacheKey, Answer] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.seconds > 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, key: CacheKey, token: Token) -> Answer | None:
        with self._lock:
            answer = self._entries.get(key)
            if answer is None:
                self.misses += 1
                return None
            if answer.token != token or self.clock() >= answer.expires:
                self._drop(key)
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return answer

    def put(
        self,
        key: CacheKey,
        token: Token,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        etag: str | None,
    ) -> Answer | None:
        """Keep an answer read under ``token`` (taken *before* the read). None when it is
        too large to keep."""
        if len(body) > min(MAX_ENTRY_BYTES, self.max_bytes):
            return None
        answer = Answer(headers, body, etag, token, self.clock() + self.seconds)
        with self._lock:
            self._drop(key)
            self._entries[key] = answer
            self._bytes += len(body)
            while self._entries and (
                len(self._entries) > self.max_entries or self._bytes > self.max_bytes
            ):
                self._drop(next(iter(self._entries)))
        return answer

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _drop(self, key: CacheKey) -> None:
        answer = self._entries.pop(key, None)
        if answer is not None:
            self._bytes -= len(answer.body)


def _sorted_query(query: bytes) -> bytes:
    if b"&" not in query:
        return query
    # Stable: a repeated name keeps its order (the route takes the last one).
    parts = query.split(b"&")
    parts.sort(key=_name)
    return b"&".join(parts)


def _name(part: bytes) -> bytes:
    return part.split(b"=", 1)[0]


class ReadCacheMiddleware:
    """Serves :class:`ReadCache` answers for the read routes (see the module text)."""

    def __init__(self, app: ASGIApp, cache: ReadCache, changes: ChangeWatch) -> None:
        self.app = app
        self.cache = cache
        self.changes = changes
        # In flight: (key, token) -> the future the first miss sets with its answer.
        self._pending: dict[tuple[CacheKey, Token], asyncio.Future[Answer | None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.cache.enabled:
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if method == "GET":
            if not _GET_ROUTES.match(path):
                await self.app(scope, receive, send)
                return
        elif method != "POST" or path not in _POST_ROUTES:
            await self.app(scope, receive, send)
            return

        authorization = if_none_match = content_type = length = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"if-none-match":
                if_none_match = value
            elif name == b"content-type":
                content_type = value
            elif name == b"content-length":
                length = value
        caller = await self._caller(scope, authorization)
        state = self.changes.token() if caller is not None else None
        if caller is None or state is None:
            await self.app(scope, receive, send)
            return

        if method == "POST":
            if length is None or not length.isdigit() or int(length) > MAX_CHECK_BODY:
                await self.app(scope, receive, send)
                return
            body, receive = await _read_body(receive)
            if body is None:  # the client went away before sending it all
                await self.app(scope, receive, send)
                return
            digest = hashlib.blake2b(body, digest_size=16).digest()
            key: CacheKey = (caller.brand, caller.role, method, path, content_type, digest)
        else:
            query: bytes = scope["query_string"]
            key = (caller.brand, caller.role, method, path, _sorted_query(query))
        token: Token = (*state, dt.date.today())

        answer = self.cache.get(key, token)
        if answer is None:
            pending = self._pending.get((key, token))
            # The same read is being done (on this event loop): wait for it.
            if pending is not None and pending.get_loop() is asyncio.get_running_loop():
                answer = await asyncio.shield(pending)
        if answer is None:
            answer = await self._read(scope, receive, send, key, token, if_none_match)
            if answer is None:
                return  # not keepable; already answered
        await _serve(answer, if_none_match, send)

    async def _caller(self, scope: Scope, authorization: bytes | None) -> KeyInfo | None:
        """The caller's identity when the app authenticated this key recently and the
        address is not over its wrong-key limit; None sends the request to the app as is."""
        if authorization is None:
            return None
        scheme, _, credentials = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer":
            return None
        state = scope["app"].state
        keys = getattr(state, "key_cache", None)
        if keys is None or len(keys) == 0:
            return None
        limiter = state.limiter
        address = client_ip(Request(scope), state.settings)
        try:
            if limiter.storage_kind == "memory":
                limiter.check("api_key", address)
            else:
                await run_in_threadpool(limiter.check, "api_key", address)
        except RateLimitedError:
            return None  # the route answers 429
        info: KeyInfo | None = keys.get(credentials.strip())
        return info

    async def _read(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: CacheKey,
        token: Token,
        if_none_match: bytes | None,
    ) -> Answer | None:
        """Run the route (without ``If-None-Match``: the cache needs the body) and keep a
        ``200``. Returns the kept answer, or None after sending whatever else came back."""
        loop = asyncio.get_running_loop()
        pending: asyncio.Future[Answer | None] = loop.create_future()
        self._pending[(key, token)] = pending
        answer: Answer | None = None
        try:
            if if_none_match is not None:
                headers = [(n, v) for n, v in scope["headers"] if n != b"if-none-match"]
                scope = {**scope, "headers": headers}
            sent: list[Message] = []

            async def keep(message: Message) -> None:
                sent.append(message)

            await self.app(scope, receive, keep)
            start = sent[0] if sent else None
            if (
                start is not None
                and start["type"] == "http.response.start"
                and start["status"] == 200
                and len(sent) == 2
                and sent[1]["type"] == "http.response.body"
                and not sent[1].get("more_body", False)
            ):
                raw = list(start.get("headers", []))
                etag = next((v.decode("latin-1") for n, v in raw if n == b"etag"), None)
                answer = self.cache.put(key, token, raw, sent[1].get("body", b""), etag)
            if answer is None:
                for message in sent:
                    await send(message)
            return answer
        finally:
            self._pending.pop((key, token), None)
            if not pending.done():
                pending.set_result(answer)


async def _read_body(receive: Receive) -> tuple[bytes | None, Receive]:
    """The whole request body, and a ``receive`` that hands it to the app again."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None, _replay([message], receive)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    return body, _replay([{"type": "http.request", "body": body, "more_body": False}], receive)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    async def replayed() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()

    return replayed


async def _serve(answer: Answer, if_none_match: bytes | None, send: Send) -> None:
    if (
        answer.etag is not None
        and if_none_match is not None
        and matches_etag(if_none_match.decode("latin-1"), answer.etag)
    ):
        headers = [(n, v) for n, v in answer.headers if n not in _BODY_HEADERS]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": answer.headers})
    await send({"type": "http.response.body", "body": answer.body})


__all__ = ["Answer", "ReadCache", "ReadCacheMiddleware"]
