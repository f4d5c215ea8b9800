"""Assemble what the customer reads from the model's structured reply, adding the fixed
parts the model never writes: the SMS signature and opt-out, the email unsubscribe line and
sender. Fixed parts the model wrote anyway are removed first, so they never appear twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from generator.drafts import ContentKind
from generator.schemas import CareReply, EmailReply, PostReply
from knowledge.pack import Brand, Channel


@dataclass(frozen=True)
class Composed:
    text: str  # everything the customer reads
    body: str
    subject: str | None = None
    title: str | None = None
    sign_off: str | None = None
    belief_used: str | None = None
    unsubscribe: str | None = None


def _without(text: str, *parts: str) -> str:
    for part in parts:
        if part:
            text = text.replace(part, "")
    return text.strip()


def compose(kind: ContentKind, reply: BaseModel, brand: Brand, channel: str) -> Composed:
    unsubscribe = brand.email.unsubscribe if brand.email else None
    sender = brand.email.sender if brand.email else None
    if isinstance(reply, EmailReply):
        body = _without(reply.body, unsubscribe or "", sender or "")
        if reply.sign_off and body.endswith(reply.sign_off):  # the model signed twice
            body = body[: -len(reply.sign_off)].rstrip()
        footer = "\n".join(p for p in (unsubscribe, sender) if p)
        text = f"{reply.subject}\n\n{body}\n\n{reply.sign_off}"
        text = f"{text}\n\n{footer}" if footer else text
        return Composed(
            text=text,
            body=body,
            subject=reply.subject,
            sign_off=reply.sign_off,
            belief_used=reply.belief_used or None,
            unsubscribe=unsubscribe,
        )
    if isinstance(reply, PostReply):
        return Composed(text=f"{reply.title}\n\n{reply.body}", body=reply.body, title=reply.title)
    body = str(getattr(reply, "text", ""))
    if channel == Channel.SMS.value and brand.sms is not None:
        body = _without(body, brand.sms.signature, brand.sms.opt_out)
        return Composed(
            text=f"{sms_head(brand.sms.signature)}{body} {brand.sms.opt_out}", body=body
        )
    if channel == Channel.EMAIL.value and brand.email is not None:
        body = _without(body, brand.email.unsubscribe, brand.email.sender)
        return Composed(
            text=f"{body}\n\n{brand.email.unsubscribe}\n{brand.email.sender}",
            body=body,
            unsubscribe=brand.email.unsubscribe,
        )
    return Composed(text=body, body=body)


def sms_head(signature: str) -> str:
    """An SMS signature before the body: "【青水肌研】" joins it, "[Stride & Co.]" is followed
    by a space."""
    return signature + " " if signature and signature[-1].isascii() else signature


def furnish(
    body: str,
    brand: Brand,
    channel: str,
    *,
    subject: str | None = None,
    sign_off: str | None = None,
    title: str | None = None,
) -> tuple[Composed, int]:
    """A composed body with the channel's fixed parts around it (subject and sign-off,
    unsubscribe line and sender; SMS signature and opt-out; a post's title), and where the
    body starts in the text (so the parts' spans can be moved there)."""
    if title is not None:
        post = compose(
            ContentKind.COMMUNITY_POST, PostReply(title=title, body=body), brand, channel
        )
        return post, len(title) + 2
    if subject is not None:
        reply: BaseModel = EmailReply(
            subject=subject, body=body, belief_used="", sign_off=sign_off or brand.persona.signature
        )
        composed = compose(ContentKind.AFTERSALE_EMAIL, reply, brand, Channel.EMAIL.value)
        return composed, len(subject) + 2
    composed = compose(ContentKind.CARE_MESSAGE, CareReply(text=body), brand, channel)
    offset = len(sms_head(brand.sms.signature)) if channel == Channel.SMS.value and brand.sms else 0
    return composed, offset
