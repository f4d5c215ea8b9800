"""What the truth, coherence and injection checks read from a CheckContext besides the text:
names a draft may use freely, the brand's fixed lines, and the customer's own words."""

from __future__ import annotations

import datetime as dt

from evals.checks.base import matches, piece_matches, purchased
from evals.checks.overlap import units_of
from evals.lexicon import pattern, words_pattern
from evals.types import CheckContext
from knowledge.timeline import tags_as_of

# Kinds that go to a group rather than one person (when the plan does not say, through
# ``ctx.personal``): generator/kinds.py, ``personal``.
PUBLIC_KINDS = ("community_post", "user_story_post")


def public(ctx: CheckContext) -> bool:
    """Whether the draft goes to a group (a post), not to one person."""
    return (not ctx.personal) if ctx.personal is not None else ctx.kind in PUBLIC_KINDS


def nameless(ctx: CheckContext) -> bool:
    """No product, brand or customer to name: :func:`names`, :func:`product_names` and
    :func:`brand_lines` are all empty (a text checked on its own)."""
    return (
        ctx.brand is None
        and ctx.customer is None
        and not ctx.products
        and not ctx.product_names
        and not ctx.facts.get("product")
    )


def names(ctx: CheckContext) -> list[str]:
    """Names a draft may use that are not claims: products, the brand, its persona, the
    customer."""
    out = product_names(ctx)
    if ctx.brand is not None:
        out += [n for n in (ctx.brand.name, ctx.brand.persona.name) if n and n.strip()]
    if ctx.customer is not None and ctx.customer.name and ctx.customer.name.strip():
        out.append(ctx.customer.name)
    return out


def product_names(ctx: CheckContext) -> list[str]:
    """How a draft may name a product: the brand's products, their display names and ids, and
    the plan's product."""
    out = [*ctx.products, *ctx.product_names.values(), *purchased(ctx)]
    if ctx.facts.get("product"):
        out.append(ctx.facts["product"])
    return [n for n in out if n and n.strip()]


def brand_lines(ctx: CheckContext) -> list[str]:
    """The brand's fixed lines (signature, SMS signature and opt-out, e-mail sender and
    unsubscribe): the brand's own words, not the draft's claims."""
    b = ctx.brand
    if b is None:
        return []
    out = [b.persona.signature]
    if b.email is not None:
        out += [b.email.unsubscribe, b.email.sender]
    if b.sms is not None:
        out += [b.sms.signature, b.sms.opt_out]
    return [line for line in out if line]


def brand_line_spans(ctx: CheckContext) -> list[tuple[int, int]]:
    """Where the brand's fixed lines stand in the text."""
    pat = words_pattern(brand_lines(ctx))
    return [m.span() for m in matches(pat, ctx.text)] if pat is not None else []


def without_brand_lines(ctx: CheckContext, text: str) -> str:
    """``text`` without the brand's fixed lines, its persona's name and any SMS opt-out
    ("回复TD退订", "Reply STOP to opt out"): what is left is the draft's own words."""
    persona = ctx.brand.persona.name if ctx.brand is not None else ""
    for line in [*brand_lines(ctx), persona]:
        if line:
            text = text.replace(line, "")
    for tail in piece_matches(pattern("channel", "sms_opt_out"), text)[::-1]:
        text = text[: tail.start()] + text[tail.end() :]
    return text


def knows_customer_words(ctx: CheckContext) -> bool:
    """Whether an empty ``customer_said`` means "the customer said nothing": the plan filled
    the context (a trigger is set) or the customer's words are given."""
    return ctx.trigger is not None or bool(ctx.customer_said)


def said_units(ctx: CheckContext) -> frozenset[str]:
    """The content of what the customer said, and of the tags the brand recorded for them."""
    c = ctx.customer
    tags = list(tags_as_of(c.tags, ctx.as_of or dt.date.today(), ctx.lang).values()) if c else []
    return units_of([*ctx.customer_said, *tags])
