"""What the review form does with drafts, for one signed-in key: read the brand's drafts as
view models, re-check text, save a version, decide, regenerate.

Checks and writes go through the drafting service (the same code as the ``/v1/drafts``
routes): the draft's stored check basis, the conditional version update, the
block-needs-override rule, consent at approval and the contact log. Every read and write is
scoped to the key's brand; another brand's id is "not found".
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from core.errors import NotFoundError, ZhenxinError
from core.settings import Settings
from drafting.service import DraftingService
from evals.types import CheckReport, Finding
from flywheel.service import FlywheelService
from generator.drafts import Draft, Source
from knowledge.chunking import chunk_docs
from knowledge.pack import BrandPack, Customer
from knowledge.stages import DEFAULT_STAGES
from storage import drafts as repo
from storage import keys as keys_repo
from storage.drafts import DraftRecord as StoredRecord
from storage.keys import KeyInfo, Role
from storage.models import ApiKeyRow, DraftVersionRow

PAGE_SIZE = 50
REVIEW_ROLES = frozenset({Role.EDITOR, Role.ADMIN})


@dataclass(frozen=True)
class Version:
    """One version of a draft's text with the check result for exactly that text."""

    number: int
    text: str
    author: str
    verdict: str
    score: float
    findings: list[Finding]
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class Review:
    action: str  # approve | reject
    reason: str
    override_reason: str
    editor: str
    version: int
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class Reply:
    """A customer's answer to a draft (a ``replied`` or ``complaint`` event)."""

    type: str  # replied | complaint
    at: dt.datetime
    text: str
    criticism: bool
    topic: str = ""


@dataclass
class DraftView:
    id: str
    brand: str
    status: str  # pending_review | approved | rejected
    draft: Draft
    versions: list[Version]
    reviews: list[Review] = field(default_factory=list)
    request: dict[str, Any] = field(default_factory=dict)
    updated_at: dt.datetime | None = None

    @property
    def current(self) -> Version:
        return max(self.versions, key=lambda v: v.number)

    def version(self, number: int) -> Version | None:
        return next((v for v in self.versions if v.number == number), None)


# --- keys ---------------------------------------------------------------------------------


def sign_in(db: Session, raw_key: str) -> KeyInfo | None:
    """The active key with this secret (its last use noted), or None."""
    info = keys_repo.authenticate(db, raw_key, touch=True)
    db.commit()
    return info


def active_key(db: Session, key_id: str) -> KeyInfo | None:
    """The key a session names, if it still exists and is not revoked."""
    if not key_id.isdigit():
        return None
    row = db.get(ApiKeyRow, int(key_id))
    if row is None or row.revoked:
        return None
    return KeyInfo(
        id=row.id, brand=row.brand_id, role=Role(row.role), prefix=row.prefix, name=row.name
    )


# --- the desk ---------------------------------------------------------------------------------


class ReviewDesk:
    def __init__(
        self,
        db: Session,
        key: KeyInfo,
        *,
        service: DraftingService,
        flywheel: FlywheelService | None = None,
    ) -> None:
        self.db = db
        self.flywheel = flywheel
        self.key = key
        self.brand = key.brand
        self.service = service
        self.settings: Settings = service.settings
        self._names: dict[str, str] | None = None

    def _name(self, author: str) -> str:
        """Key prefixes (what storage records) shown as the key's name."""
        if self._names is None:
            self._names = {
                k.info.prefix: k.info.name or k.info.prefix
                for k in keys_repo.list_keys(self.db, self.brand)
            }
        return self._names.get(author, author)

    def drafts(self, *, page: int = 1, **filters: str | None) -> tuple[list[DraftView], int]:
        """One page of the brand's drafts that have text, newest first, each with its current
        version, and how many match in all; ``filters`` (status, kind, stage, verdict, batch)
        are applied in SQL, so an old pending draft is found however many came after it."""
        given = {k: v for k, v in filters.items() if v}
        total = repo.count_records(self.db, self.brand, with_text=True, **given)
        records = repo.list_records(
            self.db,
            self.brand,
            with_text=True,
            limit=PAGE_SIZE,
            offset=(max(page, 1) - 1) * PAGE_SIZE,
            **given,
        )
        out = []
        for rec in records:
            if rec.draft is None or rec.current is None:
                continue
            view = self._view(rec, [rec.current])
            if view is not None:
                out.append(view)
        return out, total

    def stages_in_use(self) -> list[str]:
        return repo.stages(self.db, self.brand)

    def approve_passing(self, batch_id: str) -> tuple[list[str], list[tuple[str, str]]]:
        """Approve the batch's drafts that pass every check (see the drafting service)."""
        return self.service.approve_batch(self.brand, batch_id, reviewer=self.key.prefix)

    def get(self, draft_id: str) -> DraftView:
        rec = repo.get_record(self.db, self.brand, draft_id)  # NotFoundError across brands
        if rec.draft is None:
            raise NotFoundError(f"draft {draft_id!r} has no text yet")
        versions = [
            v
            for v in repo.list_versions(self.db, self.brand, draft_id)
            if v.version <= rec.draft.current_version
        ]
        view = self._view(rec, versions)
        if view is None:
            raise NotFoundError(f"draft {draft_id!r} has no stored content")
        return view

    def _view(self, rec: StoredRecord, versions: list[DraftVersionRow]) -> DraftView | None:
        assert rec.draft is not None
        draft = _draft(rec.generated)
        if draft is None:
            return None
        return DraftView(
            id=rec.id,
            brand=self.brand,
            status=rec.draft.status,
            draft=draft,
            versions=[self._version(v) for v in versions],
            reviews=[
                Review(
                    action=r.decision,
                    reason=r.reason,
                    override_reason=r.override_reason,
                    editor=self._name(r.reviewer),
                    version=r.version,
                    created_at=r.created_at,
                )
                for r in rec.reviews
            ],
            request=dict(rec.request.payload or {}),
            updated_at=rec.draft.updated_at,
        )

    def _version(self, row: DraftVersionRow) -> Version:
        findings = []
        for f in row.findings or []:
            try:
                findings.append(Finding.model_validate(f))
            except ValidationError:
                continue
        return Version(
            number=row.version,
            text=row.text,
            author=self._name(row.author),
            verdict=row.verdict,
            score=row.score,
            findings=findings,
            created_at=row.created_at,
        )

    def check(self, view: DraftView, text: str) -> CheckReport:
        """Check ``text`` as this draft: its stored check basis, as an edit through the API."""
        return self.service.recheck(self.brand, view.id, text)

    def _pack(self) -> BrandPack | None:
        try:
            return self.service.pack(self.brand)
        except ZhenxinError:
            return None

    def passages(self, view: DraftView) -> list[tuple[Source, str]]:
        """Each knowledge source of the draft with the text it points at (the chunk when
        known, else the start of the document); empty text if the pack is not ingested."""
        pack = self._pack()
        out = []
        for source in view.draft.sources:
            text = ""
            if pack is not None:
                try:
                    doc = pack.doc(source.doc_id)
                except KeyError:
                    doc = None
                if doc is not None:
                    chunks = {c.id: c.text for c in chunk_docs(self.brand, [doc])}
                    text = chunks.get(source.chunk_id) or doc.body
            out.append((source, _excerpt(text)))
        return out

    def stage_names(self, lang: str) -> dict[str, str]:
        """Stage id -> name in ``lang``: the brand's own stages if its pack is ingested,
        plus the five defaults."""
        names = {s.id: s.name(lang) for s in DEFAULT_STAGES}
        pack = self._pack()
        if pack is not None:
            names |= {s.id: s.name(lang) for s in pack.brand.stages}
        return names

    def customer_names(self, customer_ids: set[str]) -> dict[str, str]:
        """Names of the brand's stored customers, for the queue."""
        return self.service.customers.names(self.brand, customer_ids)

    def customer(self, view: DraftView) -> Customer | None:
        """The draft's customer as stored now (the one customer store)."""
        cid = view.draft.customer
        return self.service.customers.find(self.brand, cid) if cid else None

    def replies(self, view: DraftView) -> list[Reply]:
        """What the customer answered to this draft (replies and complaints, events that
        name it), oldest first; criticism is marked."""
        if self.flywheel is None:
            return []
        return [
            Reply(
                type=row.type,
                at=row.at,
                text=row.text or "",
                criticism=bool(row.criticism) or row.type == "complaint",
                topic=row.topic or "",
            )
            for row in self.flywheel.replies(self.brand, view.id)
        ]

    def outcomes(self, *, since: dt.date, until: dt.date) -> dict[str, Any]:
        """The flywheel's outcomes report for the key's brand (see ``flywheel.report``)."""
        if self.flywheel is None:
            raise ZhenxinError("the outcomes report needs the flywheel")
        return self.flywheel.outcomes(self.brand, since=since, until=until)

    def save(self, draft_id: str, text: str, base_version: int) -> int:
        """A new version; ConflictError when ``base_version`` is stale. Returns its number."""
        record = self.service.edit(
            self.brand,
            draft_id,
            text=text,
            version=base_version,
            author=self.key.prefix,
            note="edited in the review form",
        )
        assert record.draft is not None
        return record.draft.current_version

    def decide(
        self, draft_id: str, *, approve: bool, reason: str, override_reason: str, version: int
    ) -> None:
        self.service.decide(
            self.brand,
            draft_id,
            approve=approve,
            reviewer=self.key.prefix,
            reason=reason,
            override_reason=override_reason,
            version=version,
        )

    def regenerate(self, view: DraftView) -> str:
        """A new draft for the same request (the old one stays); its job runs in the
        background. Returns the new draft's id."""
        return self.service.regenerate(self.brand, view.id, requested_by=self.key.prefix)

    def job(self, draft_id: str) -> repo.DraftRecord:
        """The stored request (job) of a draft that may have no text yet."""
        return repo.get_record(self.db, self.brand, draft_id)


_MARKDOWN = re.compile(r"(^|\s)#{1,6}\s|\*\*|__|`")


def _excerpt(text: str, limit: int = 160) -> str:
    """A short plain-text excerpt (Markdown markers dropped, whitespace folded)."""
    text = " ".join(_MARKDOWN.sub(" ", text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _draft(data: dict[str, Any] | None) -> Draft | None:
    if not data:
        return None
    try:
        return Draft.model_validate(data)
    except ValidationError:
        return None
