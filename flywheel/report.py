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
import operator
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from core.errors import ZhenxinError
from storage import customers as customer_rows
from storage import drafts as draft_rows
from storage import events as event_rows

Z95 = 1.959963984540054
REPLY_DAYS = 7  # a reply within a week of a send answers it (when it names no draft)
FEW = 30  # under this many, a rate says little: the report says so
GROUP_FIELDS = ("kind", "trigger", "stage", "month")
CUSTOMERS = 2000  # customers read and counted at a time
_TYPES = ("purchased", "replied", "unsubscribed", "opted_out", "sent", "held_out")
_ENDING = ("unsubscribed", "opted_out")
_customer = operator.itemgetter(1)  # a row of storage.events.with_drafts: its customer id


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
    for kind, trigger, stage, month, drafted, approved in draft_rows.drafted_counts(
        session, brand_id, since=start, until=end
    ):
        g = groups[project((kind, trigger, stage, month))]
        g.drafted += drafted
        g.approved += approved

    contacted = _Cohort()
    held = _Cohort()

    def arm(cohort: _Cohort, trigger: str, at: dt.datetime, purchases: list[dt.datetime]) -> None:
        for c in (cohort, cohort.by_trigger.setdefault(trigger or "-", _Cohort())):
            c.customers += 1
            c.count(purchases, at, as_of_dt)

    # A customer at a time, CUSTOMERS at a time: what the report holds is the groups and
    # one chunk of customers, whatever the size of the brand. Rows are unpacked rather than
    # read by name: the loop below meets every event of the brand.
    people = event_rows.customers_with_events(session, brand_id, chunk=CUSTOMERS)
    while chunk := list(itertools.islice(people, CUSTOMERS)):
        # the chunk is every customer with events from its first id to its last: one range
        first, last = chunk[0], chunk[-1]
        rows = event_rows.with_drafts(session, brand_id, first, last, types=_TYPES)
        on_record = dict(customer_rows.purchase_days_between(session, brand_id, first, last))
        for cid, events in itertools.groupby(rows, key=_customer):
            mine = list(events)  # in the order they were stored
            purchases: list[dt.datetime] = []
            replies: list[dt.datetime] = []
            unsubs: list[dt.datetime] = []
            replied_drafts: set[str] = set()
            for _id, _cid, type_, at, draft_id, *_ in mine:
                if not start <= at < horizon:
                    continue
                if type_ == "purchased":
                    purchases.append(at)
                elif type_ == "replied":
                    replies.append(at)
                    if draft_id:
                        replied_drafts.add(draft_id)
                elif type_ in _ENDING:
                    unsubs.append(at)
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
                _id, _cid, type_, at, draft_id, kind, trigger, stage, *drafted = r
                if (type_ != "sent" and type_ != "held_out") or not start <= at < end:
                    continue
                if type_ == "held_out":
                    if not was_held:  # one arm entry per customer: the first holdout
                        was_held = True
                        arm(held, trigger or "", at, purchases)
                    continue
                d_brand, d_kind, d_trigger, d_stage, created = drafted
                key = (
                    (d_kind, d_trigger, d_stage, _month(created))
                    if created is not None and d_brand == brand_id and start <= created < end
                    else (kind or "unknown", trigger or "", stage or "", _month(at))
                )
                g = groups[project(key)]
                g.sent += 1
                g.replied += (draft_id in replied_drafts) or _after(replies, at, REPLY_DAYS)
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
