"""Typed dependencies. Tests replace any of them with ``app.dependency_overrides``:

SettingsDep   the app's Settings
SessionDep    a SQLAlchemy session for this request
SessionsDep   the app's session factory (for a route that reads in one thread of its own)
LimiterDep    the app's failure counters (``api.rate_limit``)
CurrentKey    the caller's API key (brand + role); 401 without a valid one, 429 after too many
              wrong ones from the caller's address. Keys that authenticated are remembered for
              a few seconds (``storage.keys.KeyCache``): a cached key costs no thread and no
              database read.
OptionalKey   the caller's API key, or None when none was sent (a wrong one still counts)
EditorKey / AdminKey   the same, requiring at least that role (403 otherwise)
KnowledgeDep  the brand knowledge (``knowledge.retriever.Knowledge``: packs + search)
DraftingDep   the drafting service (requests, jobs, re-checks, decisions), built once
FlywheelDep   the flywheel (events, lifecycle, core members, outcomes), built once
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from api.errors import UnauthorizedError
from api.forwarded import client_ip
from api.rate_limit import RateLimiter
from core.errors import PermissionDeniedError
from core.settings import Settings
from drafting.service import DraftingService
from flywheel.service import FlywheelService
from knowledge.retriever import Knowledge
from storage.keys import KeyCache, KeyInfo, Role

_build_lock = threading.Lock()


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def get_sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]

bearer = HTTPBearer(auto_error=False, description="An API key: `zhenxin keys create`")


async def get_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.limiter
    return limiter


LimiterDep = Annotated[RateLimiter, Depends(get_limiter)]


def key_cache(request: Request) -> KeyCache:
    """The app's cache of authenticated keys (``ZHENXIN_API_KEY_CACHE_SECONDS``)."""
    settings: Settings = request.app.state.settings
    cache: KeyCache = _cached(
        request, "key_cache", lambda: KeyCache(settings.api_key_cache_seconds)
    )
    return cache


def _authenticate(
    request: Request, settings: Settings, session: Session, limiter: RateLimiter, key: str
) -> KeyInfo | None:
    """The key's identity; a wrong key counts against the caller's address, and an address
    over its limit gets 429 before its key is even looked at."""
    address = client_ip(request, settings)
    limiter.check("api_key", address)
    info = key_cache(request).authenticate(session, key)
    if info is None:
        limiter.fail("api_key", address)
    return info


def _authenticate_in_session(
    request: Request, settings: Settings, limiter: RateLimiter, key: str
) -> KeyInfo | None:
    # A session of its own, closed at once: a request never holds a connection just for
    # having been authenticated (under load that starved the pool the work itself needs).
    with request.app.state.sessions() as session:
        return _authenticate(request, settings, session, limiter, key)


async def get_current_key(
    request: Request,
    settings: SettingsDep,
    limiter: LimiterDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> KeyInfo:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UnauthorizedError("missing API key", hint="send 'Authorization: Bearer <key>'")
    key = credentials.credentials.strip()
    info: KeyInfo | None = None
    if limiter.storage_kind == "memory":
        # Counters in memory and a cached key: nothing to wait for, so no thread. The limit
        # is still checked first (an address over it waits, even with the right key).
        limiter.check("api_key", client_ip(request, settings))
        info = key_cache(request).get(key)
    if info is None:
        info = await run_in_threadpool(_authenticate_in_session, request, settings, limiter, key)
    if info is None:
        raise UnauthorizedError("invalid or revoked API key")
    return info


def get_optional_key(
    request: Request,
    settings: SettingsDep,
    limiter: LimiterDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> KeyInfo | None:
    """For open routes that tell more to a key holder (``/readyz``): None without a key, and
    when the database cannot be asked (the route itself reports that)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        return None
    try:
        with request.app.state.sessions() as session:
            key = credentials.credentials.strip()
            return _authenticate(request, settings, session, limiter, key)
    except SQLAlchemyError:
        return None


OptionalKey = Annotated[KeyInfo | None, Depends(get_optional_key)]
CurrentKey = Annotated[KeyInfo, Depends(get_current_key)]
KeyDep = CurrentKey


def require_role(needed: Role) -> Callable[[KeyInfo], Awaitable[KeyInfo]]:
    async def check(key: CurrentKey) -> KeyInfo:
        if not key.role.allows(needed):
            raise PermissionDeniedError(
                f"role {key.role.value!r} may not do this; it needs {needed.value!r} or above"
            )
        return key

    return check


EditorKey = Annotated[KeyInfo, Depends(require_role(Role.EDITOR))]
AdminKey = Annotated[KeyInfo, Depends(require_role(Role.ADMIN))]


def _cached(request: Request, name: str, build: Callable[[], Any]) -> Any:
    state = request.app.state
    value = getattr(state, name, None)
    if value is None:
        with _build_lock:
            value = getattr(state, name, None)
            if value is None:
                value = build()
                setattr(state, name, value)
    return value


async def get_knowledge(request: Request) -> Knowledge:
    def build() -> Knowledge:
        from knowledge.service import KnowledgeBase

        return KnowledgeBase(request.app.state.settings)

    kb: Knowledge = _cached(request, "knowledge", build)
    return kb


KnowledgeDep = Annotated[Knowledge, Depends(get_knowledge)]


def build_drafting(app: Any, knowledge: Knowledge) -> DraftingService:
    """The app's drafting service: the pipeline (the model loads on the first draft) on a
    worker pool in this process, or on the Dramatiq workers (``ZHENXIN_JOB_QUEUE``)."""
    from drafting.jobs import DramatiqQueue, WorkerPool
    from generator.pipeline import build_pipeline

    settings: Settings = app.state.settings
    service = DraftingService(
        settings,
        sessions=app.state.sessions,
        knowledge=knowledge,
        drafter_factory=lambda: build_pipeline(settings, knowledge=knowledge),  # type: ignore[arg-type]
    )
    if settings.job_queue == "dramatiq":
        from batch.queue import make_broker

        service.queue = DramatiqQueue(make_broker(settings.redis_url))
    else:
        workers = settings.job_workers or (1 if settings.uses_local_model else 4)
        service.queue = WorkerPool(service.run, workers=workers, capacity=settings.job_queue_size)
    return service


async def get_drafting(request: Request, knowledge: KnowledgeDep) -> DraftingService:
    service: DraftingService = _cached(
        request, "drafting", lambda: build_drafting(request.app, knowledge)
    )
    return service


DraftingDep = Annotated[DraftingService, Depends(get_drafting)]


async def get_flywheel(request: Request, drafting: DraftingDep) -> FlywheelService:
    service: FlywheelService = _cached(request, "flywheel", lambda: FlywheelService(drafting))
    return service


FlywheelDep = Annotated[FlywheelService, Depends(get_flywheel)]
