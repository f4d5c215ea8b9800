"""Errors as JSON: ``{"error": {"code", "message", ...}}`` with the error's ``http_status``.

``core.errors.ZhenxinError`` subclasses carry their status; request validation is 422 with one
entry per field; anything unexpected is a 500 whose body says nothing about internals.
A 401 carries ``WWW-Authenticate: Bearer``; a 429 (``RateLimitedError``) ``Retry-After``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import RateLimitedError, ZhenxinError

log = logging.getLogger("zhenxin.api")


class UnauthorizedError(ZhenxinError):
    """No API key, a malformed one, an unknown one or a revoked one."""

    http_status = 401
    code = "unauthorized"


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def with_details(exc: ZhenxinError, **details: Any) -> ZhenxinError:
    """Attach extra fields (e.g. the stored request's id) to an error's JSON body."""
    existing: dict[str, Any] = getattr(exc, "details", {})
    exc.details = {**existing, **details}  # type: ignore[attr-defined]
    return exc


def _zhenxin(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ZhenxinError)
    body = {**exc.to_dict(), **getattr(exc, "details", {})}
    headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
    if isinstance(exc, RateLimitedError) and exc.retry_after_seconds is not None:
        headers = {"Retry-After": str(exc.retry_after_seconds)}
    return JSONResponse({"error": body}, status_code=exc.http_status, headers=headers)


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [
        {
            "loc": [str(part) for part in err.get("loc", ())],
            "message": str(err.get("msg", "")),
            "type": str(err.get("type", "")),
        }
        for err in exc.errors()
    ]
    summary = "; ".join(f"{'.'.join(f['loc'])}: {f['message']}" for f in fields[:5])
    return JSONResponse(
        error_body("invalid_request", f"invalid request: {summary}", fields=fields),
        status_code=422,
    )


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
        exc.status_code, "http_error"
    )
    return JSONResponse(
        error_body(code, str(exc.detail)),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body("internal", "internal error"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ZhenxinError, _zhenxin)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
