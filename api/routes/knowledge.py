"""Knowledge of the key's brand: ingest an uploaded pack (admins), search it."""

from __future__ import annotations

import dataclasses
import shutil
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from api import uploads
from api.deps import AdminKey, CurrentKey, DraftingDep, KnowledgeDep, SessionDep, SettingsDep
from api.responses import dumped, json_read
from api.schemas import IngestOut, PassageOut, SearchOut
from core.errors import ConfigError, PayloadTooLargeError, PermissionDeniedError
from drafting.packs import ingest_pack
from knowledge.service import KnowledgeBase
from storage.brands import ensure_brand

router = APIRouter(prefix="/v1/knowledge", tags=["knowledge"])


def knowledge_base(knowledge: object) -> KnowledgeBase:
    """Ingesting needs the real knowledge base (vectors on disk), not only the protocol."""
    if not isinstance(knowledge, KnowledgeBase):
        raise ConfigError("this server's knowledge source cannot ingest packs")
    return knowledge


def _jsonable(report: Any) -> dict[str, Any]:
    if hasattr(report, "model_dump"):
        data: dict[str, Any] = report.model_dump(mode="json")
        return data
    if dataclasses.is_dataclass(report) and not isinstance(report, type):
        return {
            k: str(v) if not isinstance(v, int | float | str | bool | list | dict | None) else v
            for k, v in dataclasses.asdict(report).items()
        }
    return {"summary": str(report)}


@router.post(
    "/ingest",
    response_model=IngestOut,
    responses={
        401: {"description": "no key"},
        403: {"description": "needs admin"},
        413: {"description": "upload too large"},
        422: {"description": "invalid pack (every problem listed)"},
    },
)
def ingest(
    file: Annotated[UploadFile, File(description="the brand pack as .zip or .tar.gz")],
    key: AdminKey,
    session: SessionDep,
    knowledge: KnowledgeDep,
    service: DraftingDep,
    settings: SettingsDep,
) -> IngestOut:
    """Ingest a brand pack (admins): knowledge into the vector store, customers into the
    database. The pack's brand id must be the key's brand."""
    data = file.file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise PayloadTooLargeError(
            f"upload is over {settings.max_upload_bytes} bytes", hint="ZHENXIN_MAX_UPLOAD_BYTES"
        )
    dest = uploads.upload_dir(settings.ensure_data_dir(), key.brand)
    try:
        root = uploads.unpack(data, dest, max_bytes=settings.max_upload_bytes)
        brand_id = uploads.pack_brand_id(root)
        if brand_id != key.brand:
            raise PermissionDeniedError(
                f"this key belongs to brand {key.brand!r}; the pack is brand {brand_id!r}"
            )
        # The knowledge base keeps its own copy of the pack; customers go to the one store
        # (opt-outs recorded since are kept).
        report = ingest_pack(knowledge_base(knowledge), service.customers, root)
    finally:
        shutil.rmtree(dest, ignore_errors=True)
    pack = knowledge.pack(brand_id)
    ensure_brand(session, brand_id, pack.brand.name)
    session.commit()
    return IngestOut(brand=brand_id, customers=report.customers, report=_jsonable(report))


@router.get(
    "/search",
    response_model=SearchOut,
    responses={
        304: {"description": "unchanged"},
        401: {"description": "no key"},
        409: {"description": "the brand's knowledge was never ingested"},
    },
)
async def search(
    request: Request,
    key: CurrentKey,
    knowledge: KnowledgeDep,
    q: Annotated[str, Query(min_length=1, max_length=2000)],
    kind: Annotated[str | None, Query(max_length=32)] = None,
    product: Annotated[str | None, Query(max_length=200)] = None,
    stage: Annotated[str | None, Query(max_length=64)] = None,
    k: Annotated[int, Query(ge=1, le=50)] = 5,
) -> Response:
    """Search the key's brand's knowledge (never another brand's)."""

    def run() -> bytes:  # one worker thread: embedding, vector and keyword search, JSON
        passages = knowledge.search(key.brand, q, kind=kind, product=product, stage=stage, k=k)
        return dumped(
            SearchOut(
                brand=key.brand,
                query=q,
                passages=[PassageOut.model_validate(p.model_dump()) for p in passages],
            )
        )

    return json_read(request, await run_in_threadpool(run))
