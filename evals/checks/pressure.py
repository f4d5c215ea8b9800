"""Relationship pressure across messages: per customer and channel, how many messages in a
window (recorded contacts plus the draft) and how many of them sell; and the same for the
person over every channel together (``pressure.person_frequency``,
``pressure.person_selling_share``), and a message the day after another on any channel
(``pressure.too_soon``). Caps are the contact windows of ``knowledge.contact_policy``. An
opted-out customer blocks everything. A post (to a group) is not weighed as a message to the
person."""

from __future__ import annotations

import datetime as dt

from evals.checks.base import affirmed, finding
from evals.checks.context import public
from evals.lexicon import pattern
from evals.types import CheckContext, Finding, Severity
from knowledge.contact_policy import (
    MIN_GAP_DAYS,
    PERSON_SELLING_DAYS,
    PERSON_WINDOW,
    SELLING_MIN_MESSAGES,
    SELLING_SHARE,
    SOON_IS_FINE,
    window,
)
from knowledge.pack import Contact


def draft_sells(ctx: CheckContext) -> bool:
    """Whether the message being checked sells (the caller's purpose wins when given)."""
    if ctx.purpose is not None:
        return ctx.purpose == "sales"
    return bool(affirmed(pattern("spam", "sales"), ctx.text))


class PressureCheck:
    """Too many messages, too much selling, another draft for the same days, or a customer
    who said no."""

    family = "pressure"

    def run(self, ctx: CheckContext) -> list[Finding]:
        if ctx.customer is not None and ctx.customer.opted_out:
            return [finding(ctx, "pressure.opted_out", Severity.ERROR, 0, len(ctx.text))]
        out: list[Finding] = []
        if not ctx.waiting and not ctx.history and ctx.customer is None:
            return out  # a text on its own: nothing to weigh it against
        today = ctx.as_of or dt.date.today()
        # a care message and an email drafted for one day: sent together, two messages a day
        near = [c for c in ctx.waiting if abs((c.date - today).days) <= 1]
        if near:
            channels = "、".join(sorted({c.channel.value for c in near}))
            out.append(_whole(ctx, "pressure.waiting", count=len(near), channels=channels))
        channel = ctx.channel or (ctx.customer.channel.value if ctx.customer else None)
        history = list(ctx.history)
        if not history and ctx.customer is not None:
            history = list(ctx.customer.last_contacts)
        past = [c for c in history if c.date <= today]
        if not past:
            return out
        sells = draft_sells(ctx)
        by_channel = self._channel(ctx, channel, past, today, sells) if channel is not None else []
        out += by_channel
        if not public(ctx):
            out += self._person(ctx, past, today, sells, {f.rule for f in by_channel})
        return out

    @staticmethod
    def _channel(
        ctx: CheckContext, channel: str, past: list[Contact], today: dt.date, sells: bool
    ) -> list[Finding]:
        """The draft's own channel: its contact window and its selling share."""
        limit = window(channel)
        if limit is None:
            return []
        since = today - dt.timedelta(days=limit.days - 1)
        recent = [c for c in past if c.channel == channel and since <= c.date]
        return [
            *_too_many(ctx, "pressure.frequency", recent, limit.days, limit.max),
            *_selling_share(ctx, "pressure.selling_share", recent, limit.days, sells),
        ]

    @staticmethod
    def _person(
        ctx: CheckContext, past: list[Contact], today: dt.date, sells: bool, fired: set[str]
    ) -> list[Finding]:
        """The person, every channel together: the day after the last message (but an answer
        or a welcome), the person's window, the selling share of the month. A channel's own
        finding of the same kind says it already (the person's is not repeated)."""
        out: list[Finding] = []
        last = max(past, key=lambda c: c.date)
        gap = (today - last.date).days
        if gap < MIN_GAP_DAYS and ctx.trigger not in SOON_IS_FINE:
            out.append(
                _whole(
                    ctx,
                    "pressure.too_soon",
                    variant="" if gap else "same_day",
                    channel=last.channel.value,
                    days=gap,
                    gap=MIN_GAP_DAYS,
                )
            )
        days = PERSON_WINDOW.days
        since = today - dt.timedelta(days=days - 1)
        recent = [c for c in past if since <= c.date]
        if "pressure.frequency" not in fired:
            channels = "、".join(sorted({c.channel.value for c in recent}))
            out += _too_many(
                ctx, "pressure.person_frequency", recent, days, PERSON_WINDOW.max, channels=channels
            )
        if "pressure.selling_share" not in fired:
            since = today - dt.timedelta(days=PERSON_SELLING_DAYS - 1)
            month = [c for c in past if since <= c.date]
            out += _selling_share(
                ctx, "pressure.person_selling_share", month, PERSON_SELLING_DAYS, sells
            )
        return out


def _too_many(
    ctx: CheckContext, rule: str, recent: list[Contact], days: int, cap: int, **extra: str
) -> list[Finding]:
    """``rule`` if the draft makes more than ``cap`` messages in ``days`` (``recent``: the
    ones before it)."""
    if len(recent) + 1 <= cap:
        return []
    return [_whole(ctx, rule, days=days, count=len(recent), limit=cap, **extra)]


def _selling_share(
    ctx: CheckContext, rule: str, recent: list[Contact], days: int, sells: bool
) -> list[Finding]:
    """``rule`` if more than SELLING_SHARE of ``recent`` and the draft sell (at least
    SELLING_MIN_MESSAGES of them)."""
    count = len(recent) + 1  # the draft itself
    selling = sum(1 for c in recent if c.purpose == "sales") + int(sells)
    share = selling / count
    if count < SELLING_MIN_MESSAGES or share <= SELLING_SHARE:
        return []
    return [_whole(ctx, rule, days=days, count=count, selling=selling, share=f"{share:.0%}")]


def _whole(ctx: CheckContext, rule: str, *, variant: str = "", **values: object) -> Finding:
    """A warning of ``rule`` over the whole draft (how often, how soon, how much: no one
    phrase of it)."""
    return finding(ctx, rule, Severity.WARN, 0, len(ctx.text), variant=variant, **values)
