"""Channel rules: SMS length, brand signature and opt-out; email unsubscribe line and sender
identity; the "广告" label on community posts that sell with a personal story; WeChat length."""

from __future__ import annotations

import math
import re

from evals.checks.base import affirmed, finding, first, found, head_span, tail_span
from evals.lexicon import load, pattern, words_pattern
from evals.types import CheckContext, Finding, Severity
from knowledge.channels import SMS_SEGMENT, SMS_SEGMENT_MULTI, limits
from knowledge.pack import Channel

_SIGNATURE = re.compile(load("channel")["sms_signature"])


def _expected(ctx: CheckContext, value: str | None) -> str:
    if not value:
        return ""
    return f"（{value}）" if ctx.lang != "en" else f" ({value})"


class ChannelCheck:
    """What each channel requires of a message, by law or by custom."""

    family = "channel"

    def run(self, ctx: CheckContext) -> list[Finding]:
        if ctx.channel == "sms":
            return self._sms(ctx)
        if ctx.channel == "email":
            return self._email(ctx)
        if ctx.channel == "community":
            return self._community(ctx)
        if ctx.channel == "wechat":
            return self._wechat(ctx)
        return []

    def _sms(self, ctx: CheckContext) -> list[Finding]:
        text, out = ctx.text, []
        gsm = "en" if text.isascii() else "zh"  # plain Latin text fits the 7-bit alphabet
        limit = SMS_SEGMENT[gsm]
        n = len(text.strip())
        if n > limit:
            segments = math.ceil(n / SMS_SEGMENT_MULTI[gsm])
            out.append(
                finding(
                    ctx,
                    "channel.sms_length",
                    Severity.WARN,
                    limit,
                    len(text),
                    count=n,
                    limit=limit,
                    segments=segments,
                )
            )
        rules = ctx.brand.sms if ctx.brand is not None else None
        if rules is not None:
            has_sig = rules.signature in text
            has_opt = rules.opt_out.lower() in text.lower() or bool(
                found(pattern("channel", "sms_opt_out"), text)
            )
        else:
            has_sig = bool(_SIGNATURE.search(text))
            has_opt = found(pattern("channel", "sms_opt_out"), text)
        if not has_sig:
            out.append(
                finding(
                    ctx,
                    "channel.sms_signature",
                    Severity.ERROR,
                    *head_span(text),
                    expected=_expected(ctx, rules.signature if rules else None),
                )
            )
        if not has_opt:
            out.append(
                finding(
                    ctx,
                    "channel.sms_opt_out",
                    Severity.ERROR,
                    *tail_span(text),
                    expected=_expected(ctx, rules.opt_out if rules else None),
                )
            )
        return out

    def _email(self, ctx: CheckContext) -> list[Finding]:
        text, out = ctx.text, []
        rules = ctx.brand.email if ctx.brand is not None else None
        has_unsub = found(pattern("channel", "email_unsubscribe"), text)
        if rules is not None and rules.unsubscribe in text:
            has_unsub = True
        if not has_unsub:
            out.append(
                finding(
                    ctx,
                    "channel.email_unsubscribe",
                    Severity.ERROR,
                    *tail_span(text),
                    expected=_expected(ctx, rules.unsubscribe if rules else None),
                )
            )
        if ctx.brand is not None:
            names = [ctx.brand.persona.name, ctx.brand.persona.signature, ctx.brand.name]
            if rules is not None:
                names.append(rules.sender.split("<", 1)[0].strip())
            sender = words_pattern([n for n in names if n])
            has_sender = found(sender, text)
            expected = ctx.brand.persona.signature
        else:
            has_sender = found(pattern("channel", "sign_off"), text)
            expected = None
        if not has_sender:
            out.append(
                finding(
                    ctx,
                    "channel.email_sender",
                    Severity.WARN,
                    *tail_span(text),
                    expected=_expected(ctx, expected),
                )
            )
        return out

    def _community(self, ctx: CheckContext) -> list[Finding]:
        link = first(pattern("channel", "purchase_link"), ctx.text)
        if link is None:
            link = first(pattern("spam", "url"), ctx.text)
            if link is not None and not affirmed(pattern("spam", "sales"), ctx.text):
                link = None  # a link to an article is not a purchase link
        if link is None or not found(pattern("channel", "personal_story"), ctx.text):
            return []
        if found(pattern("channel", "ad_label"), ctx.text):
            return []
        return [finding(ctx, "channel.ad_label", Severity.ERROR, link.start(), link.end())]

    def _wechat(self, ctx: CheckContext) -> list[Finding]:
        wechat = limits(Channel.WECHAT)
        limit = wechat.en_chars if ctx.lang == "en" else wechat.zh_chars
        n = len(ctx.text.strip())
        if n <= limit:
            return []
        personal = ctx.personal if ctx.personal is not None else ctx.kind in (None, "care_message")
        severity = Severity.WARN if personal else Severity.INFO
        return [
            finding(
                ctx, "channel.wechat_length", severity, limit, len(ctx.text), count=n, limit=limit
            )
        ]
