"""The HTTP API: ``create_app(settings)`` builds it; ``zhenxin serve`` runs it with uvicorn.

Startup migrates the database to head and resolves the review form's session secret. Every
``/v1`` route needs an API key and sees only its brand; ``/healthz`` and ``/readyz`` are open
(``/readyz`` gives details only to a key). Wrong keys are throttled (``api.rate_limit``).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body, install_error_handlers
from api.rate_limit import build_limiter
from api.read_cache import ReadCache, ReadCacheMiddleware
from api.routes import (
    batches,
    check,
    customers,
    drafts,
    events,
    health,
    keys,
    knowledge,
    review,
)
from api.web_auth import with_session_secret
from core.pii import install_pii_masking
from core.runtime import freeze_startup_objects
from core.settings import Settings, get_settings
from storage.changes import ChangeWatch
from storage.db import open_database

log = logging.getLogger("zhenxin.api")


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413: by Content-Length up front, and by
    counting while reading for bodies sent without one."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await _send_json(
                send, 413, error_body("too_large", f"request body is over {self.limit} bytes")
            )
            return
        seen = 0
        over = False

        async def counted() -> Message:
            nonlocal seen, over
            if over:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:  # stop reading; the app sees an empty tail
                    over = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded(message: Message) -> None:
            if not over:
                await send(message)
            elif message["type"] == "http.response.start":  # replace the app's answer
                await _send_json(
                    send, 413, error_body("too_large", f"request body is over {self.limit} bytes")
                )

        await self.app(scope, counted, guarded)


class AccessLog:
    """One log line per request: method, path (never the query or body), status, time."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            log.info(
                "%s %s %s %.1fms",
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - start) * 1000,
            )


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    import json

    data = json.dumps(body, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At start, pick up draft jobs a previous process left unfinished; at stop, let the
    job workers finish what they run (queued jobs stay stored for the next start)."""
    from api.deps import build_drafting, get_drafting, get_knowledge

    override = app.dependency_overrides.get(get_drafting)
    service = None
    try:
        if override is not None:
            service = override()
        else:
            from knowledge.service import KnowledgeBase

            knowledge = app.dependency_overrides.get(get_knowledge)
            kb = knowledge() if knowledge is not None else KnowledgeBase(app.state.settings)
            service = build_drafting(app, kb)
            app.state.drafting = service
        recovered = service.recover()
        if recovered:
            log.info("picked up %d unfinished draft job(s)", recovered)
    except Exception:  # never keep the API from starting over a recovery problem
        log.exception("could not recover unfinished draft jobs")
    freeze_startup_objects()  # each process serving the API, once the app is set up
    yield
    close = getattr(getattr(service, "queue", None), "close", None)
    if close is not None:
        close()
    app.state.changes.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    # The review form's session secret: the setting (refused if a placeholder) or the random
    # one kept in the data dir, made on first start.
    settings = with_session_secret(settings or get_settings())
    limiter = build_limiter(settings)
    install_pii_masking()
    engine, sessions = open_database(settings)
    app = FastAPI(
        lifespan=_lifespan,
        title="zhenxin 真心",
        version="0.1.0",
        summary="Sincere customer-care drafts for private-domain brands.",
        description=(
            "Drafts, checks, knowledge and customers of one brand per API key "
            "(`Authorization: Bearer <key>`, from `zhenxin keys create`). Roles: operator "
            "(request, read, edit drafts), editor (+ approve/reject), admin (+ ingest, keys). "
            "Another brand's ids answer 404."
        ),
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.limiter = limiter
    app.state.read_cache = ReadCache(settings.read_cache_seconds)
    app.state.changes = ChangeWatch(engine)
    install_error_handlers(app)
    for module in (health, drafts, check, knowledge, customers, keys, batches, events):
        app.include_router(module.router)
    review.install_review(app)

    @app.get("/", include_in_schema=False)
    def _home() -> RedirectResponse:
        """A person opening the server's address lands on the review form, not a 404."""
        return RedirectResponse("/review", status_code=307)

    # The read routes' answers (innermost: inside the body limit and the access log).
    app.add_middleware(ReadCacheMiddleware, cache=app.state.read_cache, changes=app.state.changes)
    # Uploads may be as large as max_upload_bytes, plus multipart framing.
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes + 64 * 1024)

    app.add_middleware(AccessLog)
    return app
