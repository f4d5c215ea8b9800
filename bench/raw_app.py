"""The raw baseline of ``python -m bench api``: a bare FastAPI app with one async route,
served by the same uvicorn on the same machine. Whatever our endpoints cost on top of it is
ours."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
