"""Read answers serialised once, with an ETag.

A read route builds its answer model in its worker thread and dumps it to JSON there
(:func:`dumped`), then returns it with :func:`json_read`. FastAPI then neither validates the
model again nor serialises it once more (that took one more thread and most of a small
answer's cost); the route's ``response_model`` still documents the body in OpenAPI.

Every answer carries ``ETag`` (a hash of the exact body bytes), ``Cache-Control: private,
no-cache`` (a client may keep it but must ask again) and ``Vary: Authorization``. A client that
sends the ETag back in ``If-None-Match`` gets ``304 Not Modified`` with no body when the
answer is byte-for-byte the same. The route's read is still done unless ``api.read_cache``
answers first (then the kept answer's ETag is compared the same way).
"""

from __future__ import annotations

import hashlib

from fastapi import Request, Response
from pydantic import BaseModel


def dumped(value: BaseModel) -> bytes:
    """The JSON FastAPI would have sent for ``value`` as its ``response_model`` (by alias,
    every field)."""
    return value.model_dump_json(by_alias=True).encode("utf-8")


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def matches_etag(header: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: ``*`` or any listed tag, compared weakly (``W/`` ignored)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


def json_read(request: Request, body: bytes, *, headers: dict[str, str] | None = None) -> Response:
    """``200`` with ``body`` as JSON, or ``304`` when the client already holds these bytes."""
    etag = etag_of(body)
    out = {
        "ETag": etag,
        "Cache-Control": "private, no-cache",
        "Vary": "Authorization",
        **(headers or {}),
    }
    if matches_etag(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=out)
    return Response(body, headers=out, media_type="application/json")


def json_body(body: bytes, *, status_code: int = 200) -> Response:
    """A pre-serialised JSON answer without validators (for POST answers, e.g. a check)."""
    return Response(body, status_code=status_code, media_type="application/json")
