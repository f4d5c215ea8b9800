"""Events in: store the new ones (by id), apply what they mean to the customers' records,
consent and contact logs, and move customers up a stage where the brand's rules say.

:class:`Ingest` is the work for one brand over one database; ``FlywheelService.ingest`` is
its door, and :mod:`flywheel.parallel` runs several over disjoint customers at once.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session, sessionmaker

from flywheel import lifecycle
from flywheel.events import (
    CO_CREATION,
    CONSENT_ENDING,
    Event,
    EventType,
    Rejected,
    validate_one,
)
from knowledge.pack import Brand, Customer, Purchase
from storage import consent, contacts
from storage import customers as customer_rows
from storage import events as event_rows
from storage.bulk import refresh_statistics_if_grown, select_in
from storage.models import DraftRow, EventRow

CHUNK = 2000  # events per transaction


@dataclass
class IngestResult:
    accepted: int = 0  # new events stored
    duplicates: int = 0  # ids already held (or twice in this batch): counted once
    rejected: list[Rejected] = field(default_factory=list)
    stage_changes: list[dict[str, Any]] = field(default_factory=list)
    opted_out: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [r.as_dict() for r in self.rejected],
            "stage_changes": self.stage_changes,
            "opted_out": self.opted_out,
        }


class Ingest:
    """One brand's events into one database (``brand`` None: a brand without a pack, whose
    events are stored and applied but move no one up a stage)."""

    def __init__(self, sessions: sessionmaker[Session], brand_id: str, brand: Brand | None) -> None:
        self.sessions = sessions
        self.brand_id = brand_id
        self.brand = brand
        # whether the next chunk looks its ids up before it writes: at first, and after a
        # chunk that met an id held already (a repeated file: nothing of a held event is
        # written or applied); a chunk of new events leaves it to the unique key instead,
        # which gives the same answer (the look-up cost a third of the write)
        self._look_up = True

    def run(
        self, items: Iterable[Mapping[str, Any] | Event | Rejected], *, actor: str = "event"
    ) -> IngestResult:
        """Store new events (by id; a repeat counts once), apply what they mean — a purchase
        joins the customer's orders, an unsubscribe or opt-out their consent, a send from
        another tool their contact log — and move customers up a stage where the rules say.
        Bad items (and items rejected already, e.g. a file's line that is not JSON) are
        reported by index and the rest are kept. ``items`` are taken CHUNK at a time as
        they come: a stream of any length is held a chunk at a time."""
        result = IngestResult()
        seen: set[str] = set()  # the chunk's ids (a repeat across chunks: the store's key)
        chunk: list[tuple[int, Event]] = []
        for index, item in enumerate(items):
            event = item if isinstance(item, Event | Rejected) else validate_one(item)
            if isinstance(event, Rejected):
                result.rejected.append(Rejected(index, event.id, event.error))
                continue
            if event.id in seen:
                result.duplicates += 1
                continue
            seen.add(event.id)
            chunk.append((index, event))
            if len(chunk) == CHUNK:
                self._ingest_chunk(chunk, actor, result)
                seen.clear()
                chunk = []
        if chunk:
            self._ingest_chunk(chunk, actor, result)
        result.rejected.sort(key=lambda r: r.index)
        return result

    def _ingest_chunk(
        self, chunk: Sequence[tuple[int, Event]], actor: str, result: IngestResult
    ) -> None:
        brand_id = self.brand_id
        with self.sessions.begin() as s:  # statistics kept up as the events grow
            refresh_statistics_if_grown(s, EventRow.__table__)  # type: ignore[arg-type]
        with self.sessions.begin() as s:
            # the ids the brand holds already, in one read: a held event is a duplicate
            # (the insert below would skip it too), and nothing of it is written or applied
            held_ids = (
                event_rows.existing_ids(s, brand_id, [e.id for _, e in chunk])
                if self._look_up
                else set()
            )
            fresh = {e.customer_id for _, e in chunk if e.id not in held_ids}
            # the chunk's customers: the records of those with events to apply (for
            # _apply), and for the rest only whether they are known
            stored = customer_rows.held(s, brand_id, fresh)
            known = stored.keys() | customer_rows.known(
                s, brand_id, {e.customer_id for _, e in chunk} - fresh
            )
            kept = []
            for index, event in chunk:
                if event.customer_id not in known:
                    result.rejected.append(
                        Rejected(index, event.id, f"unknown customer {event.customer_id!r}")
                    )
                elif event.id in held_ids:
                    result.duplicates += 1
                else:
                    kept.append(event)
            rows = [_row(brand_id, e) for e in kept]
            # no held id is expected: those looked up are left out, and a chunk that was
            # not looked up follows one that met none
            new_ids = event_rows.insert_new_rows(s, brand_id, rows, expect_new=True)
            result.duplicates += len(kept) - len(new_ids)
            result.accepted += len(new_ids)
            self._look_up = bool(held_ids) or len(new_ids) < len(kept)
            new = sorted((e for e in kept if e.id in new_ids), key=lambda e: e.at)
            if new:
                self._apply(s, new, stored, actor, result)

    def _apply(
        self,
        s: Any,
        new: Sequence[Event],
        stored: Mapping[str, customer_rows.Held],
        actor: str,
        result: IngestResult,
    ) -> None:
        brand_id, brand = self.brand_id, self.brand
        by_customer: dict[str, list[Event]] = defaultdict(list)
        for event in new:
            by_customer[event.customer_id].append(event)
        # the drafts named by sends (only a send of no draft we hold joins the contact log)
        drafted = _stored_drafts(
            s, brand_id, {e.draft_id for e in new if e.type == EventType.SENT and e.draft_id}
        )
        counted = {
            cid
            for cid, evs in by_customer.items()
            if any(
                e.type in (EventType.PURCHASED, EventType.REPLIED) or e.topic == CO_CREATION
                for e in evs
            )
        }
        activity: dict[str, list[event_rows.Activity]] = defaultdict(list)
        if brand is not None and counted:
            for a in event_rows.activity(
                s,
                brand_id,
                counted,
                types=("replied", "complaint", "sent", "purchased", "delivered"),
                replies_or_topic=CO_CREATION,  # all that lifecycle.History counts
            ):
                activity[a.customer_id].append(a)
        # The chunk's customers read together (``stored``), written together below.
        changed: list[tuple[int, Customer]] = []
        moves: list[event_rows.StageMove] = []  # stage changes, saved together below
        # the consent that holds for those whose events end it, read before anything of the
        # chunk is written (a customer's own opt-out below is the only change to theirs)
        held_consent = consent.current_many(
            s,
            brand_id,
            [cid for cid, evs in by_customer.items() if any(e.type in CONSENT_ENDING for e in evs)],
        )
        ladder = lifecycle.Ladder(brand) if brand is not None else None
        sends: list[dict[str, Any]] = []
        for cid, evs in by_customer.items():
            customer = Customer.model_validate_json(stored[cid].data)  # checked above
            before = customer
            purchases = list(customer.purchases)
            held = {(p.product, p.date) for p in purchases}
            for e in evs:
                if e.type == EventType.PURCHASED and e.product and (e.product, e.day) not in held:
                    purchases.append(Purchase(product=e.product, date=e.day))
                    held.add((e.product, e.day))
            if len(purchases) != len(customer.purchases):
                customer = customer.model_copy(
                    update={"purchases": sorted(purchases, key=lambda p: p.date)}
                )
            ending = next((e for e in evs if e.type in CONSENT_ENDING), None)
            if ending is not None and held_consent.get(cid) != consent.OPTED_OUT:
                consent.record(
                    s,
                    brand_id,
                    cid,
                    consent.OPTED_OUT,
                    actor=actor,
                    source="event",
                    reason=f"{ending.type.value} event {ending.id} on {ending.day.isoformat()}",
                )
                customer = customer.model_copy(update={"opted_out": True})
                result.opted_out.append(cid)
            sends.extend(
                {
                    "customer_id": cid,
                    "channel": customer.channel.value,
                    "purpose": "sales" if e.kind == "sales" else "care",
                    "date": e.day,
                }
                for e in evs
                if e.type == EventType.SENT and (e.draft_id is None or e.draft_id not in drafted)
            )
            if ladder is not None and cid in counted and ladder.can_rise(customer.stage):
                customer = self._promote(ladder, customer, evs, activity[cid], moves, result)
            if customer != before:
                changed.append((stored[cid].pk, customer))
        customer_rows.write(s, brand_id, changed=changed, source="event")
        event_rows.record_stage_changes(s, brand_id, moves)
        contacts.record_contacts(s, brand_id, sends)
        s.flush()

    @staticmethod
    def _promote(
        ladder: lifecycle.Ladder,
        customer: Customer,
        evs: Sequence[Event],
        activity: Sequence[event_rows.Activity],
        moves: list[event_rows.StageMove],
        result: IngestResult,
    ) -> Customer:
        # Walk the new events in time, so a change is dated by the event that made a rule
        # hold; then once more on the newest day known (an order already on the record may
        # be newer than the events, e.g. a history imported late). A day already walked at
        # the same stage is not walked again: the facts of a day are the same all day.
        ordered = sorted(evs, key=lambda e: e.at)
        newest = max([ordered[-1].day, *(p.date for p in customer.purchases)])
        moments = [(e.day, e) for e in ordered] + [(newest, ordered[-1])]
        # Nor is a day on which nothing counted has come since a day no rule held at the
        # same stage: orders and co-creation are the same, and the replies within a rule's
        # window can only be fewer (it moves on and no reply came), so no rule holds now.
        history = lifecycle.History(activity)
        bought_on = sorted(p.date for p in customer.purchases)  # the walk changes no order
        walked: set[tuple[dt.date, str]] = set()
        held_none: tuple[str, int, int, int] | None = None
        for on, event in moments:
            if (on, customer.stage) in walked:
                continue
            walked.add((on, customer.stage))
            bought = bisect.bisect_right(bought_on, on)
            counted = (customer.stage, bought, *history.counted(on))
            if counted == held_none:
                continue
            up = ladder.promotion(customer.stage, history.facts(on, bought))
            if up is None:
                held_none = counted
                continue
            moves.append(
                event_rows.StageMove(
                    customer.id, up.from_stage, up.to.id, on, up.why, up.rule.to, event.id
                )
            )
            result.stage_changes.append(
                {
                    "customer_id": customer.id,
                    "from": up.from_stage,
                    "to": up.to.id,
                    "at": on.isoformat(),
                    "why": up.why,
                    "event_id": event.id,
                }
            )
            tags = {**customer.tags, "stage_since": on.isoformat()}
            customer = customer.model_copy(update={"stage": up.to.id, "tags": tags})
        return customer


_TYPE = {t: t.value for t in EventType}  # an enum's value is a property: read once


def _row(brand_id: str, e: Event) -> tuple[Any, ...]:
    """The event's row, as :data:`storage.events.EVENT_COLUMNS`."""
    return (
        brand_id,
        e.id,
        e.customer_id,
        _TYPE[e.type],
        e.at,
        e.draft_id,
        e.product,
        e.text,
        e.topic,
        e.kind,
        e.trigger,
        e.stage,
        e.is_criticism,
    )


def _stored_drafts(s: Any, brand_id: str, ids: Iterable[str | None]) -> set[str]:
    # by id alone and the brand checked here: given the brand too, SQLite (no statistics)
    # walked every draft of the brand for each chunk of events
    table: Table = DraftRow.__table__  # type: ignore[assignment]
    rows = select_in(s.connection(), table, ["id", "brand_id"], "id", {i for i in ids if i})
    return {did for did, brand in rows if brand == brand_id}


__all__ = ["CHUNK", "Ingest", "IngestResult"]
