"""The channel's fixed parts around a composed body, which the model never writes: an email's
subject, sign-off, unsubscribe line and sender; the SMS signature and opt-out; a post's title.
Fixed parts found in the body already are removed first, so they never appear twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.pack import Brand, Channel


@dataclass(frozen=True)
class Composed:
    text: str  # everything the customer reads
    body: str
    subject: str | None = None
    title: str | None = None
    sign_off: str | None = None
    unsubscribe: str | None = None


def _without(text: str, *parts: str) -> str:
    for part in parts:
        if part:
            text = text.replace(part, "")
    return text.strip()


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
        head, text = title.strip(), body.strip()
        return Composed(text=f"{head}\n\n{text}", body=text, title=head), len(title) + 2
    if subject is not None:
        return _email(body, brand, subject, sign_off or brand.persona.signature), len(subject) + 2
    body = body.strip()
    if channel == Channel.SMS.value and brand.sms is not None:
        body = _without(body, brand.sms.signature, brand.sms.opt_out)
        head = sms_head(brand.sms.signature)
        return Composed(text=f"{head}{body} {brand.sms.opt_out}", body=body), len(head)
    if channel == Channel.EMAIL.value and brand.email is not None:
        body = _without(body, brand.email.unsubscribe, brand.email.sender)
        text = f"{body}\n\n{brand.email.unsubscribe}\n{brand.email.sender}"
        return Composed(text=text, body=body, unsubscribe=brand.email.unsubscribe), 0
    return Composed(text=body, body=body), 0


def _email(body: str, brand: Brand, subject: str, sign_off: str) -> Composed:
    """Subject, body, sign-off, then the unsubscribe line and sender."""
    subject, sign_off = subject.strip(), sign_off.strip()
    unsubscribe = brand.email.unsubscribe if brand.email else None
    sender = brand.email.sender if brand.email else None
    body = _without(body.strip(), unsubscribe or "", sender or "")
    if sign_off and body.endswith(sign_off):  # signed twice
        body = body[: -len(sign_off)].rstrip()
    footer = "\n".join(p for p in (unsubscribe, sender) if p)
    text = f"{subject}\n\n{body}\n\n{sign_off}"
    text = f"{text}\n\n{footer}" if footer else text
    return Composed(
        text=text, body=body, subject=subject, sign_off=sign_off, unsubscribe=unsubscribe
    )
