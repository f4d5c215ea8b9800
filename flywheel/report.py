"""The outcomes report: per kind, trigger, stage and month — drafted, approved, sent, replied,
purchased within 30 and 60 days of the send, unsubscribed — and the care holdout beside the
customers who were contacted, each rate with its 95 % Wilson interval and its sample size.

A send whose 30- (60-) day window has not closed by ``as_of`` is not in that rate's
denominator: a send of yesterday has not had a chance to lead to a purchase yet.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import ZhenxinError
from storage import customers as customer_rows
from storage import drafts as draft_rows
from storage import events as event_rows
from storage.models import DraftRow

Z95 = 1.959963984540054
REPLY_DAYS = 7  # a reply within a week of a send answers it (when it names no draft)
FEW = 30  # under this many, a rate says little: the report says so
GROUP_FIELDS = ("kind", "trigger", "stage", "month")
CUSTOMERS = 500  # customers read and counted at a time
_TYPES = ("purchased", "replied", "unsubscribed", "opted_out", "sent", "held_out")


def group_fields(text: str) -> tuple[str, ...]:
    """``"kind, trigger"`` as the fields to group by (checked by :func:`outcomes`)."""
    return tuple(b.strip() for b in text.split(",") if b.strip())


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for k successes in n trials (0, 0 for n = 0)."""
    if n <= 0:
        return (0.0, 0.0)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def rate(k: int, n: int) -> dict[str, Any]:
    low, high = wilson(k, n)
    return {
        "k": k,
        "n": n,
        "rate": round(k / n, 4) if n else None,
        "low": round(low, 4),
        "high": round(high, 4),
        "few": n < FEW,
    }


def difference(a: tuple[int, int], b: tuple[int, int]) -> dict[str, Any]:
    """a's rate minus b's, with Newcombe's interval from the two Wilson intervals."""
    (ka, na), (kb, nb) = a, b
    if not na or not nb:
        return {"diff": None, "low": None, "high": None}
    pa, pb = ka / na, kb / nb
    la, ua = wilson(ka, na)
    lb, ub = wilson(kb, nb)
    d = pa - pb
    low = d - math.sqrt((pa - la) ** 2 + (ub - pb) ** 2)
    high = d + math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)
    return {"diff": round(d, 4), "low": round(low, 4), "high": round(high, 4)}


@dataclass
class _Bought:
    """Purchases within 30 and 60 days of a send or a holdout, counted only once that window
    has closed by the as-of day."""

    eligible_30d: int = 0
    purchased_30d: int = 0
    eligible_60d: int = 0
    purchased_60d: int = 0

    def count(self, purchases: list[dt.datetime], at: dt.datetime, as_of: dt.datetime) -> None:
        if at + dt.timedelta(days=30) < as_of:
            self.eligible_30d += 1
            self.purchased_30d += _after(purchases, at, 30)
        if at + dt.timedelta(days=60) < as_of:
            self.eligible_60d += 1
            self.purchased_60d += _after(purchases, at, 60)


@dataclass
class _Group(_Bought):
    drafted: int = 0
    approved: int = 0
    sent: int = 0
    replied: int = 0
    unsubscribed: int = 0


@dataclass
class _Cohort(_Bought):
    """Customers in one arm (contacted or held out): purchases after their day."""

    customers: int = 0
    by_trigger: dict[str, _Cohort] = field(default_factory=dict)


def _month(at: dt.datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"  # strftime("%Y-%m"), a few times faster


def _after(days: list[dt.datetime], start: dt.datetime, span: int) -> bool:
    """Any moment in ``days`` (sorted) within ``(start, start + span days]``."""
    i = bisect.bisect_right(days, start)
    return i < len(days) and days[i] <= start + dt.timedelta(days=span)


def outcomes(
    session: Session,
    brand_id: str,
    *,
    since: dt.date,
    until: dt.date,
    as_of: dt.date | None = None,
    care_kinds: Iterable[str] = ("care_message", "aftersale_email"),
    by: Sequence[str] = GROUP_FIELDS,
) -> dict[str, Any]:
    """The report for messages drafted or sent in ``[since, until]`` (see the module doc),
    grouped by ``by`` (a subset of kind, trigger, stage, month; the others are left empty)."""
    unknown = [b for b in by if b not in GROUP_FIELDS]
    if unknown:
        raise ZhenxinError(
            f"cannot group by {', '.join(unknown)}", hint="by: " + ", ".join(GROUP_FIELDS)
        )
    keep = [GROUP_FIELDS.index(b) for b in GROUP_FIELDS if b in by]

    projected: dict[tuple[str, str, str, str], tuple[str, str, str, str]] = {}

    def project(key: tuple[str, str, str, str]) -> tuple[str, str, str, str]:
        found = projected.get(key)
        if found is None:  # a few keys, met once per send: worked out once each
            a = tuple(v if i in keep else "" for i, v in enumerate(key))
            found = projected[key] = (a[0], a[1], a[2], a[3])
        return found

    start = dt.datetime.combine(since, dt.time())
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time())
    horizon = end + dt.timedelta(days=61)
    as_of_dt = dt.datetime.combine((as_of or dt.date.today()) + dt.timedelta(days=1), dt.time())
    care = set(care_kinds)

    groups: dict[tuple[str, str, str, str], _Group] = defaultdict(_Group)
    for _did, kind, trigger, stage, created, status, _cid in draft_rows.iter_drafted(
        session, brand_id, since=start, until=end
    ):
        g = groups[project((kind, trigger, stage, _month(created)))]
        g.drafted += 1
        g.approved += status == "approved"

    contacted = _Cohort()
    held = _Cohort()

    def arm(cohort: _Cohort, trigger: str, at: dt.datetime, purchases: list[dt.datetime]) -> None:
        for c in (cohort, cohort.by_trigger.setdefault(trigger or "-", _Cohort())):
            c.customers += 1
            c.count(purchases, at, as_of_dt)

    # A customer at a time, CUSTOMERS at a time: what the report holds is the groups and
    # one chunk of customers, whatever the size of the brand.
    people = event_rows.customers_with_events(session, brand_id, chunk=CUSTOMERS)
    while chunk := list(itertools.islice(people, CUSTOMERS)):
        rows = event_rows.of_customers(session, brand_id, chunk, types=_TYPES)
        sends = [r for r in rows if r.type == "sent" and start <= r.at < end]
        meta = _drafted(session, brand_id, {r.draft_id for r in sends if r.draft_id}, start, end)
        on_record = dict(customer_rows.purchase_days(session, brand_id, customer_ids=chunk))
        for cid, events in itertools.groupby(rows, key=lambda r: r.customer_id):
            mine = list(events)  # in the order they were stored
            purchases: list[dt.datetime] = []
            replies: list[dt.datetime] = []
            unsubs: list[dt.datetime] = []
            replied_drafts: set[str] = set()
            for r in mine:
                if not start <= r.at < horizon:
                    continue
                if r.type == "purchased":
                    purchases.append(r.at)
                elif r.type == "replied":
                    replies.append(r.at)
                    if r.draft_id:
                        replied_drafts.add(r.draft_id)
                elif r.type in ("unsubscribed", "opted_out"):
                    unsubs.append(r.at)
            # Orders on the customer's record count too (a shop's list imported as
            # customers): each day with no purchase event on it is one more order, at noon
            # (a record has no time).
            have = {t.date() for t in purchases}
            for day in on_record.get(cid, ()):
                when = dt.datetime.combine(day, dt.time(12))
                if day not in have and start <= when < horizon:
                    purchases.append(when)
            for times in (purchases, replies, unsubs):
                times.sort()
            was_held = was_contacted = False
            for r in mine:
                if r.type not in ("sent", "held_out") or not start <= r.at < end:
                    continue
                at = r.at
                if r.type == "held_out":
                    if not was_held:  # one arm entry per customer: the first holdout
                        was_held = True
                        arm(held, r.trigger or "", at, purchases)
                    continue
                key = meta.get(r.draft_id or "") or (
                    r.kind or "unknown",
                    r.trigger or "",
                    r.stage or "",
                    _month(at),
                )
                g = groups[project(key)]
                g.sent += 1
                g.replied += (r.draft_id in replied_drafts) or _after(replies, at, REPLY_DAYS)
                g.count(purchases, at, as_of_dt)
                g.unsubscribed += _after(unsubs, at, 30)
                if key[0] in care and not was_contacted:
                    was_contacted = True
                    arm(contacted, key[1], at, purchases)

    out_groups = []
    for (kind, trigger, stage, month), g in sorted(
        groups.items(), key=lambda kv: (kv[0][3], kv[0][:3])
    ):
        out_groups.append(
            {
                "kind": kind,
                "trigger": trigger,
                "stage": stage,
                "month": month,
                "drafted": g.drafted,
                "approved": g.approved,
                "sent": g.sent,
                "replied": g.replied,
                "purchased_30d": g.purchased_30d,
                "purchased_60d": g.purchased_60d,
                "unsubscribed": g.unsubscribed,
                "reply_rate": rate(g.replied, g.sent),
                "purchase_rate_30d": rate(g.purchased_30d, g.eligible_30d),
                "purchase_rate_60d": rate(g.purchased_60d, g.eligible_60d),
                "unsubscribe_rate": rate(g.unsubscribed, g.sent),
            }
        )
    return {
        "brand": brand_id,
        "from": since.isoformat(),
        "to": until.isoformat(),
        "as_of": (as_of or dt.date.today()).isoformat(),
        "by": [b for b in GROUP_FIELDS if b in by],
        "groups": out_groups,
        "holdout": _compare(contacted, held),
    }


def _drafted(
    session: Session, brand_id: str, ids: set[str], start: dt.datetime, end: dt.datetime
) -> dict[str, tuple[str, str, str, str]]:
    """(kind, trigger, stage, month) of the drafts among ``ids`` made in ``[start, end)``."""
    wanted = sorted(ids)
    found: dict[str, tuple[str, str, str, str]] = {}
    for first in range(0, len(wanted), event_rows.CHUNK):
        # by id alone, the rest checked here: given the brand too, SQLite (no statistics)
        # walked the brand's (brand, status) index, every draft of the brand per chunk
        rows = session.execute(
            select(
                DraftRow.id,
                DraftRow.brand_id,
                DraftRow.kind,
                DraftRow.trigger,
                DraftRow.stage,
                DraftRow.created_at,
            ).where(DraftRow.id.in_(wanted[first : first + event_rows.CHUNK]))
        )
        for did, brand, kind, trigger, stage, created in rows:
            if brand == brand_id and start <= created < end:
                found[did] = (kind, trigger, stage, _month(created))
    return found


def _arm(c: _Cohort) -> dict[str, Any]:
    return {
        "customers": c.customers,
        "purchase_rate_30d": rate(c.purchased_30d, c.eligible_30d),
        "purchase_rate_60d": rate(c.purchased_60d, c.eligible_60d),
    }


def _compare(contacted: _Cohort, held: _Cohort) -> dict[str, Any]:
    """The care holdout beside the contacted customers, overall and per trigger."""

    def pair(a: _Cohort, b: _Cohort) -> dict[str, Any]:
        return {
            "contacted": _arm(a),
            "held_out": _arm(b),
            "lift_30d": difference(
                (a.purchased_30d, a.eligible_30d), (b.purchased_30d, b.eligible_30d)
            ),
            "lift_60d": difference(
                (a.purchased_60d, a.eligible_60d), (b.purchased_60d, b.eligible_60d)
            ),
        }

    triggers = sorted(set(contacted.by_trigger) | set(held.by_trigger))
    return {
        **pair(contacted, held),
        "by_trigger": {
            t: pair(contacted.by_trigger.get(t, _Cohort()), held.by_trigger.get(t, _Cohort()))
            for t in triggers
        },
    }


__all__ = ["difference", "outcomes", "rate", "wilson"]
