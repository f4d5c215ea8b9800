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
    """Too many messages, too much selling, or a customer who said no."""

    family = "pressure"

    def run(self, ctx: CheckContext) -> list[Finding]:
        end = len(ctx.text)
        if ctx.customer is not None and ctx.customer.opted_out:
            return [finding(ctx, "pressure.opted_out", Severity.ERROR, 0, end)]
        channel = ctx.channel or (ctx.customer.channel.value if ctx.customer else None)
        history = list(ctx.history)
        if not history and ctx.customer is not None:
            history = list(ctx.customer.last_contacts)
        if channel is None or not history:
            return []
        limit = window(channel)
        if limit is None:
            return []
        days, cap = limit.days, limit.max
        today = ctx.as_of or dt.date.today()
        since = today - dt.timedelta(days=days - 1)
        recent = [c for c in history if c.channel == channel and since <= c.date <= today]
        count = len(recent) + 1  # the draft itself
        selling = sum(1 for c in recent if c.purpose == "sales") + int(draft_sells(ctx))
        out: list[Finding] = []
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
