"""Events and stage changes: append-only rows. Inserting an event whose id the brand already
holds does nothing (posting the same batch twice counts once)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Select, Table, and_, case, func, or_, select
from sqlalchemy.orm import Session

from storage.brands import ensure_brand
from storage.bulk import insert_many, insert_tuples, select_in
from storage.models import DraftRow, EventRow, StageChangeRow

CHUNK = 500  # ids per IN (...) query: well under SQLite's variable limit


# the columns of an event row as an ingest writes it, in the table's order
EVENT_COLUMNS = (
    "brand_id",
    "event_id",
    "customer_id",
    "type",
    "at",
    "draft_id",
    "product",
    "text",
    "topic",
    "kind",
    "trigger",
    "stage",
    "criticism",
)


def insert_new(session: Session, brand_id: str, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert the events whose ``event_id`` the brand does not hold yet; returns the ids that
    were new. The unique key skips a held id, so concurrent writers of the same id cannot
    both win. A few statements for any number of rows (:func:`insert_new_rows`, the tuples
    an ingest writes)."""
    row_of = {**dict.fromkeys(EVENT_COLUMNS), "brand_id": brand_id}
    return insert_new_rows(
        session, brand_id, [tuple({**row_of, **r}[c] for c in EVENT_COLUMNS) for r in rows]
    )


def insert_new_rows(
    session: Session, brand_id: str, rows: Sequence[tuple[Any, ...]], *, expect_new: bool = False
) -> set[str]:
    """:func:`insert_new` of rows given as tuples of :data:`EVENT_COLUMNS` (``brand_id``
    first), without a mapping per row; ``expect_new``: the caller expects none of the ids to
    be held (PostgreSQL tries a plain COPY first: :func:`storage.bulk.insert_tuples`)."""
    if not rows:
        return set()
    ensure_brand(session, brand_id)
    table: Table = EventRow.__table__  # type: ignore[assignment]
    return set(
        insert_tuples(
            session,
            table,
            EVENT_COLUMNS,
            rows,
            skip_duplicates_on=("brand_id", "event_id"),
            returning="event_id",
            expect_new=expect_new,
        )
    )


def existing_ids(session: Session, brand_id: str, event_ids: Iterable[str]) -> set[str]:
    """Which of these event ids the brand holds, on the (brand, event id) unique key
    (:func:`storage.bulk.select_in`: an ingest asks it of a chunk of events)."""
    table: Table = EventRow.__table__  # type: ignore[assignment]
    rows = select_in(
        session.connection(), table, ["event_id"], "event_id", set(event_ids), brand_id=brand_id
    )
    return {event_id for (event_id,) in rows}


class Activity(NamedTuple):
    """One customer's event that the lifecycle rules count (a tuple: an ingest reads one
    for every counted event of the customers it applies events to)."""

    customer_id: str
    type: str
    at: dt.datetime
    topic: str | None


def activity(
    session: Session,
    brand_id: str,
    customer_ids: Iterable[str],
    *,
    types: Sequence[str],
    replies_or_topic: str | None = None,
) -> list[Activity]:
    """Events of these types for these customers, oldest first (through Core: an ingest
    reads them for every customer whose events it applies). With ``replies_or_topic``, of
    those only the replies and the events of that topic (what the lifecycle rules count:
    most events are sends and deliveries, which they do not)."""
    ids = sorted(set(customer_ids))
    found: list[Activity] = []
    wanted = [EventRow.brand_id == brand_id, EventRow.type.in_(types)]
    if replies_or_topic is not None:
        wanted.append(or_(EventRow.type == "replied", EventRow.topic == replies_or_topic))
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        rows = session.connection().execute(
            select(EventRow.customer_id, EventRow.type, EventRow.at, EventRow.topic).where(
                EventRow.customer_id.in_(part), *wanted
            )
        )
        found.extend(map(Activity._make, rows))
    return sorted(found, key=lambda a: a.at)


@dataclass(frozen=True)
class StageMove:
    """One move of a customer's stage, to save (:func:`record_stage_changes`)."""

    customer_id: str
    from_stage: str
    to_stage: str
    at: dt.date
    why: str
    rule: str = ""
    event_id: str | None = None


@dataclass(frozen=True)
class Engagement:
    """What a customer did in a span: replies, messages sent to them, the newest reply."""

    replies: int
    sent: int
    last_reply: dt.datetime | None


def engagement_query(
    brand_id: str, first: str, last: str, *, since: dt.datetime, until: dt.datetime
) -> Select[str, Any, Any, Any]:
    """The query of :func:`engagement`."""
    in_span = and_(EventRow.at >= since, EventRow.at < until)
    replied = and_(EventRow.type == "replied", in_span)
    sent = and_(EventRow.type == "sent", in_span)
    return (
        select(
            EventRow.customer_id,
            func.sum(case((replied, 1), else_=0)),
            func.sum(case((sent, 1), else_=0)),
            func.max(case((replied, EventRow.at), else_=None)),
        )
        .where(
            EventRow.brand_id == brand_id,
            EventRow.customer_id >= first,
            EventRow.customer_id <= last,
        )
        .group_by(EventRow.customer_id)
    )


def engagement(
    session: Session,
    brand_id: str,
    first: str,
    last: str,
    *,
    since: dt.datetime,
    until: dt.datetime,
) -> dict[str, Engagement]:
    """Replies and sends in ``[since, until)`` of the customers with ids in ``[first, last]``
    (those with any event), counted by the database: one row per customer instead of every
    event (the core members ranking). The query names the customers only, by range (the
    types and times are conditions inside the counts), so the (brand, customer, at) index
    is the one that fits, on SQLite without statistics too."""
    query = engagement_query(brand_id, first, last, since=since, until=until)
    return {
        cid: Engagement(int(replies or 0), int(sends or 0), newest)
        for cid, replies, sends, newest in session.connection().execute(query)
    }


def customers_with_events(session: Session, brand_id: str, *, chunk: int = 1000) -> Iterator[str]:
    """Every customer id the brand holds events of, in order, read ``chunk`` at a time (each
    page starts after the last id of the one before: no cursor stays open between them)."""
    after = ""
    while True:
        page = list(
            session.connection()
            .execute(
                select(EventRow.customer_id)
                .where(EventRow.brand_id == brand_id, EventRow.customer_id > after)
                .group_by(EventRow.customer_id)
                .order_by(EventRow.customer_id)
                .limit(chunk)
            )
            .scalars()
        )
        yield from page
        if len(page) < chunk:
            return
        after = page[-1]


def with_drafts_query(
    brand_id: str, first: str, last: str, *, types: Sequence[str]
) -> Select[*tuple[Any, ...]]:
    """The query of :func:`with_drafts`."""
    return (
        select(
            EventRow.id,
            EventRow.customer_id,
            EventRow.type,
            EventRow.at,
            EventRow.draft_id,
            EventRow.kind,
            EventRow.trigger,
            EventRow.stage,
            DraftRow.brand_id.label("d_brand"),
            DraftRow.kind.label("d_kind"),
            DraftRow.trigger.label("d_trigger"),
            DraftRow.stage.label("d_stage"),
            DraftRow.created_at.label("d_created"),
        )
        .outerjoin(DraftRow, DraftRow.id == EventRow.draft_id)
        .where(
            EventRow.brand_id == brand_id,
            EventRow.customer_id >= first,
            EventRow.customer_id <= last,
            EventRow.type.in_(types),
        )
        .order_by(EventRow.customer_id, EventRow.id)
    )


def with_drafts(
    session: Session, brand_id: str, first: str, last: str, *, types: Sequence[str]
) -> list[Any]:
    """Events of these types of the customers with ids in ``[first, last]``, by customer and
    in the order they were stored, each with the draft it names (if held: the draft's
    ``d_brand``, ``d_kind``, ``d_trigger``, ``d_stage``, ``d_created``; else None), as plain
    rows (the outcomes report). One query through Core: the customers by range (the
    (brand, customer, at) index), the draft joined by its id."""
    query = with_drafts_query(brand_id, first, last, types=types)
    return list(session.connection().execute(query).all())


def for_customer(
    session: Session, brand_id: str, customer_id: str, *, limit: int = 200
) -> list[EventRow]:
    """The customer's newest events, newest first."""
    return list(
        session.scalars(
            select(EventRow)
            .where(EventRow.brand_id == brand_id, EventRow.customer_id == customer_id)
            .order_by(EventRow.at.desc(), EventRow.id.desc())
            .limit(limit)
        )
    )


def replies_to(session: Session, brand_id: str, draft_id: str) -> list[EventRow]:
    """Replies and complaints attached to a draft, oldest first."""
    return list(
        session.scalars(
            select(EventRow)
            .where(
                EventRow.brand_id == brand_id,
                EventRow.draft_id == draft_id,
                EventRow.type.in_(("replied", "complaint")),
            )
            .order_by(EventRow.at, EventRow.id)
        )
    )


def stream(
    session: Session,
    brand_id: str,
    *,
    types: Sequence[str],
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    chunk: int = 5000,
) -> Iterator[EventRow]:
    """Events of these types in ``[since, until)``, read ``chunk`` rows at a time."""
    query: Select[Any] = select(EventRow).where(
        EventRow.brand_id == brand_id, EventRow.type.in_(types)
    )
    if since is not None:
        query = query.where(EventRow.at >= since)
    if until is not None:
        query = query.where(EventRow.at < until)
    yield from session.scalars(query.order_by(EventRow.id).execution_options(yield_per=chunk))


def count(session: Session, brand_id: str) -> int:
    return int(session.scalar(select(func.count()).where(EventRow.brand_id == brand_id)) or 0)


def record_stage_changes(session: Session, brand_id: str, changes: Sequence[StageMove]) -> int:
    """Save customers' stage moves, in the order given, in one bulk insert
    (:func:`storage.bulk.insert_many`); returns how many."""
    if not changes:
        return 0
    ensure_brand(session, brand_id)
    table: Table = StageChangeRow.__table__  # type: ignore[assignment]
    insert_many(
        session,
        table,
        [
            {
                "brand_id": brand_id,
                "customer_id": c.customer_id,
                "from_stage": c.from_stage,
                "to_stage": c.to_stage,
                "at": c.at,
                "why": c.why,
                "rule": c.rule[:64],
                "event_id": c.event_id,
            }
            for c in changes
        ],
    )
    return len(changes)


def stage_history(session: Session, brand_id: str, customer_id: str) -> list[StageChangeRow]:
    return list(
        session.scalars(
            select(StageChangeRow)
            .where(StageChangeRow.brand_id == brand_id, StageChangeRow.customer_id == customer_id)
            .order_by(StageChangeRow.at, StageChangeRow.id)
        )
    )


__all__ = [
    "EVENT_COLUMNS",
    "Activity",
    "Engagement",
    "StageMove",
    "activity",
    "count",
    "customers_with_events",
    "engagement",
    "engagement_query",
    "existing_ids",
    "for_customer",
    "insert_new",
    "insert_new_rows",
    "record_stage_changes",
    "replies_to",
    "stage_history",
    "stream",
    "with_drafts",
    "with_drafts_query",
]
