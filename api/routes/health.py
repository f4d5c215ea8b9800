"""Liveness (no auth, no work) and readiness (model, vector store, database)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.schemas import ComponentStatus, HealthOut, ReadyOut
from core.settings import Settings

router = APIRouter(tags=["health"])


def _version() -> str:
    try:
        return version("zhenxin")
    except PackageNotFoundError:
        return "0+unknown"


@router.get("/healthz", response_model=HealthOut)
def healthz() -> HealthOut:
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


@router.get("/readyz", response_model=ReadyOut, responses={503: {"model": ReadyOut}})
def readyz(request: Request) -> JSONResponse:
    settings: Settings = request.app.state.settings
    components = {
        "model": _model(settings),
        "vector_store": _store(request),
        "database": _database(request),
    }
    body = ReadyOut(ready=all(c.ok for c in components.values()), components=components)
    return JSONResponse(body.model_dump(), status_code=200 if body.ready else 503)
