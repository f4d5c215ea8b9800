"""Who is due a care message on a given date, and why (one trigger per customer).

Triggers, checked in this priority order — the first that fires wins:

1. ``birthday``        the birthday falls within the next ``birthday_days`` days (0 = today);
                       time-bound and personal, so it goes first.
2. ``stage_up``        the relationship moved up a stage recently (``stage_lookback_days``):
                       the tag ``stage_since=YYYY-MM-DD`` says when the current stage began,
                       or the purchase count crossed 2 (a second order) while the recorded
                       stage is still 初识/相知 — the draft then speaks to 相恋 (repeat).
3. ``almost_finished`` usage milestones of the last purchase, from its usage guide's
4. ``half_used``       ``usage_days``: day 3, half-way, and ~85 % (almost finished);
5. ``day3``            the later milestone wins when two are due together.
6. ``milestone``       the customer's timeline (a date tag such as ``child_birth=2025-11``)
                       reached the window of the next product on the brand's ladder (a
                       guide's ``next`` and ``from_months``, ``knowledge.timeline``) within
                       ``milestone_days`` (14) days; once per next guide and customer
                       (``milestone:<doc>:<customer>``). After the usage moments, whose days
                       pass sooner: a milestone left for a day is still due the next.
7. ``long_silence``    no contact at all for ``silence_days`` (45) days or more (the last
                       contact, else the last purchase, is the start of the silence).

A milestone is due from its day for ``window_days`` days (so a weekly run does not miss it),
unless the customer was already contacted for care since that day.

Then the guards, which turn a due customer into a *skipped* one (recorded with a reason):
opted-out customers get nothing; the pressure caps (:class:`PressureCaps`: the contact
windows of ``knowledge.contact_policy``, which the pressure check uses too, plus a minimum
gap) count the customer's contacts
(``Customer.last_contacts`` plus the stored contact log); and an
``occurrence`` already handled by an earlier batch (e.g. ``birthday:2026-12-03``) is not
drafted twice.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from generator.drafts import Trigger
from knowledge.contact_policy import MIN_GAP_DAYS, WINDOWS
from knowledge.guides import usage_days_for
from knowledge.pack import BrandPack, Contact, Customer, KnowledgeDoc
from knowledge.stages import BaseStage
from knowledge.timeline import next_steps

PRIORITY: tuple[Trigger, ...] = (
    Trigger.BIRTHDAY,
    Trigger.STAGE_UP,
    Trigger.ALMOST_FINISHED,
    Trigger.HALF_USED,
    Trigger.DAY3,
    Trigger.MILESTONE,
    Trigger.LONG_SILENCE,
)


@dataclass(frozen=True)
class PressureCaps:
    """How much contact one customer may get. Per channel the caps are the contact windows
    (``knowledge.contact_policy``: e.g. wechat 3 in 7 days, sms 4 in 30), the same the
    pressure check holds drafts to, so the batch never drafts what it would then flag; on top,
    no care message within ``min_gap_days`` of the last contact on any channel.
    """

    min_gap_days: int = MIN_GAP_DAYS
    windows: Mapping[str, tuple[int, int]] | None = None  # None: the contact policy's

    def blocked(self, contacts: Sequence[Contact], on: dt.date, channel: str) -> str | None:
        """The reason a new message on ``on`` via ``channel`` would be too much, or ``None``."""
        past = [c for c in contacts if c.date <= on]
        if not past:
            return None
        gap = (on - max(c.date for c in past)).days
        if gap < self.min_gap_days:
            return f"pressure: last contact {gap} day(s) ago (< {self.min_gap_days})"
        windows = (
            self.windows
            if self.windows is not None
            else {ch.value: (w.days, w.max) for ch, w in WINDOWS.items()}
        )
        if channel in windows:
            days, cap = windows[channel]
            recent = sum(1 for c in past if c.channel == channel and (on - c.date).days < days)
            if recent + 1 > cap:
                return f"pressure: {recent} {channel} message(s) in {days} days (cap {cap})"
        return None


@dataclass(frozen=True)
class DueRules:
    birthday_days: int = 3
    stage_lookback_days: int = 7
    window_days: int = 3
    silence_days: int = 45
    milestone_days: int = 14
    caps: PressureCaps = field(default_factory=PressureCaps)


@dataclass(frozen=True)
class Due:
    """One customer's decision: a trigger to draft for, or a reason to skip."""

    customer: Customer
    trigger: Trigger
    occurrence: str  # what happened, unique across batches (e.g. "birthday:2026-12-03")
    reason: str  # a short human explanation
    skip: str | None = None  # set when the customer is due but must not get a message
    product: str | None = None
    new_stage: str | None = None  # for stage_up inferred from purchases

    @property
    def skipped(self) -> bool:
        return self.skip is not None


def milestones(usage_days: int) -> list[tuple[Trigger, int]]:
    """Day offsets from the purchase: day 3, half-used, almost finished (deduplicated)."""
    marks: list[tuple[Trigger, int]] = []
    if usage_days > 3:
        marks.append((Trigger.DAY3, 3))
    half = usage_days // 2
    if half > 3:
        marks.append((Trigger.HALF_USED, half))
    almost = usage_days * 85 // 100
    if almost > max(half, 3):
        marks.append((Trigger.ALMOST_FINISHED, almost))
    return marks


def _next_birthday(birthday: dt.date, on: dt.date) -> dt.date:
    for year in (on.year, on.year + 1):
        day = birthday.day
        if birthday.month == 2 and day == 29 and not calendar.isleap(year):
            day = 28
        candidate = dt.date(year, birthday.month, day)
        if candidate >= on:
            return candidate
    raise AssertionError("unreachable: a birthday comes back within a year")


def _care_since(contacts: Iterable[Contact], since: dt.date, on: dt.date) -> bool:
    return any(since <= c.date <= on and c.purpose == "care" for c in contacts)


def _stage_base(pack: BrandPack, stage_id: str) -> BaseStage | None:
    try:
        return pack.brand.stage(stage_id).base
    except KeyError:
        return None


def _repeat_stage(pack: BrandPack) -> str | None:
    for s in pack.brand.stages:
        if s.base == BaseStage.REPEAT:
            return s.id
    return None


def _candidates(
    pack: BrandPack,
    customer: Customer,
    contacts: Sequence[Contact],
    on: dt.date,
    rules: DueRules,
    guide_of: Callable[[str], KnowledgeDoc | None] | None = None,
) -> list[Due]:
    found: list[Due] = []
    if customer.birthday is not None:
        nxt = _next_birthday(customer.birthday, on)
        if (nxt - on).days <= rules.birthday_days:
            found.append(
                Due(
                    customer,
                    Trigger.BIRTHDAY,
                    f"birthday:{nxt.isoformat()}",
                    f"birthday on {nxt.isoformat()}",
                )
            )
    since_tag = customer.tags.get("stage_since")
    stage_since: dt.date | None = None
    if since_tag:
        try:
            stage_since = dt.date.fromisoformat(since_tag.strip())
        except ValueError:
            stage_since = None
    if stage_since is not None and 0 <= (on - stage_since).days <= rules.stage_lookback_days:
        found.append(
            Due(
                customer,
                Trigger.STAGE_UP,
                f"stage_up:{customer.stage}:{stage_since}",
                f"stage {customer.stage} since {stage_since.isoformat()}",
            )
        )
    elif len(customer.purchases) >= 2:
        second = customer.purchases[1].date
        base = _stage_base(pack, customer.stage)
        repeat = _repeat_stage(pack)
        if (
            repeat is not None
            and base in (BaseStage.FIRST_CONTACT, BaseStage.GETTING_TO_KNOW)
            and 0 <= (on - second).days <= rules.stage_lookback_days
        ):
            found.append(
                Due(
                    customer,
                    Trigger.STAGE_UP,
                    f"stage_up:{repeat}:{second}",
                    f"second order on {second.isoformat()}: now {repeat}",
                    new_stage=repeat,
                )
            )
    last = customer.last_purchase
    if last is not None:
        guide = (guide_of or pack.usage_guide)(last.product)
        lasts = usage_days_for(guide, customer) if guide is not None else None
        if guide is not None and lasts:
            due_marks = []
            for trig, offset in milestones(lasts):
                day = last.date + dt.timedelta(days=offset)
                if 0 <= (on - day).days < rules.window_days and not _care_since(contacts, day, on):
                    due_marks.append((trig, day))
            # the later milestone wins when several are due at once
            for trig, _day in sorted(due_marks, key=lambda m: m[1], reverse=True)[:1]:
                found.append(
                    Due(
                        customer,
                        trig,
                        f"{trig.value}:{last.product}@{last.date.isoformat()}",
                        f"{trig.value} of {last.product} (bought {last.date.isoformat()})",
                        product=last.product,
                    )
                )
    lang = "en" if pack.brand.language == "en" else "zh"
    for step in next_steps(pack, customer, on, lang, guide_of)[:1]:
        if (on - step.opens).days < rules.milestone_days:
            found.append(
                Due(
                    customer,
                    Trigger.MILESTONE,
                    f"milestone:{step.next_guide.id}:{customer.id}",
                    f"{step.fact.key} + {step.guide.from_months} months on "
                    f"{step.opens.isoformat()}: {step.guide.product} -> {step.next_guide.product}",
                    product=step.next_guide.product,
                )
            )
    past = [c.date for c in contacts if c.date <= on]
    start = max(past) if past else (last.date if last is not None else None)
    if start is not None and (on - start).days >= rules.silence_days:
        found.append(
            Due(
                customer,
                Trigger.LONG_SILENCE,
                f"long_silence:{start.isoformat()}",
                f"no contact for {(on - start).days} days",
            )
        )
    return sorted(found, key=lambda d: PRIORITY.index(d.trigger))


def find_due(
    pack: BrandPack,
    on: dt.date,
    *,
    rules: DueRules | None = None,
    contact_log: Mapping[str, Sequence[Contact]] | None = None,
    handled: Collection[str] = (),
    customers: Iterable[str] | None = None,
    people: Iterable[Customer] | None = None,
) -> list[Due]:
    """Every customer (``people``, from the customer store; default: the pack's) with a
    trigger on ``on``: one :class:`Due` each.

    ``contact_log`` adds stored contacts per customer id to ``Customer.last_contacts``;
    ``handled`` holds occurrences already drafted by earlier batches. Customers with no
    trigger are not returned; due but blocked ones come back with ``skip`` set.
    """
    rules = rules or DueRules()
    log = contact_log or {}
    only = set(customers) if customers is not None else None
    guides: dict[str, KnowledgeDoc | None] = {}  # each product's guide, looked up once

    def guide_of(product: str) -> KnowledgeDoc | None:
        if product not in guides:
            guides[product] = pack.usage_guide(product)
        return guides[product]

    out: list[Due] = []
    for customer in sorted(pack.customers if people is None else people, key=lambda c: c.id):
        if only is not None and customer.id not in only:
            continue
        contacts = [*customer.last_contacts, *log.get(customer.id, ())]
        candidates = [
            d
            for d in _candidates(pack, customer, contacts, on, rules, guide_of)
            if d.occurrence not in handled
        ]
        if not candidates:
            continue
        best = candidates[0]
        skip = (
            "opted out"
            if customer.opted_out
            else rules.caps.blocked(contacts, on, customer.channel.value)
        )
        if skip is not None:
            best = Due(
                best.customer,
                best.trigger,
                best.occurrence,
                best.reason,
                skip,
                best.product,
                best.new_stage,
            )
        out.append(best)
    return out


__all__ = ["PRIORITY", "Due", "DueRules", "PressureCaps", "find_due", "milestones"]
