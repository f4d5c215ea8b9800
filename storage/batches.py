"""Batches and their items in the database: creation, per-item state, drafts into the queue.

A batch is one row of ``batches`` (``params`` holds the spec and every item's request, which
never change after creation); each item is one row of ``batch_items`` with its state::

    pending ──claim──▶ running ──▶ done      (the draft is in the review queue)
       ▲                  │    └─▶ failed    (error kept; --retry-failed puts it back)
       └──── reset ───────┘        skipped   (decided at planning: opted out, caps, ...)

Idempotency: ``(batch_id, key)`` is unique; :meth:`claim` moves one item from pending (or
from running whose lease ran out: its worker died) to running with a conditional UPDATE that
writes a random claim token and a lease (so two workers never draft the same item); only the
token holder may :meth:`complete` or :meth:`fail` it (they lock the row to check).
:meth:`complete` writes the draft (request, draft, version 1) and marks the item done in ONE
transaction, with a draft id derived from the item, so a crash either keeps
both or neither. :meth:`reset` puts back only items whose lease ran out (their process died),
never the items a live run holds. Counts and status are computed from the items when read;
:meth:`refresh` caches them on the batch row. Drafts are stored as JSON: this module does not
know the generator's types.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import secrets
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from core.errors import ConflictError, NotFoundError
from knowledge.pack import Channel, Contact
from storage.brands import ensure_brand
from storage.drafts import save_generated
from storage.models import (
    BatchItemRow,
    BatchRow,
    ContactRow,
    DraftRequestRow,
    DraftRow,
    DraftVersionRow,
    utcnow,
)

STATES = ("pending", "running", "done", "failed", "skipped")
TERMINAL = frozenset({"done", "failed", "skipped"})


def draft_id_for(batch_id: str, key: str) -> str:
    """The draft id of a batch item: stable, so a re-run can never create a second draft."""
    return hashlib.sha256(f"{batch_id}\x00{key}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class CurrentVersion:
    status: str  # pending_review | approved | rejected
    version: int
    text: str
    subject: str | None
    verdict: str
    score: float


@dataclass(frozen=True)
class ItemRecord:
    batch_id: str
    key: str
    status: str
    attempts: int
    error: str | None
    draft_id: str | None
    spec: dict[str, Any]  # the item's plan entry (request, customer, tier, occurrence, note)


@dataclass(frozen=True)
class BatchRecord:
    id: str
    brand_id: str
    kind: str
    status: str
    params: dict[str, Any]
    counts: dict[str, int]
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class BatchRepository:
    """All database access of the batch jobs."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        bind = sessions.kw.get("bind")
        sqlite = bind is not None and bind.dialect.name == "sqlite"
        # SQLite has one writer at a time and its busy handler *sleeps* (up to 100 ms) when
        # the lock is taken; threads of one process queue on a Python lock instead, which
        # wakes them at once. Other databases lock rows and need nothing here.
        self._write_lock: AbstractContextManager[Any] = (
            threading.Lock() if sqlite else contextlib.nullcontext()
        )
        # Item specs never change after creation: a worker reads a batch's specs once, not
        # the whole ``params`` JSON (every item's request) again for each item it drafts.
        self._specs: dict[str, dict[str, Any]] = {}
        self._specs_lock = threading.Lock()

    @contextlib.contextmanager
    def _write(self) -> Iterator[Session]:
        with self._write_lock, self.sessions.begin() as s:
            yield s

    # --- batches ---------------------------------------------------------------------------
    def create(
        self,
        batch_id: str,
        *,
        brand_id: str,
        kind: str,
        params: dict[str, Any],
        items: Sequence[dict[str, Any]],
    ) -> bool:
        """Create the batch with its items (each a dict with ``key`` and optional ``skip``).

        Returns False (and changes nothing) when the batch already exists: a re-run resumes.
        """
        with self._write() as s:
            if s.get(BatchRow, batch_id) is not None:
                return False
            ensure_brand(s, brand_id)
            specs = {it["key"]: it for it in items}
            s.add(
                BatchRow(
                    id=batch_id,
                    brand_id=brand_id,
                    kind=kind,
                    params={**params, "items": specs},
                    status="pending",
                    total=len(specs),
                )
            )
            s.flush()
            for key, it in specs.items():
                skip = it.get("skip")
                s.add(
                    BatchItemRow(
                        batch_id=batch_id,
                        key=key,
                        status="skipped" if skip else "pending",
                        error=skip or None,
                    )
                )
            self._recount(s, batch_id)
        return True

    def get(self, batch_id: str) -> BatchRecord:
        with self.sessions() as s:
            row = s.get(BatchRow, batch_id)
            if row is None:
                raise NotFoundError(f"no batch {batch_id!r}")
            counts = self._counts(s, batch_id)
            return BatchRecord(
                id=row.id,
                brand_id=row.brand_id,
                kind=row.kind,
                status=self._status(counts),
                params=dict(row.params or {}),
                counts=counts,
                created_at=row.created_at,
                updated_at=row.updated_at,
            )

    def list_for_brand(self, brand_id: str, kind: str | None = None) -> list[BatchRecord]:
        with self.sessions() as s:
            q = select(BatchRow.id).where(BatchRow.brand_id == brand_id)
            if kind:
                q = q.where(BatchRow.kind == kind)
            ids = list(s.scalars(q.order_by(BatchRow.created_at, BatchRow.id)))
        return [self.get(i) for i in ids]

    def set_status(self, batch_id: str, status: str) -> None:
        with self._write() as s:
            s.execute(update(BatchRow).where(BatchRow.id == batch_id).values(status=status))

    # --- items -----------------------------------------------------------------------------
    def items(self, batch_id: str, statuses: Iterable[str] | None = None) -> list[ItemRecord]:
        with self.sessions() as s:
            batch = s.get(BatchRow, batch_id)
            if batch is None:
                raise NotFoundError(f"no batch {batch_id!r}")
            specs: dict[str, Any] = (batch.params or {}).get("items", {})
            q = select(BatchItemRow).where(BatchItemRow.batch_id == batch_id)
            if statuses is not None:
                q = q.where(BatchItemRow.status.in_(list(statuses)))
            rows = s.scalars(q.order_by(BatchItemRow.id)).all()
            return [
                ItemRecord(
                    batch_id=r.batch_id,
                    key=r.key,
                    status=r.status,
                    attempts=r.attempts,
                    error=r.error,
                    draft_id=r.draft_id,
                    spec=specs.get(r.key, {}),
                )
                for r in rows
            ]

    def item(self, batch_id: str, key: str) -> ItemRecord:
        with self.sessions() as s:
            batch = s.get(BatchRow, batch_id)
            row = s.scalars(
                select(BatchItemRow).where(
                    BatchItemRow.batch_id == batch_id, BatchItemRow.key == key
                )
            ).first()
            if batch is None or row is None:
                raise NotFoundError(f"batch {batch_id!r} has no item {key!r}")
            return ItemRecord(
                batch_id=batch_id,
                key=key,
                status=row.status,
                attempts=row.attempts,
                error=row.error,
                draft_id=row.draft_id,
                spec=(batch.params or {}).get("items", {}).get(key, {}),
            )

    def spec(self, batch_id: str, key: str) -> dict[str, Any]:
        """One item's plan entry, from a per-repository cache of the batch's specs (they never
        change after :meth:`create`; the last few batches are kept)."""
        with self._specs_lock:
            specs = self._specs.get(batch_id)
        if specs is None:
            with self.sessions() as s:
                params = s.scalar(select(BatchRow.params).where(BatchRow.id == batch_id))
            if params is None:
                raise NotFoundError(f"no batch {batch_id!r}")
            specs = dict(params.get("items", {}))
            with self._specs_lock:
                while len(self._specs) >= 8:
                    self._specs.pop(next(iter(self._specs)))
                self._specs[batch_id] = specs
        if key not in specs:
            raise NotFoundError(f"batch {batch_id!r} has no item {key!r}")
        return dict(specs[key])

    def states(
        self, batch_id: str, statuses: Iterable[str] | None = None
    ) -> list[tuple[str, str, str | None, str | None]]:
        """``(key, status, draft_id, error)`` of the batch's items (no specs: cheap to poll)."""
        with self.sessions() as s:
            q = select(
                BatchItemRow.key, BatchItemRow.status, BatchItemRow.draft_id, BatchItemRow.error
            ).where(BatchItemRow.batch_id == batch_id)
            if statuses is not None:
                q = q.where(BatchItemRow.status.in_(list(statuses)))
            return [(k, st, d, e) for k, st, d, e in s.execute(q.order_by(BatchItemRow.id))]

    def stale(self, batch_id: str) -> list[str]:
        """Keys of items claimed by a run whose lease ran out (its process died)."""
        with self.sessions() as s:
            return list(
                s.scalars(
                    select(BatchItemRow.key)
                    .where(
                        BatchItemRow.batch_id == batch_id,
                        BatchItemRow.status == "running",
                        or_(
                            BatchItemRow.lease_until.is_(None), BatchItemRow.lease_until < utcnow()
                        ),
                    )
                    .order_by(BatchItemRow.id)
                )
            )

    def reset(self, batch_id: str, *, retry_failed: bool = False) -> int:
        """Put items whose run died (lease ran out) back to pending, and failed ones if asked.
        Items a live run holds are left alone."""
        now = utcnow()
        with self._write() as s:
            dead = (BatchItemRow.status == "running") & or_(
                BatchItemRow.lease_until.is_(None), BatchItemRow.lease_until < now
            )
            cond = or_(dead, BatchItemRow.status == "failed") if retry_failed else dead
            res = s.execute(
                update(BatchItemRow)
                .where(BatchItemRow.batch_id == batch_id, cond)
                .values(
                    status="pending",
                    error=None,
                    claim_token=None,
                    lease_until=None,
                    updated_at=now,
                )
            )
            self._recount(s, batch_id)
            return int(res.rowcount or 0)  # type: ignore[attr-defined]

    def held(self, batch_id: str) -> int:
        """How many items a live run holds right now."""
        with self.sessions() as s:
            return int(
                s.scalar(
                    select(func.count())
                    .select_from(BatchItemRow)
                    .where(
                        BatchItemRow.batch_id == batch_id,
                        BatchItemRow.status == "running",
                        BatchItemRow.lease_until >= utcnow(),
                    )
                )
                or 0
            )

    def claim(self, batch_id: str, key: str, *, lease_seconds: float = 60.0) -> str | None:
        """pending -> running for exactly one caller: its claim token, or None.

        A running item whose lease ran out (its worker was killed: nobody renews it) is taken
        over the same way, with a new token: the dead holder can no longer complete it, so a
        redelivered message drafts it once more and only once."""
        token = secrets.token_hex(16)
        now = utcnow()
        with self._write() as s:
            expired = (BatchItemRow.status == "running") & or_(
                BatchItemRow.lease_until.is_(None), BatchItemRow.lease_until < now
            )
            res = s.execute(
                update(BatchItemRow)
                .where(
                    BatchItemRow.batch_id == batch_id,
                    BatchItemRow.key == key,
                    or_(BatchItemRow.status == "pending", expired),
                )
                .values(
                    status="running",
                    attempts=BatchItemRow.attempts + 1,
                    claim_token=token,
                    lease_until=now + dt.timedelta(seconds=lease_seconds),
                    updated_at=now,
                )
            )
            return token if res.rowcount else None  # type: ignore[attr-defined]

    def renew(self, batch_id: str, key: str, token: str, *, lease_seconds: float) -> bool:
        """Extend the holder's lease; False if ``token`` no longer holds the item."""
        with self._write() as s:
            res = s.execute(
                update(BatchItemRow)
                .where(
                    BatchItemRow.batch_id == batch_id,
                    BatchItemRow.key == key,
                    BatchItemRow.claim_token == token,
                    BatchItemRow.status == "running",
                )
                .values(lease_until=utcnow() + dt.timedelta(seconds=lease_seconds))
            )
            return bool(res.rowcount)  # type: ignore[attr-defined]

    def release(self, batch_id: str, key: str, token: str) -> None:
        """Give a claimed item back (pending) at once: this run was interrupted."""
        with self._write() as s:
            s.execute(
                update(BatchItemRow)
                .where(
                    BatchItemRow.batch_id == batch_id,
                    BatchItemRow.key == key,
                    BatchItemRow.claim_token == token,
                    BatchItemRow.status == "running",
                )
                .values(status="pending", claim_token=None, lease_until=None)
            )

    @staticmethod
    def _held_item(s: Session, batch_id: str, key: str, token: str) -> BatchItemRow:
        item = s.scalars(  # locked: a takeover cannot slip between this check and the write
            select(BatchItemRow)
            .where(BatchItemRow.batch_id == batch_id, BatchItemRow.key == key)
            .with_for_update()
        ).one()
        if item.claim_token != token:
            raise ConflictError(f"item {key!r} of batch {batch_id!r} is no longer held by this run")
        return item

    def skip(self, batch_id: str, key: str, reason: str, *, token: str) -> None:
        """The holder decided at run time that the item must not be drafted (e.g. the
        customer opted out since the batch was planned)."""
        with self._write() as s:
            item = self._held_item(s, batch_id, key, token)
            item.status = "skipped"
            item.error = reason[:2000]
            item.claim_token = None
            item.lease_until = None

    def fail(self, batch_id: str, key: str, error: str, *, token: str) -> None:
        with self._write() as s:
            item = self._held_item(s, batch_id, key, token)
            item.status = "failed"
            item.error = error[:2000]
            item.claim_token = None
            item.lease_until = None

    def complete(
        self,
        batch_id: str,
        key: str,
        draft: dict[str, Any],
        *,
        request: dict[str, Any],
        token: str,
        as_of: dt.date | None = None,
    ) -> str:
        """Put the draft (a generated draft as JSON) in the review queue and mark the item
        done, atomically; only for the claim holder."""
        draft_id = draft_id_for(batch_id, key)
        with self._write() as s:
            item = self._held_item(s, batch_id, key, token)
            if item.status == "done" and item.draft_id:
                return item.draft_id
            # The draft and the item's "done" are written together, so a draft can only
            # exist already when the item is done; the lookups are for damaged data only.
            fresh = item.draft_id is None
            if fresh or s.get(DraftRow, draft_id) is None:  # brand row exists since create()
                req = None if fresh else s.get(DraftRequestRow, draft_id)
                if req is None:
                    req = DraftRequestRow(
                        id=draft_id,
                        brand_id=str(draft["brand"]),
                        kind=str(draft["kind"]),
                        customer_id=draft.get("customer"),
                        payload=request,
                        status="generating",
                        attempts=item.attempts,
                        requested_by=f"batch:{batch_id}"[:32],
                        batch_id=batch_id,
                        as_of=as_of,
                    )
                    s.add(req)
                    s.flush()
                save_generated(s, req, draft)
            item.status = "done"
            item.error = None
            item.draft_id = draft_id
            item.claim_token = None
            item.lease_until = None
        return draft_id

    def draft(self, draft_id: str) -> dict[str, Any]:
        """The generated draft (version 1) of a batch item, as stored (JSON)."""
        with self.sessions() as s:
            data = s.scalars(
                select(DraftVersionRow.data).where(
                    DraftVersionRow.draft_id == draft_id, DraftVersionRow.version == 1
                )
            ).first()
            if data is None:
                raise NotFoundError(f"no draft {draft_id!r}")
            return dict(data)

    def current(self, draft_id: str) -> CurrentVersion:
        """A draft's review status and its current version (what an editor approved)."""
        with self.sessions() as s:
            draft = s.get(DraftRow, draft_id)
            if draft is None:
                raise NotFoundError(f"no draft {draft_id!r}")
            row = s.scalars(
                select(DraftVersionRow).where(
                    DraftVersionRow.draft_id == draft_id,
                    DraftVersionRow.version == draft.current_version,
                )
            ).one()
            return CurrentVersion(
                status=draft.status,
                version=row.version,
                text=row.text,
                subject=row.subject,
                verdict=row.verdict,
                score=row.score,
            )

    def latest_text(self, draft_id: str) -> str:
        """The current text of a draft (an editor may have changed it since)."""
        with self.sessions() as s:
            text = s.scalars(
                select(DraftVersionRow.text)
                .where(DraftVersionRow.draft_id == draft_id)
                .order_by(DraftVersionRow.version.desc())
            ).first()
            if text is None:
                raise NotFoundError(f"no draft {draft_id!r}")
            return text

    def contact_log(
        self, brand_id: str, customer_ids: Sequence[str] | None = None
    ) -> dict[str, list[Contact]]:
        """Stored contacts per customer id (recorded when drafts are approved and sent), of
        these customers (None: every customer of the brand). The customers are read by the
        range of their ids and kept if asked for: a planner asks for a page of customers in
        id order, and a range walks the (brand, customer) index without an ``IN`` list of
        thousands of ids to send and expand."""
        out: dict[str, list[Contact]] = {}
        query = select(
            ContactRow.customer_id, ContactRow.date, ContactRow.channel, ContactRow.purpose
        ).where(ContactRow.brand_id == brand_id)
        wanted: set[str] | None = None
        if customer_ids is not None:
            if not customer_ids:
                return out
            wanted = set(customer_ids)
            query = query.where(
                ContactRow.customer_id >= min(wanted), ContactRow.customer_id <= max(wanted)
            )
        with self.sessions() as s:
            rows = s.connection().execute(query).all()  # Core: no ORM row per contact
        # a contact is a value (frozen): one instance per (day, channel, purpose) serves
        # every customer who got that contact (a few hundred instead of one per row)
        made: dict[tuple[Any, str, str], Contact] = {}
        for cid, date, channel, purpose in rows:
            if wanted is None or cid in wanted:
                key = (date, channel, purpose)
                contact = made.get(key)
                if contact is None:
                    contact = made[key] = Contact(
                        date=date, channel=Channel(channel), purpose=purpose
                    )
                out.setdefault(cid, []).append(contact)
        return out

    # --- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _counts(s: Session, batch_id: str) -> dict[str, int]:
        rows = s.execute(
            select(BatchItemRow.status, func.count())
            .where(BatchItemRow.batch_id == batch_id)
            .group_by(BatchItemRow.status)
        ).all()
        counts = dict.fromkeys(STATES, 0)
        counts.update({status: int(n) for status, n in rows})
        return counts

    @staticmethod
    def _status(counts: dict[str, int]) -> str:
        open_ = counts["pending"] + counts["running"]
        if counts["running"]:
            return "running"
        if open_:
            return "pending"
        return "has_failures" if counts["failed"] else "finished"

    def refresh(self, batch_id: str) -> None:
        """Store the current counts and status on the batch row (items are the truth)."""
        with self._write() as s:
            self._recount(s, batch_id)

    def _recount(self, s: Session, batch_id: str) -> None:
        s.flush()
        counts = self._counts(s, batch_id)
        status = self._status(counts)
        s.execute(
            update(BatchRow)
            .where(BatchRow.id == batch_id)
            .values(
                done=counts["done"],
                failed=counts["failed"],
                total=sum(counts.values()),
                status=status,
                updated_at=utcnow(),
            )
        )


__all__ = [
    "STATES",
    "TERMINAL",
    "BatchRecord",
    "BatchRepository",
    "CurrentVersion",
    "ItemRecord",
    "draft_id_for",
]
