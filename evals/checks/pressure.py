"""Relationship pressure across messages: per customer and channel, how many messages in a
window (recorded contacts plus the draft) and how many of them sell. Caps are the
contact windows of ``knowledge.contact_policy``. An opted-out customer blocks everything."""

from __future__ import annotations

import datetime as dt

from evals.checks.base import affirmed, finding
from evals.lexicon import pattern
from evals.types import CheckContext, Finding, Severity
from knowledge.contact_policy import SELLING_MIN_MESSAGES, SELLING_SHARE, window


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
        end = len(ctx.text)
        if ctx.customer is not None and ctx.customer.opted_out:
            return [finding(ctx, "pressure.opted_out", Severity.ERROR, 0, end)]
        out: list[Finding] = []
        if not ctx.waiting and not ctx.history and ctx.customer is None:
            return out  # a text on its own: nothing to weigh it against
        today = ctx.as_of or dt.date.today()
        # a care message and an email drafted for one day: sent together, two messages a day
        near = [c for c in ctx.waiting if abs((c.date - today).days) <= 1]
        if near:
            channels = "、".join(sorted({c.channel.value for c in near}))
            out.append(
                finding(
                    ctx,
                    "pressure.waiting",
                    Severity.WARN,
                    0,
                    end,
                    count=len(near),
                    channels=channels,
                )
            )
        channel = ctx.channel or (ctx.customer.channel.value if ctx.customer else None)
        history = list(ctx.history)
        if not history and ctx.customer is not None:
            history = list(ctx.customer.last_contacts)
        if channel is None or not history:
            return out
        limit = window(channel)
        if limit is None:
            return out
        days, cap = limit.days, limit.max
        since = today - dt.timedelta(days=days - 1)
        recent = [c for c in history if c.channel == channel and since <= c.date <= today]
        count = len(recent) + 1  # the draft itself
        selling = sum(1 for c in recent if c.purpose == "sales") + int(draft_sells(ctx))
        if count > cap:
            out.append(
                finding(
                    ctx,
                    "pressure.frequency",
                    Severity.WARN,
                    0,
                    end,
                    days=days,
                    count=count - 1,
                    limit=cap,
                )
            )
        share = selling / count
        if count >= SELLING_MIN_MESSAGES and share > SELLING_SHARE:
            out.append(
                finding(
                    ctx,
                    "pressure.selling_share",
                    Severity.WARN,
                    0,
                    end,
                    days=days,
                    count=count,
                    selling=selling,
                    share=f"{share:.0%}",
                )
            )
        return out
