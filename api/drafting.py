"""What the draft routes do, kept out of the routes: store the request first, then generate,
then store the draft (or the error, for a retry); re-check edited text; approve and log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from api.errors import with_details
from api.schemas import DraftOut, ReviewOut
from core.errors import NotFoundError, PayloadTooLargeError, ZhenxinError
from core.settings import Settings
from evals import detect_lang
from evals.types import CheckContext, CheckReport
from generator.drafts import DraftRequest
from knowledge.pack import Brand, BrandPack, Customer
from storage import contacts, customers
from storage import drafts as repo
from storage.drafts import DraftRecord
from storage.keys import KeyInfo

log = logging.getLogger("zhenxin.api.drafts")

# Kinds sent to one customer: approving one records a contact in the log.
PERSONAL_KINDS = {"care_message", "aftersale_email"}


def limit_text(settings: Settings, text: str | None, field: str) -> None:
    if text is not None and len(text) > settings.max_text_chars:
        raise PayloadTooLargeError(
            f"{field} has {len(text)} characters; the limit is {settings.max_text_chars}",
            hint="ZHENXIN_MAX_TEXT_CHARS",
        )


def brand_pack(knowledge: Any, brand_id: str) -> BrandPack | None:
    """The ingested pack of a brand, or None if it was never ingested."""
    try:
        pack: BrandPack = knowledge.pack(brand_id)
    except ZhenxinError:
        return None
    return pack


def to_out(record: DraftRecord) -> DraftOut:
    req, draft, cur = record.request, record.draft, record.current
    extra = record.generated or {}
    return DraftOut(
        id=req.id,
        status=record.status,  # type: ignore[arg-type]
        brand=req.brand_id,
        kind=req.kind,
        customer=draft.customer_id if draft is not None else req.customer_id,
        stage=draft.stage if draft is not None else None,
        channel=draft.channel if draft is not None else req.payload.get("channel"),
        trigger=draft.trigger if draft is not None else req.payload.get("trigger"),
        version=draft.current_version if draft is not None else None,
        text=cur.text if cur is not None else None,
        subject=extra.get("subject"),
        verdict=cur.verdict if cur is not None else None,
        score=cur.score if cur is not None else None,
        findings=cur.findings if cur is not None else [],
        sources=extra.get("sources", []),
        belief=extra.get("belief"),
        provider=extra.get("provider"),
        model=extra.get("model"),
        error=req.error,
        attempts=req.attempts,
        request=req.payload,
        reviews=[
            ReviewOut(
                version=r.version,
                decision=r.decision,
                reason=r.reason,
                override_reason=r.override_reason,
                reviewer=r.reviewer,
                created_at=r.created_at,
            )
            for r in record.reviews
        ],
        created_at=req.created_at,
        updated_at=draft.updated_at if draft is not None else req.updated_at,
    )


def _resolve_customer(session: Session, brand_id: str, request: DraftRequest) -> DraftRequest:
    """Send the pipeline the stored customer (with the contact log merged in), if we have one."""
    customer = request.customer
    if customer is None and request.customer_id:
        customer = customers.find_customer(session, brand_id, request.customer_id)
    if customer is None:
        return request
    customer = contacts.with_history(session, brand_id, customer)
    return request.model_copy(update={"customer": customer, "customer_id": None})


def generate(session: Session, request_row: Any, pipeline: Any) -> DraftRecord:
    """Run the pipeline for a stored request; on failure store the error and re-raise it
    with the request's id, so the caller can retry it."""
    brand_id = request_row.brand_id
    repo.start_attempt(session, request_row)
    session.commit()
    try:
        draft_request = DraftRequest.model_validate({**request_row.payload, "brand": brand_id})
        draft_request = _resolve_customer(session, brand_id, draft_request)
        draft = pipeline.draft(draft_request)
    except ZhenxinError as exc:
        repo.mark_failed(session, request_row, exc.to_dict())
        session.commit()
        raise with_details(
            exc, draft_id=request_row.id, retry=f"/v1/drafts/{request_row.id}/retry"
        ) from exc
    except Exception as exc:
        log.exception("draft %s failed unexpectedly", request_row.id)
        repo.mark_failed(session, request_row, {"code": "internal", "message": type(exc).__name__})
        session.commit()
        raise
    repo.save_generated(session, request_row, draft.model_dump(mode="json"))
    session.commit()
    return repo.get_record(session, brand_id, request_row.id)


def create(
    session: Session, key: KeyInfo, body: Any, pipeline: Any, settings: Settings
) -> DraftRecord:
    if body.brand is not None and body.brand != key.brand:
        raise NotFoundError(f"brand {body.brand!r} not found")
    limit_text(settings, body.question, "question")
    limit_text(settings, body.theme, "theme")
    payload = body.model_dump(mode="json", exclude_none=True, exclude={"brand"})
    customer_id = body.customer_id or (body.customer.id if body.customer else None)
    row = repo.new_request(
        session,
        key.brand,
        payload,
        kind=body.kind.value,
        customer_id=customer_id,
        requested_by=key.prefix,
    )
    session.commit()
    return generate(session, row, pipeline)


def check_context(
    session: Session,
    knowledge: Any,
    brand_id: str,
    text: str,
    *,
    lang: str | None = None,
    channel: str | None = None,
    kind: str | None = None,
    customer: Customer | None = None,
    stage: str | None = None,
    belief: str | None = None,
    purpose: str | None = None,
    source_docs: list[str] | None = None,
) -> CheckContext:
    pack = brand_pack(knowledge, brand_id)
    brand: Brand | None = pack.brand if pack else None
    if customer is not None:
        customer = contacts.with_history(session, brand_id, customer)
    sources: list[str] = []
    if pack is not None:
        for doc_id in source_docs or []:
            try:
                sources.append(pack.doc(doc_id).body)
            except KeyError:
                continue
    products = [d.product for d in pack.docs if d.product] if pack else []
    return CheckContext(
        text=text,
        lang=lang or (brand.language if brand else detect_lang(text)),
        channel=channel,
        kind=kind,
        brand=brand,
        customer=customer,
        stage=stage or (customer.stage if customer else None),
        sources=sources,
        belief=belief,
        history=list(customer.last_contacts) if customer else [],
        products=products,
        purpose=purpose,
    )


def edit(
    session: Session,
    key: KeyInfo,
    draft_id: str,
    text: str,
    version: int,
    note: str,
    *,
    knowledge: Any,
    checker: Callable[[CheckContext], CheckReport],
    settings: Settings,
) -> DraftRecord:
    limit_text(settings, text, "text")
    record = repo.get_record(session, key.brand, draft_id)
    generated = record.generated or {}
    customer = _draft_customer(session, key.brand, record)
    draft = record.draft
    ctx = check_context(
        session,
        knowledge,
        key.brand,
        text,
        channel=draft.channel if draft else None,
        kind=record.request.kind,
        customer=customer,
        stage=draft.stage if draft else None,
        belief=generated.get("belief"),
        source_docs=[s.get("doc_id", "") for s in generated.get("sources", [])],
    )
    report = checker(ctx)
    repo.add_version(
        session,
        key.brand,
        draft_id,
        expected_version=version,
        text=text,
        verdict=report.verdict.value,
        score=report.score,
        findings=[f.model_dump(mode="json") for f in report.findings],
        author=key.prefix,
        note=note,
    )
    session.commit()
    return repo.get_record(session, key.brand, draft_id)


def _draft_customer(session: Session, brand_id: str, record: DraftRecord) -> Customer | None:
    inline = record.request.payload.get("customer")
    if inline:
        return Customer.model_validate(inline)
    cid = record.draft.customer_id if record.draft else record.request.customer_id
    return customers.find_customer(session, brand_id, cid) if cid else None


def decide(
    session: Session,
    key: KeyInfo,
    draft_id: str,
    *,
    approve: bool,
    reason: str = "",
    override_reason: str = "",
    version: int | None = None,
    purpose: str | None = None,
) -> DraftRecord:
    draft, _version, _review = repo.review(
        session,
        key.brand,
        draft_id,
        decision="approve" if approve else "reject",
        reviewer=key.prefix,
        reason=reason,
        override_reason=override_reason,
        version=version,
    )
    if approve and draft.customer_id and draft.kind in PERSONAL_KINDS:
        contacts.record_contact(
            session,
            key.brand,
            draft.customer_id,
            channel=draft.channel or "wechat",
            purpose=purpose or "care",
            draft_id=draft.id,
        )
    session.commit()
    return repo.get_record(session, key.brand, draft_id)
