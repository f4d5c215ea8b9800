"""Plan a draft before any model call: stage rules, the moment (trigger), channel limits and
the customer facts the message may use.

    plan(brand, customer, kind, trigger, channel, as_of, usage_days={"serum": 30}) -> Plan

Pure and deterministic: no retrieval, no model. Customer fields are untrusted and pass
through :func:`generator.sanitize.clean` (a dropped field is listed in ``plan.dropped_inputs``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from core.errors import NotFoundError, RefusedError
from core.pii import contains_pii
from generator import guidance as g
from generator.drafts import ContentKind, Plan, Trigger
from generator.kinds import kind_spec
from generator.sanitize import clean
from knowledge.channels import SMS_SEGMENT, limits
from knowledge.pack import Brand, Channel, Customer, Tier
from knowledge.stages import Stage, stage_alias
from knowledge.timeline import NextStep, date_kind, stale_keys
from knowledge.timeline import timeline as life_timeline

LONG_SILENCE_DAYS = 45
BIRTHDAY_WINDOW = (-1, 7)  # from yesterday to a week ahead


def resolve_stage(brand: Brand, stage: str) -> Stage:
    """The brand's stage for an id or a zh/en alias (初识, "First contact")."""
    for candidate in (stage, stage_alias(stage)):
        for s in brand.stages:
            if candidate in (s.id, s.name_zh) or candidate.lower() == s.name_en.lower():
                return s
    raise NotFoundError(
        f"brand {brand.id!r} has no stage {stage!r}",
        hint="stages: " + ", ".join(s.id for s in brand.stages),
    )


def find_tier(brand: Brand, value: str | None) -> Tier:
    """The brand's tier by id or name; NotFoundError naming the tiers otherwise."""
    for tier in brand.tiers:
        if value in (tier.id, tier.name):
            return tier
    raise NotFoundError(
        f"brand {brand.id!r} has no tier {value!r}",
        hint="tiers: " + (", ".join(t.id for t in brand.tiers) or "none in brand.yaml"),
    )


def joined(tier: Tier, customer: Customer) -> bool:
    """Whether ``customer`` holds a place in ``tier`` by a purchase (its ``products``)."""
    return bool(tier.products) and any(p.product in tier.products for p in customer.purchases)


def invitation_tier(brand: Brand, value: str | None, customer: Customer) -> Tier:
    """The tier a customer may be invited into: one whose stages include theirs, or the tier
    that begins one stage above theirs (an invitation up one step). RefusedError otherwise:
    an invitation to a circle someone does not belong to reads like a sales trick."""
    tier = find_tier(brand, value)
    if joined(tier, customer):
        raise RefusedError(
            f"customer {customer.id!r} is in tier {tier.id!r} already: they bought "
            + ", ".join(sorted({p.product for p in customer.purchases} & set(tier.products))),
            hint="an invitation to a circle they are in reads like a sales pitch",
        )
    ids = [s.id for s in brand.stages]
    stage = resolve_stage(brand, customer.stage).id
    if stage in tier.stages:
        return tier
    firsts = [ids.index(s) for s in tier.stages if s in ids]
    if firsts and ids.index(stage) + 1 == min(firsts):
        return tier
    raise RefusedError(
        f"customer {customer.id!r} ({stage}) does not qualify for tier {tier.id!r}",
        hint=f"tier {tier.id} is for stages: " + ", ".join(tier.stages),
    )


def milestone(days: int, usage_days: int | None) -> Trigger | None:
    """Which usage moment ``days`` after purchase is: day3, half_used, almost_finished."""
    if 2 <= days <= 4:
        return Trigger.DAY3
    if not usage_days:
        return None
    share = days / usage_days
    if 0.4 <= share <= 0.6:
        return Trigger.HALF_USED
    if 0.8 <= share <= 1.15:
        return Trigger.ALMOST_FINISHED
    return None


def days_to_birthday(birthday: dt.date | None, as_of: dt.date) -> int | None:
    """Days from ``as_of`` to the nearest birthday (negative: it was that many days ago)."""
    if birthday is None:
        return None
    best: int | None = None
    for year in (as_of.year - 1, as_of.year, as_of.year + 1):
        try:
            day = birthday.replace(year=year)
        except ValueError:  # 29 February in a common year
            day = dt.date(year, 3, 1)
        delta = (day - as_of).days
        if best is None or abs(delta) < abs(best):
            best = delta
    return best


def choose_channel(
    brand: Brand, customer: Customer | None, kind: ContentKind, channel: str | None
) -> Channel:
    fixed = kind_spec(kind).channel
    if channel:
        chosen = Channel(channel)
    elif fixed is not None:
        chosen = fixed
    elif customer is not None and customer.channel in brand.channels:
        chosen = customer.channel
    else:
        chosen = next((c for c in brand.channels if c != Channel.EMAIL), brand.channels[0])
    if chosen not in brand.channels:
        raise RefusedError(
            f"brand {brand.id!r} does not use the {chosen.value} channel",
            hint="channels: " + ", ".join(c.value for c in brand.channels),
        )
    return chosen


def _limits(brand: Brand, channel: Channel, kind: ContentKind) -> tuple[int | None, int | None]:
    """(max characters, max English words) of the part the model writes."""
    lang = "en" if brand.language == "en" else "zh"
    if channel == Channel.SMS and brand.sms is not None:
        fixed = len(brand.sms.signature) + len(brand.sms.opt_out) + 1
        chars = SMS_SEGMENT[lang] - fixed
        return chars, (None if lang == "zh" else chars // 6)
    room = limits(channel)
    extra = kind_spec(kind).extra_chars
    zh_chars, en_words = room.zh_chars + extra, room.en_words + extra // 2
    return (zh_chars, None) if lang == "zh" else (en_words * 7, en_words)


def _check_moment(
    trigger: Trigger,
    customer: Customer | None,
    as_of: dt.date,
    birthday_in: int | None,
    silence: int | None,
) -> None:
    """A moment asked for that the customer's own data says is not now: a birthday wish five
    months early, a "long time no see" two days after a purchase. What is not known (no
    birthday on record) is left to the operator."""
    if customer is None:
        return
    far = birthday_in is not None and not BIRTHDAY_WINDOW[0] <= birthday_in <= BIRTHDAY_WINDOW[1]
    if trigger == Trigger.BIRTHDAY and customer.birthday and far:
        raise RefusedError(
            f"customer {customer.id!r} has a birthday on {customer.birthday:%m-%d}, "
            f"{birthday_in} days from {as_of}: not a birthday message",
            hint="leave the trigger out and the planner chooses the moment",
        )
    if trigger == Trigger.LONG_SILENCE and silence is not None and silence < LONG_SILENCE_DAYS:
        raise RefusedError(
            f"customer {customer.id!r} heard from us or bought {silence} days before {as_of}: "
            f"a long-silence message needs {LONG_SILENCE_DAYS} days",
            hint="leave the trigger out and the planner chooses the moment",
        )


def _infer_trigger(
    customer: Customer | None,
    kind: ContentKind,
    stage: Stage,
    days: int | None,
    usage_days: int | None,
    silence: int | None,
    birthday_in: int | None,
    question: str | None,
) -> Trigger:
    if not kind_spec(kind).needs_customer:  # written for a community, not a person
        return Trigger.MONTHLY
    if question:
        return Trigger.QUESTION
    if birthday_in is not None and BIRTHDAY_WINDOW[0] <= birthday_in <= BIRTHDAY_WINDOW[1]:
        return Trigger.BIRTHDAY
    if days is not None:
        moment = milestone(days, usage_days)
        if moment is not None:
            return moment
    if silence is not None and silence >= LONG_SILENCE_DAYS:
        return Trigger.LONG_SILENCE
    if stage.base == "first_contact" or customer is None or not customer.purchases:
        return Trigger.WELCOME
    return Trigger.AFTER_PURCHASE


# Tag keys that name contact details: never in a prompt, whatever their value looks like.
_CONTACT_KEYS = re.compile(
    r"e-?mail|mail|phone|mobile|tel|wechat|weixin|wx|whatsapp|line_id|address|addr|id_?card"
    r"|passport|邮箱|电话|手机|微信|地址|身份证|证件",
    re.IGNORECASE,
)


_LINK = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:cn|com|net|io|me|cc|ly)/\S*", re.I)


def _private(key: str, value: str, allowed: list[str] | None) -> str | None:
    """Why a tag must stay out of the prompt, or None if it may go in."""
    if _CONTACT_KEYS.search(key) or contains_pii(value):
        return "contact details never enter a prompt"
    if _LINK.search(value):
        return "links never enter a prompt from a customer record"
    if allowed is not None and key not in allowed:
        return "not in the brand's privacy.prompt_fields"
    return None


def _customer_facts(
    customer: Customer,
    as_of: dt.date,
    lang: str,
    dropped: list[str],
    allowed: list[str] | None = None,
) -> dict[str, str]:
    facts: dict[str, str] = {}
    name = clean(customer.name, max_len=20)
    if name.dropped:
        dropped.append(f"name: {name.reason}")
    elif name.value:
        facts["name"] = name.value
    facts["purchases"] = str(len(customer.purchases))
    timeline = {f.key: f for f in life_timeline(customer.tags, as_of, lang)}
    stale = stale_keys(customer.tags, timeline.values())
    for key, value in customer.tags.items():
        private = _private(key, value, allowed)
        if private is not None:
            dropped.append(f"tag {key[:20]}: {private}")
            continue
        k, v = clean(key, max_len=20), clean(value, max_len=40)
        if k.dropped or v.dropped or not k.value:
            dropped.append(f"tag {k.value or '?'}: {v.reason or k.reason or 'empty key'}")
            continue
        if k.value in facts or key in stale:
            continue  # a stale age (child_age=3岁 beside child_birth): the computed one wins
        if date_kind(key) is not None:  # child_birth=2023-05 -> 孩子3岁2个月, never the date
            if key in timeline:
                facts[k.value] = clean(timeline[key].text, max_len=40).value
            else:
                dropped.append(f"tag {k.value}: not a past date (YYYY-MM or YYYY-MM-DD)")
            continue
        facts[k.value] = v.value
    return facts


def plan(
    brand: Brand,
    customer: Customer | None,
    kind: ContentKind | str,
    trigger: Trigger | str | None = None,
    channel: Channel | str | None = None,
    as_of: dt.date | None = None,
    *,
    usage_days: Mapping[str, int] | None = None,
    product_names: Mapping[str, str] | None = None,
    question: str | None = None,
    stage: str | None = None,
    tier: Tier | None = None,
    ladder: NextStep | None = None,
) -> Plan:
    """Decide what this draft must do and must not do (see the module docstring).

    ``stage`` is for drafts without a customer (a community post for a tier); a customer's
    own stage wins. ``tier`` is the tier an invitation is for. ``ladder`` is the next step of
    the brand's product ladder the customer's timeline reached (a ``milestone``): the plan
    names its product, so the model never has to invent what comes next."""
    kind = ContentKind(kind)
    as_of = as_of or dt.date.today()
    lang = brand.language if brand.language in g.STAGE_GOAL else "zh"
    if customer is not None:
        stage_obj = resolve_stage(brand, customer.stage)
    elif stage:
        stage_obj = resolve_stage(brand, stage)
    else:
        stage_obj = brand.stages[-1]
    return _plan(
        brand,
        customer,
        kind,
        trigger,
        channel,
        as_of,
        stage_obj,
        lang,
        usage_days,
        product_names,
        question,
        tier,
        ladder,
    )


def _plan(
    brand: Brand,
    customer: Customer | None,
    kind: ContentKind,
    trigger: Trigger | str | None,
    channel: Channel | str | None,
    as_of: dt.date,
    stage: Stage,
    lang: str,
    usage_days: Mapping[str, int] | None,
    product_names: Mapping[str, str] | None,
    question: str | None,
    tier: Tier | None = None,
    ladder: NextStep | None = None,
) -> Plan:
    spec = kind_spec(kind)
    chosen = choose_channel(
        brand, customer, kind, channel.value if isinstance(channel, Channel) else channel
    )
    dropped: list[str] = []

    product: str | None = None
    days: int | None = None
    guide_days: int | None = None
    silence: int | None = None
    birthday_in: int | None = None
    facts: dict[str, str] = {}
    if customer is not None:
        last = customer.last_purchase
        if last is not None:
            product = last.product
            days = max((as_of - last.date).days, 0)
            guide_days = (usage_days or {}).get(product)
        contacts = [c.date for c in customer.last_contacts]
        since = max(contacts) if contacts else (last.date if last else None)
        silence = (as_of - since).days if since else None
        birthday_in = days_to_birthday(customer.birthday, as_of)
        facts = _customer_facts(customer, as_of, lang, dropped, brand.privacy.prompt_fields)

    asked: str | None = None
    if question:
        cleaned = clean(question, max_len=300)
        if cleaned.dropped:
            dropped.append(f"question: {cleaned.reason}")
        asked = cleaned.value or None

    if spec.trigger is not None:  # a kind written for one moment only (an invitation)
        chosen_trigger = spec.trigger
    elif trigger:
        chosen_trigger = Trigger(trigger)
        _check_moment(chosen_trigger, customer, as_of, birthday_in, silence)
    else:
        chosen_trigger = _infer_trigger(
            customer, kind, stage, days, guide_days, silence, birthday_in, asked
        )
    product_name = (product_names or {}).get(product or "", product or "")
    if product:
        facts["product"] = product_name
    usage_moment = chosen_trigger != Trigger.MILESTONE  # a milestone counts the timeline
    if days is not None and usage_moment:
        facts["days_since_purchase"] = str(days)
    if guide_days and usage_moment:
        facts["usage_days"] = str(guide_days)
    next_name = ""
    if chosen_trigger == Trigger.MILESTONE:
        if ladder is None or ladder.next_guide.product is None:
            raise RefusedError(
                "no next step of the brand's ladder is open for this customer",
                hint="a usage guide with next: and from_months:, and a date tag such as "
                "child_birth=YYYY-MM that has reached it",
            )
        next_name = (product_names or {}).get(ladder.next_guide.product, ladder.next_guide.product)
        facts["next_product"] = next_name
    if customer is not None and customer.birthday and chosen_trigger == Trigger.BIRTHDAY:
        facts["birthday"] = customer.birthday.strftime("%m-%d")
    facts["stage"] = stage.name(lang)

    goal_fill = {
        "days": days if days is not None else "?",
        "product": product_name,
        "usage_days": guide_days or "?",
        "birthday": facts.get("birthday", ""),
        "stage_name": stage.name(lang),
        "silence_days": silence if silence is not None else "?",
        "tier": tier.name if tier else "",
        "next_product": next_name,
        "timeline": ladder.fact.text if ladder is not None else "",
    }
    if tier is not None:
        facts["tier"] = tier.name
    # The stage's purpose (g.STAGE_GOAL) stays out of the prompt: small models parrot it.
    goal = g.TRIGGER_GOAL[lang][chosen_trigger.value].format(**goal_fill)

    # The brand's own playbook for the stage when it wrote one, the built-in one otherwise.
    must = list(stage.fits) or list(g.STAGE_MUST[lang][stage.base])
    avoid = list(stage.avoid) or list(g.STAGE_MUST_NOT[lang][stage.base])
    must_not = avoid + list(g.ALWAYS_MUST_NOT[lang])
    if spec.selling == "never":
        must_not.append(g.NO_SELLING[lang])
    if chosen_trigger == Trigger.ALMOST_FINISHED:
        must.append(g.REPLENISH[lang][stage.selling])
    if chosen_trigger == Trigger.MILESTONE and g.NO_SELLING[lang] not in must_not:
        must_not.append(g.NO_SELLING[lang])  # an invitation to know, never a sale
    max_chars, max_words = _limits(brand, chosen, kind)
    must.append(g.CHANNEL_RULE[lang][chosen.value].format(max_chars=max_chars, max_words=max_words))

    return Plan(
        stage=stage.id,
        stage_name=stage.name(lang),
        stage_who=stage.who,
        stage_avoid=list(stage.avoid),
        trigger=chosen_trigger.value,
        channel=chosen.value,
        goal=goal,
        must=must,
        must_not=must_not,
        product=product,
        days_since_purchase=days,
        usage_days=guide_days,
        facts=facts,
        max_chars=max_chars,
        kind=kind.value,
        lang=lang,
        base_stage=stage.base.value,
        selling=spec.selling or stage.selling,
        max_words=max_words,
        days_since_contact=silence,
        birthday_in_days=birthday_in,
        question=asked,
        dropped_inputs=dropped,
        next_product=ladder.next_guide.product if next_name and ladder else None,
        next_doc=ladder.next_guide.id if next_name and ladder else None,
        timeline=ladder.fact.text if next_name and ladder else None,
    )
