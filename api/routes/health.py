"""Liveness (no auth, no work) and readiness (model, vector store, database).

``/readyz`` answers everyone with its status code (200 ready, 503 not) and
``{"status": "ok" | "unavailable"}``; which provider, model, database and how many brands only
a caller with a valid API key learns (a stranger should not map the deployment).
"""

from __future__ import annotations

import functools
from importlib.metadata import PackageNotFoundError, version
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import OptionalKey
from api.schemas import ComponentStatus, HealthOut, ReadyBrief, ReadyOut
from core.settings import Settings

router = APIRouter(tags=["health"])


@functools.cache
def _version() -> str:
    """The installed version, read once (reading package metadata scans site-packages)."""
    try:
        return version("zhenxin")
    except PackageNotFoundError:
        return "0+unknown"


@router.get("/healthz", response_model=HealthOut)
async def healthz() -> HealthOut:
    """Liveness: answered on the event loop, no thread, no database."""
    return HealthOut(status="ok", version=_version())


def _model(settings: Settings) -> ComponentStatus:
    try:
        if settings.llm == "local":
            from llm.model_files import model_path

            path = model_path(settings)
            if not path.is_file():
                return ComponentStatus(
                    ok=False,
                    detail=f"local model file missing: {path.name} (run `zhenxin model setup`)",
                )
            return ComponentStatus(ok=True, detail=f"local: {path.name}")
        from llm import make_llm

        llm = make_llm(settings)
        return ComponentStatus(ok=True, detail=f"{llm.provider}: {llm.model}")
    except Exception as exc:
        return ComponentStatus(ok=False, detail=f"{type(exc).__name__}: {exc}"[:300])


def _store(request: Request) -> ComponentStatus:
    try:
        import inspect

        from api.deps import get_knowledge

        build = request.app.dependency_overrides.get(get_knowledge, get_knowledge)
        kb = build(request) if inspect.signature(build).parameters else build()
        brands = kb.brands()
        return ComponentStatus(ok=True, detail=f"{len(brands)} brand(s)")
    except Exception as exc:
        return ComponentStatus(ok=False, detail=f"{type(exc).__name__}: {exc}"[:300])


def _database(request: Request) -> ComponentStatus:
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return ComponentStatus(ok=True, detail=request.app.state.engine.dialect.name)
    except Exception as exc:
        return ComponentStatus(ok=False, detail=f"{type(exc).__name__}"[:300])


@router.get(
    "/readyz",
    response_model=ReadyOut | ReadyBrief,
    responses={503: {"model": ReadyOut | ReadyBrief}},
)
def readyz(request: Request, key: OptionalKey) -> JSONResponse:
    """Ready or not for everyone; the components' details with an API key."""
    settings: Settings = request.app.state.settings
    components = {
        "model": _model(settings),
        "vector_store": _store(request),
        "database": _database(request),
    }
    ready = all(c.ok for c in components.values())
    status_code = 200 if ready else 503
    status: Literal["ok", "unavailable"] = "ok" if ready else "unavailable"
    if key is None:
        return JSONResponse(ReadyBrief(status=status).model_dump(), status_code=status_code)
    body = ReadyOut(status=status, ready=ready, components=components)
    return JSONResponse(body.model_dump(), status_code=status_code)
