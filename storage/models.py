"""The database tables (SQLAlchemy 2 declarative models).

Nothing here is ever overwritten in place where history matters: a draft's text lives in
``draft_versions`` (one row per edit), reviews and contacts are append-only, and a draft
request keeps everything the operator sent plus its last error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class BrandRow(Base):
    __tablename__ = "brands"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CustomerRow(Base):
    """A customer of one brand; ``data`` is a ``knowledge.pack.Customer`` as JSON."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("brand_id", "customer_id", name="uq_customers_brand_cid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16), default="api")  # pack | api
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class DraftRequestRow(Base):
    """What an operator asked for, exactly as sent, and the job that drafts it.

    ``generating`` -> ``done`` | ``failed``; ``failed`` -> ``generating`` (retry). A worker
    claims a generating job by writing its ``claim_token`` and a ``lease_until``; only the
    holder may finish it, and a job whose lease ran out (its process died) is claimed again.
    """

    __tablename__ = "draft_requests"
    # the review queue: a brand's newest first, without sorting every request it holds
    __table_args__ = (Index("ix_draft_requests_brand_created", "brand_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="generating", index=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    requested_by: Mapped[str] = mapped_column(String(32), default="")
    batch_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    as_of: Mapped[dt.date | None] = mapped_column(Date, nullable=True)  # plan as of this day
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class DraftRow(Base):
    """A generated draft; its id is its request's id. Text lives in ``draft_versions``."""

    __tablename__ = "drafts"
    __table_args__ = (Index("ix_drafts_brand_status", "brand_id", "status"),)

    id: Mapped[str] = mapped_column(ForeignKey("draft_requests.id"), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    stage: Mapped[str] = mapped_column(String(64), default="")
    channel: Mapped[str] = mapped_column(String(16), default="")
    trigger: Mapped[str] = mapped_column(String(32), default="")
    # pending_review | approved | rejected
    status: Mapped[str] = mapped_column(String(16), default="pending_review")
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class DraftVersionRow(Base):
    """One version of a draft's text with the check result for exactly that text."""

    __tablename__ = "draft_versions"
    __table_args__ = (UniqueConstraint("draft_id", "version", name="uq_draft_versions_dv"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[str] = mapped_column(ForeignKey("drafts.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    findings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    subject: Mapped[str | None] = mapped_column(String(300), nullable=True)  # emails
    # Version 1: the whole generated ``Draft`` (sources, plan, attempts...). Edits: null.
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    author: Mapped[str] = mapped_column(String(64), default="")  # "model" or a key prefix
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ReviewRow(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[str] = mapped_column(ForeignKey("drafts.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(16))  # approve | reject
    reason: Mapped[str] = mapped_column(Text, default="")
    override_reason: Mapped[str] = mapped_column(Text, default="")
    reviewer: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ContactRow(Base):
    """A message a customer received (approval records one); the pressure checks read these."""

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_brand_customer", "brand_id", "customer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"))
    customer_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16), default="care")  # care | sales | notice
    date: Mapped[dt.date] = mapped_column(Date)
    draft_id: Mapped[str | None] = mapped_column(ForeignKey("drafts.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ApiKeyRow(Base):
    """An API key: only its sha256 is stored; ``prefix`` finds the row, the hash proves it."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # operator | editor | admin
    name: Mapped[str] = mapped_column(String(100), default="")
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class BatchRow(Base):
    """A batch job (e.g. a month of community posts). The batch engineer extends this."""

    __tablename__ = "batches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class BatchItemRow(Base):
    __tablename__ = "batch_items"
    __table_args__ = (UniqueConstraint("batch_id", "key", name="uq_batch_items_bk"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    draft_id: Mapped[str | None] = mapped_column(ForeignKey("drafts.id"), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class WebSessionRow(Base):
    """A review-form sign-in. ``id`` is the sha256 of the random token in the cookie (the
    token itself is never stored); logout, key revocation and expiry end it server-side."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class ConsentRow(Base):
    """One change of a customer's consent, append-only: what (opted_out | opted_in), when,
    who (a key prefix, "ingest", "event") and from where (api, pack, event, admin), and why.
    The newest row is the consent that holds."""

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_brand_customer", "brand_id", "customer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"))
    customer_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # opted_out | opted_in
    actor: Mapped[str] = mapped_column(String(64), default="")
    source: Mapped[str] = mapped_column(String(16), default="api")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ExemplarRow(Base):
    """An approved draft's text (as the editor approved it), kept as an example of the
    brand's voice for drafts of the same kind, moment and stage."""

    __tablename__ = "exemplars"
    __table_args__ = (Index("ix_exemplars_brand_kind", "brand_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"))
    kind: Mapped[str] = mapped_column(String(32))
    stage: Mapped[str] = mapped_column(String(64), default="")
    trigger: Mapped[str] = mapped_column(String(32), default="")
    text: Mapped[str] = mapped_column(Text)
    draft_id: Mapped[str | None] = mapped_column(ForeignKey("drafts.id"), nullable=True)
    edited: Mapped[bool] = mapped_column(Boolean, default=False)  # the editor changed it
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class EventRow(Base):
    """Something that happened to a customer after a draft: a send, a delivery, a reply, a
    purchase, an unsubscribe, an opt-out, a complaint, or being held out of a care batch.
    Idempotent by ``(brand_id, event_id)``: the same event posted twice is stored once.
    ``kind``/``trigger``/``stage`` describe the message for sends imported from elsewhere
    (a draft we hold describes itself)."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("brand_id", "event_id", name="uq_events_brand_eid"),
        Index("ix_events_brand_customer_at", "brand_id", "customer_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"))
    event_id: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    draft_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    product: Mapped[str | None] = mapped_column(String(64), nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    topic: Mapped[str | None] = mapped_column(String(32), nullable=True)  # e.g. co_creation
    kind: Mapped[str | None] = mapped_column(String(32), nullable=True)
    trigger: Mapped[str | None] = mapped_column(String(32), nullable=True)
    stage: Mapped[str | None] = mapped_column(String(64), nullable=True)
    criticism: Mapped[bool] = mapped_column(Boolean, default=False)  # a reply that criticises
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class StageChangeRow(Base):
    """One move of a customer's lifecycle stage: from, to, when, why (append-only)."""

    __tablename__ = "stage_changes"
    __table_args__ = (Index("ix_stage_changes_brand_customer", "brand_id", "customer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"))
    customer_id: Mapped[str] = mapped_column(String(64))
    from_stage: Mapped[str] = mapped_column(String(64))
    to_stage: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.date] = mapped_column(Date)
    why: Mapped[str] = mapped_column(Text, default="")
    rule: Mapped[str] = mapped_column(String(64), default="")
    event_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
