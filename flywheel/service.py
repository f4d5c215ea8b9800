"""The one door for the flywheel: events in (API, CLI import, the batch's holdout), the
lifecycle kept, core members and the outcomes report out."""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drafting.service import DraftingService
from flywheel import members as members_mod
from flywheel import report
from flywheel.event_files import read_events
from flywheel.events import Event, Rejected
from flywheel.ingest import Ingest, IngestResult
from flywheel.parallel import ingest_in_processes
from storage import events as event_rows
from storage.models import EventRow

MEMBERS_CHUNK = 2000  # customers scored at a time
FILE_PART = 5000  # rows of an events file handed on at a time (to a worker, if several)


@dataclass(frozen=True)
class StageChange:
    from_stage: str
    to_stage: str
    at: dt.date
    why: str
    rule: str
    event_id: str | None


class FlywheelService:
    def __init__(self, drafting: DraftingService) -> None:
        self.drafting = drafting
        self.sessions = drafting.sessions

    # --- events in --------------------------------------------------------------------------
    def ingest(
        self,
        brand_id: str,
        items: Iterable[Mapping[str, Any] | Event | Rejected],
        *,
        actor: str = "event",
    ) -> IngestResult:
        """Store new events and apply what they mean (:class:`flywheel.ingest.Ingest`). Bad
        items are reported by index and the rest are kept."""
        return Ingest(self.sessions, brand_id, self.drafting.brand(brand_id)).run(
            items, actor=actor
        )

    def ingest_batches(
        self,
        brand_id: str,
        batches: Iterable[Sequence[Mapping[str, Any] | Event | Rejected]],
        *,
        workers: int = 1,
        actor: str = "event",
    ) -> IngestResult:
        """:meth:`ingest` of ``batches`` numbered as one list (a file read in parts).
        ``workers`` > 1 runs it in that many processes, each a share of the customers
        (PostgreSQL only: :mod:`flywheel.parallel`)."""
        brand = self.drafting.brand(brand_id)
        if workers > 1:
            url = self.sessions.kw["bind"].url.render_as_string(hide_password=False)
            return ingest_in_processes(url, brand_id, brand, batches, workers=workers, actor=actor)
        items = itertools.chain.from_iterable(batches)
        return Ingest(self.sessions, brand_id, brand).run(items, actor=actor)

    def ingest_file(
        self, brand_id: str, path: Path, *, workers: int = 1, actor: str = "import"
    ) -> IngestResult:
        """:meth:`ingest_batches` of an events file (``zhenxin events import``), read as the
        ingest takes it, FILE_PART rows at a time: a file of any size in bounded memory.
        A file no row of which could be read is refused before anything is stored
        (:func:`flywheel.event_files.read_events`)."""
        items = read_events(path)
        parts = iter(lambda: list(itertools.islice(items, FILE_PART)), [])
        return self.ingest_batches(brand_id, parts, workers=workers, actor=actor)

    # --- reads ------------------------------------------------------------------------------
    def stage_history(self, brand_id: str, customer_id: str) -> list[StageChange]:
        with self.sessions() as s:
            return [
                StageChange(r.from_stage, r.to_stage, r.at, r.why, r.rule, r.event_id)
                for r in event_rows.stage_history(s, brand_id, customer_id)
            ]

    def replies(self, brand_id: str, draft_id: str) -> list[EventRow]:
        with self.sessions() as s:
            return event_rows.replies_to(s, brand_id, draft_id)

    def members(
        self, brand_id: str, *, on: dt.date, limit: int = 50, core_only: bool = False
    ) -> list[members_mod.Member]:
        """The highest-scoring customers (ties by id), read MEMBERS_CHUNK at a time so a
        brand of any size fits in memory, each chunk's replies and sends counted by the
        database; each member with its reasons and the tiers they may join."""
        brand = self.drafting.brand(brand_id)
        if brand is None:
            return []
        since, until = members_mod.span(on)
        tiers: dict[str, tuple[str, ...]] = {}

        def scored() -> Iterator[members_mod.Member]:
            people = self.drafting.customers.iter_all(brand_id, chunk=MEMBERS_CHUNK)
            while chunk := list(itertools.islice(people, MEMBERS_CHUNK)):
                with self.sessions() as s:
                    engaged = event_rows.engagement(
                        s, brand_id, chunk[0].id, chunk[-1].id, since=since, until=until
                    )
                for m in members_mod.rank(brand, chunk, engaged, on, tiers=tiers):
                    if m.core or not core_only:
                        yield m

        # nsmallest keeps only ``limit`` members while the brand streams past
        return heapq.nsmallest(limit, scored(), key=lambda m: (-m.score, m.customer_id))

    def outcomes(
        self,
        brand_id: str,
        *,
        since: dt.date,
        until: dt.date,
        as_of: dt.date | None = None,
        by: Sequence[str] = report.GROUP_FIELDS,
    ) -> dict[str, Any]:
        with self.sessions() as s:
            return report.outcomes(s, brand_id, since=since, until=until, as_of=as_of, by=by)

    def events_of(self, brand_id: str, customer_id: str, *, limit: int = 200) -> list[EventRow]:
        with self.sessions() as s:
            return event_rows.for_customer(s, brand_id, customer_id, limit=limit)


__all__ = ["FlywheelService", "IngestResult", "StageChange"]
