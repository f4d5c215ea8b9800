"""The drafting service: the one way a draft is requested, made, stored, re-checked and decided.

Every door goes through it — the HTTP routes, the review form (regenerate, live check, save,
approve), the batch runners (in-process and Dramatiq), the CLI and the scenario runner — so
they cannot disagree about which customer a draft is for, whether that customer may be
contacted, what the checks see, or what approval records::

    submit ──▶ job (stored request, status generating) ──▶ run: claim ─▶ resolve customer
                                                               (store + consent) ─▶ drafter
                                                               ─▶ store draft (version 1)
    edit / recheck ──▶ the draft's stored check basis + the text ──▶ checker ──▶ new version
    decide ──▶ consent again (approve) ──▶ review ──▶ contact log (personal kinds)

A request answers at once with its id (:meth:`submit`); the job runs on a :class:`JobQueue`
(worker threads, or Dramatiq workers). :meth:`generate` runs one in the caller's thread.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from core.errors import NotFoundError, PayloadTooLargeError, RateLimitedError, ZhenxinError
from core.settings import Settings
from drafting.customers import CustomerStore
from drafting.jobs import InlineQueue, JobQueue, lease_kept
from evals.types import Checker, CheckReport
from generator.basis import CheckBasis
from generator.drafts import Draft, DraftRequest
from generator.exemplars import Exemplar
from generator.kinds import PERSONAL_KINDS, kind_spec
from generator.pipeline import Drafter
from generator.planner import invitation_tier
from knowledge.pack import Brand, BrandPack, Channel, Contact, Customer
from knowledge.retriever import Knowledge
from storage import contacts
from storage import drafts as repo
from storage import exemplars as exemplar_rows
from storage.drafts import DraftRecord

log = logging.getLogger("zhenxin.drafting")

POLL_SECONDS = 0.05


def _today() -> dt.date:
    return dt.date.today()


class DraftingService:
    """See the module docstring. Thread-safe: every method opens its own transaction."""

    def __init__(
        self,
        settings: Settings,
        *,
        sessions: sessionmaker[Session],
        knowledge: Knowledge,
        drafter: Drafter | None = None,
        drafter_factory: Callable[[], Drafter] | None = None,
        checker: Checker | None = None,
        queue: JobQueue | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.knowledge = knowledge
        self.customers = CustomerStore(sessions)
        if drafter is None and drafter_factory is None:
            raise ValueError("give a drafter or a drafter_factory")
        self._drafter = drafter
        self._drafter_factory = drafter_factory
        self._build_lock = threading.Lock()
        self._checker = checker
        self.queue: JobQueue = queue or InlineQueue(self.run)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, sessions: sessionmaker[Session] | None = None
    ) -> DraftingService:
        """The service the CLI and the workers use: database, knowledge base and pipeline
        from settings (the model loads on the first draft)."""
        from generator.pipeline import build_pipeline
        from knowledge.service import KnowledgeBase
        from storage.db import open_database

        if sessions is None:
            _, sessions = open_database(settings)
        knowledge = KnowledgeBase(settings)

        def drafter() -> Drafter:
            return build_pipeline(settings, knowledge=knowledge)

        return cls(settings, sessions=sessions, knowledge=knowledge, drafter_factory=drafter)

    # --- collaborators ---------------------------------------------------------------------
    @property
    def drafter(self) -> Drafter:
        """The drafter, built on first use (loading a local model takes seconds)."""
        if self._drafter is None:
            with self._build_lock:
                if self._drafter is None:
                    assert self._drafter_factory is not None
                    self._drafter = self._drafter_factory()
        return self._drafter

    @property
    def checker(self) -> Checker:
        if self._checker is None:
            from evals import check

            self._checker = check
        return self._checker

    def pack(self, brand_id: str) -> BrandPack:
        return self.knowledge.pack(brand_id)

    def brand(self, brand_id: str) -> Brand | None:
        """The brand's current rules, or None if its pack was never ingested."""
        try:
            return self.pack(brand_id).brand
        except ZhenxinError:
            return None

    def limit_text(self, text: str | None, field: str) -> None:
        if text is not None and len(text) > self.settings.max_text_chars:
            raise PayloadTooLargeError(
                f"{field} has {len(text)} characters; the limit is {self.settings.max_text_chars}",
                hint="ZHENXIN_MAX_TEXT_CHARS",
            )

    # --- requests and jobs -----------------------------------------------------------------
    def _validate(self, brand_id: str, request: DraftRequest) -> Customer | None:
        """What can be refused before any model call: unknown brand, a kind without its
        customer, an unknown or opted-out customer (an inline one is stored)."""
        self.limit_text(request.question, "question")
        self.limit_text(request.theme, "theme")
        brand = self.pack(brand_id).brand  # NotFoundError for a brand never ingested
        spec = kind_spec(request.kind)
        customer = self.customers.resolve(
            brand_id, customer_id=request.customer_id, inline=request.customer, brand=brand
        )
        if customer is None and spec.needs_customer:
            raise NotFoundError(f"a {spec.kind.value} needs a customer", hint="give customer_id")
        if spec.needs_tier and customer is not None:  # unknown tier, or one they are not for
            invitation_tier(brand, request.tier, customer)
        return customer

    def _store(
        self,
        brand_id: str,
        request: DraftRequest,
        *,
        requested_by: str,
        as_of: dt.date | None,
        customer: Customer | None,
    ) -> str:
        # The job reads the customer from the store by id: the request keeps only the id.
        payload = request.model_dump(
            mode="json", exclude_none=True, exclude={"brand", "customer", "customer_id"}
        )
        if customer is not None:
            payload["customer_id"] = customer.id
        with self.sessions.begin() as s:
            row = repo.new_request(
                s,
                brand_id,
                payload,
                kind=request.kind.value,
                customer_id=customer.id if customer else None,
                requested_by=requested_by,
                as_of=as_of,
            )
            return row.id

    def submit(
        self,
        brand_id: str,
        request: DraftRequest,
        *,
        requested_by: str = "",
        as_of: dt.date | None = None,
    ) -> str:
        """Store the request as a job and hand it to the queue; returns the draft id.
        Refusals (unknown customer, opt-out, a full queue) come before anything is stored."""
        customer = self._validate(brand_id, request)
        if self.queue.full():
            raise RateLimitedError("the draft queue is full", retry_after=10.0, hint="try later")
        draft_id = self._store(
            brand_id, request, requested_by=requested_by, as_of=as_of, customer=customer
        )
        self.queue.submit(draft_id)
        return draft_id

    def generate(
        self,
        brand_id: str,
        request: DraftRequest,
        *,
        requested_by: str = "",
        as_of: dt.date | None = None,
    ) -> DraftRecord:
        """Request and draft in the caller's thread; the stored error is raised on failure."""
        customer = self._validate(brand_id, request)
        draft_id = self._store(
            brand_id, request, requested_by=requested_by, as_of=as_of, customer=customer
        )
        self.run(draft_id)
        record = self.record(brand_id, draft_id)
        if record.request.status == "failed":
            raise stored_error(record)
        return record

    def run(self, draft_id: str) -> None:
        """The job: claim it, resolve the customer (consent), draft, store. A job that is
        done, failed or held by a live worker is left alone. Failures are stored, not raised."""
        with self.sessions.begin() as s:
            token = repo.claim(s, draft_id, lease_seconds=self.settings.job_lease_seconds)
        if token is None:
            return
        with self.sessions() as s:
            row = s.get(repo.DraftRequestRow, draft_id)
            assert row is not None
            brand_id, payload, as_of = row.brand_id, dict(row.payload), row.as_of
        lease = self.settings.job_lease_seconds

        def renew() -> bool:
            with self.sessions.begin() as s:
                return repo.renew(s, draft_id, token, lease_seconds=lease)

        try:
            request = DraftRequest.model_validate({**payload, "brand": brand_id})
            with lease_kept(renew, every=lease / 3):
                draft = self.draft(brand_id, request, as_of=as_of or _today())
        except ZhenxinError as exc:
            self._fail(draft_id, token, exc.to_dict())
            return
        except Exception as exc:
            log.exception("draft %s failed unexpectedly", draft_id)
            self._fail(draft_id, token, {"code": "internal", "message": type(exc).__name__})
            return
        except BaseException:  # interrupted: give the job back for the next worker
            with self.sessions.begin() as s:
                repo.release(s, draft_id, token)
            raise
        with self.sessions.begin() as s:
            row = s.get(repo.DraftRequestRow, draft_id)
            assert row is not None
            repo.save_generated(s, row, draft.model_dump(mode="json"), token=token)

    def _fail(self, draft_id: str, token: str, error: dict[str, Any]) -> None:
        with self.sessions.begin() as s:
            row = s.get(repo.DraftRequestRow, draft_id)
            assert row is not None
            repo.mark_failed(s, row, error, token=token)

    def draft(self, brand_id: str, request: DraftRequest, *, as_of: dt.date) -> Draft:
        """One draft, not stored: the customer from the store (consent checked), then the
        drafter. Batch items call this and store the draft with their item state."""
        brand = self.pack(brand_id).brand
        customer = self.customers.resolve(
            brand_id, customer_id=request.customer_id, inline=request.customer, brand=brand
        )
        request = request.model_copy(
            update={
                "brand": brand_id,
                "customer": None,
                "customer_id": customer.id if customer else request.customer_id,
            }
        )
        with self.sessions() as s:
            voice = [
                Exemplar(
                    kind=r.kind, text=r.text, trigger=r.trigger, stage=r.stage, edited=r.edited
                )
                for r in exemplar_rows.for_kind(s, brand_id, request.kind.value)
            ]
            others = (
                repo.waiting(
                    s,
                    brand_id,
                    customer.id,
                    around=as_of,
                    other_than=request.kind.value,
                    kinds=PERSONAL_KINDS,
                )
                if customer is not None and kind_spec(request.kind).personal
                else []
            )
        draft = self.drafter.draft(request, customer=customer, as_of=as_of, exemplars=voice)
        return self._with_waiting(draft, others, brand) if others else draft

    def _with_waiting(self, draft: Draft, others: list[tuple[dt.date, str]], brand: Brand) -> Draft:
        """The draft checked again knowing the customer's other drafts for these days (the
        drafter has no store): both sent would be two messages in a day."""
        if draft.basis is None:
            return draft
        known = {c.value for c in Channel}
        waiting = [Contact(date=d, channel=Channel(c)) for d, c in others if c in known]
        basis = draft.basis.model_copy(update={"waiting": waiting})
        report = self.checker(basis.context(draft.text, brand))
        return draft.model_copy(
            update={
                "basis": basis,
                "verdict": report.verdict,
                "score": report.score,
                "findings": list(report.findings),
            }
        )

    def retry(self, brand_id: str, draft_id: str) -> str:
        """A failed job again, under the same id."""
        with self.sessions.begin() as s:
            repo.retry(s, brand_id, draft_id)
        self.queue.submit(draft_id)
        return draft_id

    def regenerate(self, brand_id: str, draft_id: str, *, requested_by: str) -> str:
        """A new draft for the same request (the old one stays); returns the new id."""
        record = self.record(brand_id, draft_id)
        payload = {k: v for k, v in (record.request.payload or {}).items() if k != "brand"}
        request = DraftRequest.model_validate({**payload, "brand": brand_id})
        return self.submit(brand_id, request, requested_by=requested_by, as_of=record.request.as_of)

    def recover(self) -> int:
        """Submit every job nobody holds (never claimed, or its process died). Returns how
        many; stops early when the queue is full (the rest wait for the next sweep)."""
        with self.sessions() as s:
            stale = [row.id for row in repo.stale_jobs(s)]
        sent = 0
        for draft_id in stale:
            if self.queue.full():
                break
            try:
                self.queue.submit(draft_id)
            except ZhenxinError:
                break
            sent += 1
        return sent

    def wait(self, brand_id: str, draft_id: str, timeout: float) -> DraftRecord:
        """The record once its job is done or failed, or as it is after ``timeout`` seconds."""
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            record = self.record(brand_id, draft_id)
            if record.request.status != "generating" or time.monotonic() >= deadline:
                return record
            time.sleep(POLL_SECONDS)

    def record(self, brand_id: str, draft_id: str) -> DraftRecord:
        with self.sessions() as s:
            return repo.get_record(s, brand_id, draft_id)

    # --- checks ----------------------------------------------------------------------------
    def basis(self, brand_id: str, record: DraftRecord) -> CheckBasis:
        """The check basis stored with the draft (drafts made before it was stored get one
        rebuilt from what they kept)."""
        data = record.generated or {}
        if data.get("basis"):
            return CheckBasis.model_validate(data["basis"])
        customer = None
        if record.draft is not None and record.draft.customer_id:
            customer = self.customers.find(brand_id, record.draft.customer_id)
        return legacy_basis(self._pack_or_none(brand_id), data, customer)

    def _pack_or_none(self, brand_id: str) -> BrandPack | None:
        try:
            return self.pack(brand_id)
        except ZhenxinError:
            return None

    def recheck(self, brand_id: str, draft_id: str, text: str) -> CheckReport:
        """Check ``text`` as this draft: the draft's stored basis, the brand's current rules."""
        self.limit_text(text, "text")
        record = self.record(brand_id, draft_id)
        basis = self.basis(brand_id, record)
        return self.checker(basis.context(text, self.brand(brand_id)))

    def check_text(
        self,
        brand_id: str,
        text: str,
        *,
        lang: str | None = None,
        channel: str | None = None,
        kind: str | None = None,
        customer_id: str | None = None,
        stage: str | None = None,
        belief: str | None = None,
        purpose: str | None = None,
    ) -> CheckReport:
        """Check a text on its own with the brand's pack and, if named, the stored customer
        and their contact log (``POST /v1/check``, ``zhenxin check --brand``)."""
        from evals import detect_lang

        self.limit_text(text, "text")
        pack = self._pack_or_none(brand_id)
        customer = self.customers.get(brand_id, customer_id) if customer_id else None
        basis = CheckBasis.for_text(
            pack,
            lang=lang or (pack.brand.language if pack else detect_lang(text)),
            channel=channel,
            kind=kind,
            customer=customer,
            stage=stage,
            belief=belief,
            purpose=purpose,
        )
        return self.checker(basis.context(text, pack.brand if pack else None))

    # --- review ----------------------------------------------------------------------------
    def approve_batch(
        self, brand_id: str, batch_id: str, *, reviewer: str
    ) -> tuple[list[str], list[tuple[str, str]]]:
        """Approve every draft of a batch that waits for review and passes every check, each
        as its own decision (consent checked, contact logged). Drafts with findings stay for a
        person. Returns the approved ids and (id, why not) for the rest."""
        passing, skipped = _passing_in_batch(self, brand_id, batch_id)
        approved: list[str] = []
        for draft_id in passing:
            try:
                self.decide(
                    brand_id,
                    draft_id,
                    approve=True,
                    reviewer=reviewer,
                    reason="approved with its batch: every check passed",
                    exemplar=False,
                )
            except ZhenxinError as exc:  # an opt-out since, a concurrent edit: say so, go on
                skipped.append((draft_id, exc.message))
            else:
                approved.append(draft_id)
        return approved, skipped

    def edit(
        self,
        brand_id: str,
        draft_id: str,
        *,
        text: str,
        version: int,
        author: str,
        note: str = "",
        subject: str | None = None,
    ) -> DraftRecord:
        """Save an edited text as a new version, checked on the draft's basis. For an email
        the subject is the text's first line; a ``subject`` given on its own replaces it."""
        record = self.record(brand_id, draft_id)
        emailed = record.draft is not None and record.draft.channel == Channel.EMAIL.value
        if emailed and (record.generated or {}).get("subject"):  # "subject\n\nbody ..."
            text, subject = with_subject(text, subject)
        else:
            subject = None
        report = self.recheck(brand_id, draft_id, text)
        with self.sessions.begin() as s:
            repo.add_version(
                s,
                brand_id,
                draft_id,
                expected_version=version,
                text=text,
                subject=subject,
                verdict=report.verdict.value,
                score=report.score,
                findings=[f.model_dump(mode="json") for f in report.findings],
                author=author,
                note=note,
            )
        return self.record(brand_id, draft_id)

    def decide(
        self,
        brand_id: str,
        draft_id: str,
        *,
        approve: bool,
        reviewer: str,
        reason: str = "",
        override_reason: str = "",
        version: int | None = None,
        purpose: str | None = None,
        exemplar: bool = True,
    ) -> DraftRecord:
        """Approve or reject the current version. Approving a draft to one customer checks
        consent again (they may have opted out since it was drafted) and logs the contact.
        An approved text becomes an example of the brand's voice for later drafts, unless
        ``exemplar`` is False (drafts approved in bulk: no person read them one by one)."""
        record = self.record(brand_id, draft_id)
        personal = kind_spec(record.request.kind).personal
        customer_id = record.draft.customer_id if record.draft is not None else None
        if approve and personal and customer_id:
            self.customers.require_contactable(brand_id, customer_id)
        with self.sessions.begin() as s:
            draft, _version, _review = repo.review(
                s,
                brand_id,
                draft_id,
                decision="approve" if approve else "reject",
                reviewer=reviewer,
                reason=reason,
                override_reason=override_reason,
                version=version,
            )
            if approve and exemplar:  # as approved, edits and all: the brand's voice
                body = _version.text
                if _version.subject and body.startswith(_version.subject):
                    body = body[len(_version.subject) :].lstrip()
                exemplar_rows.add(
                    s,
                    brand_id,
                    kind=draft.kind,
                    stage=draft.stage,
                    trigger=draft.trigger,
                    text=body,
                    draft_id=draft.id,
                    edited=_version.version > 1,
                )
            if approve and personal and draft.customer_id:
                contacts.record_contact(
                    s,
                    brand_id,
                    draft.customer_id,
                    channel=draft.channel or "wechat",
                    purpose=purpose or "care",
                    draft_id=draft.id,
                )
        return self.record(brand_id, draft_id)


def _passing_in_batch(
    service: DraftingService, brand_id: str, batch_id: str
) -> tuple[list[str], list[tuple[str, str]]]:
    """The batch's drafts waiting for review: ids that pass, and (id, verdict) of the rest."""
    passing: list[str] = []
    others: list[tuple[str, str]] = []
    offset, page = 0, 200
    while True:
        with service.sessions() as s:
            records = repo.list_records(
                s,
                brand_id,
                batch=batch_id,
                status="pending_review",
                with_text=True,
                limit=page,
                offset=offset,
            )
        for rec in records:
            verdict = rec.current.verdict if rec.current is not None else "?"
            (passing.append(rec.id) if verdict == "pass" else others.append((rec.id, verdict)))
        if len(records) < page:
            return passing, others
        offset += page


def stored_error(record: DraftRecord) -> ZhenxinError:
    """The error a failed job stored, as an exception of the right kind."""
    from core import errors

    error = dict(record.request.error or {})
    code = str(error.get("code", "error"))
    message = str(error.get("message", "the draft failed"))
    hint = error.get("hint")
    by_code: dict[str, type[ZhenxinError]] = {
        cls.code: cls
        for cls in (
            errors.NotFoundError,
            errors.RefusedError,
            errors.MissingKnowledgeError,
            errors.EmptyIndexError,
            errors.ProviderError,
            errors.ConfigError,
            errors.ConflictError,
            errors.PermissionDeniedError,
        )
    }
    cls = by_code.get(code, ZhenxinError)
    exc = cls(message, hint=str(hint) if hint else None)
    exc.details = {"draft_id": record.id, "retry": f"/v1/drafts/{record.id}/retry"}  # type: ignore[attr-defined]
    return exc


def with_subject(text: str, subject: str | None) -> tuple[str, str]:
    """An email's text and subject kept in step: the subject is the text's first line."""
    head, sep, rest = text.partition("\n")
    if subject is not None:
        subject = " ".join(subject.split())  # one line: a newline in a subject is a header break
        return (f"{subject}{sep}{rest}" if sep else subject), subject
    return text, " ".join(head.split())


def legacy_basis(
    pack: BrandPack | None, data: dict[str, Any], customer: Customer | None
) -> CheckBasis:
    """A basis for a draft stored before drafts kept theirs: its sources' documents, its
    belief, its customer as stored now."""
    sources: list[str] = []
    if pack is not None:
        for source in data.get("sources") or []:
            try:
                sources.append(pack.doc(str(source.get("doc_id", ""))).body)
            except KeyError:
                continue
    kind = data.get("kind")
    basis = CheckBasis.for_text(
        pack,
        lang=str((data.get("plan") or {}).get("lang") or (pack.brand.language if pack else "zh")),
        channel=data.get("channel"),
        kind=kind,
        customer=customer,
        stage=data.get("stage"),
        belief=data.get("belief") if kind and kind_spec(kind).carries_belief else None,
    )
    return basis.model_copy(update={"sources": sources, "trigger": data.get("trigger")})


__all__ = ["DraftingService", "legacy_basis", "stored_error", "with_subject"]
