"""Gather the knowledge one draft may rely on: usage-guide passages for the product, one
belief statement, a consented story (story posts) and FAQ passages (questions).

Only the brand's own knowledge is searched (the knowledge base guarantees it). Missing
knowledge is an error, never something the model is left to invent.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from core.errors import MissingKnowledgeError, NotFoundError, RefusedError
from generator.basis import product_names
from generator.drafts import Plan, Source
from generator.kinds import kind_spec
from generator.posts import PostSource, post_source
from generator.slots import CJK
from knowledge.guides import fits_day, moment_item, names_whole, safety_statements, sentences
from knowledge.pack import Belief, BrandPack, Channel, Customer, DocKind, KnowledgeDoc
from knowledge.retriever import Knowledge, Passage

# A guide's first steps are news only in the first days after a purchase.
FIRST_STEPS_DAYS = 14

# Words that steer the guide search toward the passage for this moment.
_MOMENT_QUERY = {
    "zh": {
        "day3": "第3天 刚开始使用 用量 步骤",
        "half_used": "用到一半 效果 注意",
        "almost_finished": "快用完 最后 下一步",
        "welcome": "第一次使用 怎么开始 步骤",
        "after_purchase": "用量 步骤 注意事项",
        "birthday": "用量 注意事项",
        "long_silence": "用量 注意事项",
        "stage_up": "进阶 下一步",
        "milestone": "什么时候开始 月龄 适合",
    },
    "en": {
        "day3": "day 3 first days how much steps",
        "half_used": "halfway results what to notice",
        "almost_finished": "almost finished last days next step",
        "welcome": "first use how to start steps",
        "after_purchase": "amount steps cautions",
        "birthday": "amount steps cautions",
        "long_silence": "amount steps cautions",
        "stage_up": "advanced next step",
        "milestone": "when to start ready getting started",
    },
}
# Words that mark the guide passage written for this moment (ranked first when present).
_MOMENT_MARKS = {
    "day3": ("第 3 天", "第3天", "第三天", "day 3", "first days", "first week", "第一周"),
    "half_used": ("一半", "第 15 天", "halfway", "half way", "half-used", "midway"),
    "almost_finished": ("快用完", "最后", "almost finished", "nearly finished", "last few"),
    "welcome": ("第一次", "开始", "first use", "getting started", "before you start"),
}
# How much guide text goes into one prompt (the local model reads ~50 tokens/s).
GUIDE_BUDGET = {"zh": 420, "en": 1000}
STORY_BUDGET = {"zh": 700, "en": 1500}


@dataclass
class Evidence:
    guide: list[Passage] = field(default_factory=list)
    faq: list[Passage] = field(default_factory=list)
    notes: list[Passage] = field(default_factory=list)  # other knowledge (community posts)
    belief: Belief | None = None
    story: KnowledgeDoc | None = None
    tip: str | None = None  # the guide passage this moment calls for (the draft must carry it)
    post: PostSource | None = None  # what a community post is built on, read for quoting
    safety: list[str] = field(default_factory=list)  # the guide's safety statements, verbatim

    def sources(self) -> list[Source]:
        out = [
            Source(doc_id=p.doc_id, kind=p.kind, chunk_id=p.chunk_id, title=p.title, score=p.score)
            for p in [*self.guide, *self.faq, *self.notes]
        ]
        if self.story is not None:
            out.append(
                Source(doc_id=self.story.id, kind=DocKind.STORY.value, title=self.story.title)
            )
        post = self.post
        if post is not None and post.doc_id and post.doc_id not in {s.doc_id for s in out}:
            kind = {"guide": DocKind.USAGE_GUIDE.value}.get(post.kind, post.kind)
            out.append(Source(doc_id=post.doc_id, kind=kind, title=post.title))
        return out

    def chunk_ids(self) -> list[str]:
        return [p.chunk_id for p in [*self.guide, *self.faq, *self.notes]]

    def texts(self) -> list[str]:
        """The passages a draft may rely on (the grounding checks compare against these)."""
        texts = [f"{p.title}\n{p.text}" for p in [*self.guide, *self.faq, *self.notes]]
        if self.story is not None:
            texts.append(self.story.body)
        if self.post is not None:
            texts += [self.post.title, *self.post.texts]
        if self.belief is not None:
            texts.append(self.belief.text)
        return texts


def _first_item(text: str) -> str:
    """The first bullet or paragraph of a retrieved passage (without its headings)."""
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:[-*+]|\d+[.)])\s)", text):
        plain = re.sub(r"^\s*(?:#+.*\n?|(?:[-*+]|\d+[.)])\s+)", "", block.strip()).strip()
        plain = " ".join(plain.replace("**", "").split())
        if plain and not plain.startswith("#"):
            return plain
    return " ".join(text.split())


def _within_budget(passages: list[Passage], budget: int) -> list[Passage]:
    chosen: list[Passage] = []
    used = 0
    for p in passages:
        if chosen and used + len(p.text) > budget:
            break
        chosen.append(p)
        used += len(p.text)
    return chosen


def _moment_first(passages: list[Passage], trigger: str) -> list[Passage]:
    """Stable re-rank: passages that name this moment (day 3, halfway...) come first."""
    marks = _MOMENT_MARKS.get(trigger, ())
    if not marks:
        return passages
    hit = [p for p in passages if any(m in p.text.lower() for m in marks)]
    return hit + [p for p in passages if p not in hit]


# Words every English sentence has: a belief full of them ("we will tell you when you do not
# need a new pair") matched every situation and went into every email of the brand.
_STOP = frozenset(
    [
        "the",
        "and",
        "you",
        "your",
        "for",
        "with",
        "not",
        "but",
        "are",
        "was",
        "were",
        "will",
        "would",
        "can",
        "could",
        "this",
        "that",
        "these",
        "those",
        "when",
        "what",
        "how",
        "who",
        "why",
        "where",
        "there",
        "their",
        "them",
        "they",
        "then",
        "than",
        "our",
        "ours",
        "out",
        "all",
        "any",
        "too",
        "very",
        "just",
        "have",
        "has",
        "had",
        "don",
        "does",
        "did",
        "from",
        "into",
        "onto",
        "about",
        "also",
        "more",
        "most",
        "less",
        "one",
        "two",
        "get",
        "got",
        "its",
        "it's",
        "you're",
        "we're",
        "let",
        "make",
        "made",
        "need",
        "needs",
        "new",
    ]
)


def _grams(text: str) -> set[str]:
    text = text.lower()
    words = set(re.findall(r"[a-z]{3,}", text)) - _STOP
    cjk = re.sub(r"[^\u4e00-\u9fff]", "", text)
    return words | {cjk[i : i + 2] for i in range(len(cjk) - 1)}


_PRICE = re.compile(
    r"价格|一个价|降价|涨价|折扣|优惠|促销|大促|\b(?:price|prices|pricing|discount|sale|sales|deal)\b",
    re.I,
)


def _moment_by_share(days: int, usage_days: int | None) -> str | None:
    """The usage moment ``days`` after the purchase is nearest to: halfway from 30 % to 70 %
    of the guide's days, almost finished from 70 % to 115 %; None before, after, or unknown."""
    if not usage_days:
        return None
    share = days / usage_days
    if 0.3 <= share < 0.7:
        return "half_used"
    if 0.7 <= share <= 1.15:
        return "almost_finished"
    return None


_NUMBER = re.compile(r"[\d.,\s%~–-]+")


def _names(value: str, sentence: str) -> bool:
    """Whether ``sentence`` names ``value``: as a whole word when it is English ("run" is
    not in "running")."""
    return value in sentence if CJK.search(value) else names_whole(value, sentence)


def for_them(text: str, customer: Customer, kinds: Mapping[str, Collection[str]]) -> str:
    """``text`` without the sentences written for other kinds of customer: "干皮会觉得不那么
    粗糙了" is not for an oily-skinned customer. The kinds are the values the brand's own
    customers have under the customer's tag keys (``kinds``, :meth:`BrandPack.kinds`:
    skin=干皮 / 油皮 / 混合皮…); a sentence that names another one and not the customer's own
    is left out."""
    # a kind is a word, not a number: weekly_km=10 is no kind, and "10" is in "about day 100"
    mine = {k: v for k, v in customer.tags.items() if len(v) >= 2 and not _NUMBER.fullmatch(v)}
    others = {
        value
        for k in mine
        for value in kinds.get(k, ())
        if len(value) >= 2 and value not in mine[k] and mine[k] not in value
    }
    if not others:
        return text
    kept = [
        s
        for s in sentences(text)
        if not any(_names(o, s) for o in others) or any(_names(v, s) for v in mine.values())
    ]
    return ("" if CJK.search(text) else " ").join(kept)


def choose_belief(
    beliefs: list[Belief],
    situation: str,
    key: str,
    *,
    care: bool = False,
    product: str | None = None,
    moment: str | None = None,
) -> Belief | None:
    """The belief most related to ``situation``; ties (and near-ties) rotate by ``key``.

    Deterministic: the same customer, kind and trigger always get the same belief, while
    different customers of one brand see different ones. A belief that names its products
    goes only with those (``product``), one that names its moments only at those
    (``moment``); the others go with anything.
    """
    if not beliefs:
        return None

    def fits(b: Belief) -> bool:
        return not b.products or bool(product and product in b.products)

    def timely(b: Belief) -> bool:
        return not b.moments or bool(moment and moment in b.moments)

    # A belief about prices ("我们一年四季一个价…什么时候需要，什么时候来就好") woven into a
    # message to one customer (``care``) reads as a nudge to buy again: another belief is
    # taken when there is one. A community post about prices may still carry it.
    def kind(b: Belief) -> bool:
        return not (care and _PRICE.search(f"{b.topic} {b.text}"))

    # the most fitting set that is not empty: product, moment and care; then without the
    # moment; then any caring one (a sock email at day 25 takes no price belief)
    for wanted in (
        lambda b: fits(b) and timely(b) and kind(b),
        lambda b: fits(b) and kind(b),
        kind,
        lambda b: True,
    ):
        candidates = [b for b in beliefs if wanted(b)]
        if candidates:
            break
    want = _grams(situation)
    scored = [(len(want & _grams(f"{b.topic} {b.text}")), b) for b in candidates]
    top = max(score for score, _ in scored)
    # near-ties rotate; when some belief shares words with the situation, only those do (a
    # belief sharing none read as a non sequitur after the tip)
    near = [b for score, b in scored if score >= (max(top - 1, 1) if top else 0)]
    index = int(hashlib.sha256(key.encode()).hexdigest(), 16) % len(near)
    return near[index]


def choose_story(
    kb: Knowledge, pack: BrandPack, customer: Customer | None, story_doc: str | None
) -> KnowledgeDoc:
    """A story with ``consent: true``: the one asked for, the customer's own, or the best
    match. A story without consent is refused, never used."""
    if story_doc:
        try:
            doc = pack.doc(story_doc)
        except KeyError:
            raise NotFoundError(f"brand {pack.brand.id!r} has no document {story_doc!r}") from None
        if doc.kind != DocKind.STORY:
            raise NotFoundError(f"document {story_doc!r} is a {doc.kind.value}, not a story")
        if doc.consent is not True:
            raise RefusedError(
                f"story {doc.id!r} has no consent from its customer",
                hint="set 'consent: true' only after the customer agreed",
            )
        return doc
    stories = [d for d in pack.docs if d.kind == DocKind.STORY]
    consented = [d for d in stories if d.consent is True]
    if customer is not None:
        own = [d for d in stories if d.customer == customer.id]
        if own:
            mine = [d for d in own if d.consent is True]
            if not mine:
                raise RefusedError(
                    f"the story of customer {customer.id!r} ({own[0].id}) has no consent",
                    hint="set 'consent: true' only after the customer agreed",
                )
            return mine[0]
    if not consented:
        if stories:
            raise RefusedError(f"brand {pack.brand.id!r} has no story with consent")
        raise MissingKnowledgeError(f"brand {pack.brand.id!r} has no customer stories")
    query = " ".join(customer.tags.values()) if customer else pack.brand.name
    ids = {d.id: d for d in consented}
    for p in kb.search(pack.brand.id, query or pack.brand.name, kind=DocKind.STORY.value, k=8):
        if p.doc_id in ids:
            return ids[p.doc_id]
    return consented[0]


def gather(
    kb: Knowledge,
    pack: BrandPack,
    plan: Plan,
    customer: Customer | None,
    *,
    k: int,
    story_doc: str | None = None,
    theme: str | None = None,
    source: str | None = None,
    turn: int = 0,
) -> Evidence:
    """Retrieve everything this plan needs (see the module docstring)."""
    brand = pack.brand
    lang = plan.lang
    spec = kind_spec(plan.kind)
    evidence = Evidence()
    built_on = _post_basis(pack, source) if source else None
    if isinstance(built_on, KnowledgeDoc) and built_on.kind == DocKind.STORY:
        story_doc, built_on = built_on.id, None

    if spec.needs_story or story_doc:
        story = choose_story(kb, pack, customer, story_doc)
        built_on = story
        if len(story.body) > STORY_BUDGET[lang]:
            story = story.model_copy(update={"body": story.body[: STORY_BUDGET[lang]] + "…"})
        evidence.story = story

    # a milestone is about the next product of the ladder: its guide, not the one bought
    product = plan.next_product if plan.trigger == "milestone" else plan.product
    if evidence.story is not None:
        product = next(
            (
                d.product
                for d in pack.docs
                if d.kind == DocKind.USAGE_GUIDE and d.product and d.product in evidence.story.tags
            ),
            None,
        )
    if product and not spec.guide:
        pass  # this kind is not about using the product (an invitation)
    elif product and plan.trigger == "birthday" and spec.personal and not spec.needs_purchase:
        pass  # a birthday wish carries no product facts (and must not turn into a pitch)
    elif product:
        guide = pack.usage_guide(product)
        if guide is None:
            raise MissingKnowledgeError(
                f"brand {brand.id!r} has no usage guide for product {product!r}",
                hint="add knowledge/<file>.md with kind: usage_guide and product: " + product,
            )
        moment = _MOMENT_QUERY[lang].get(plan.trigger, "")
        query = plan.question or f"{guide.title} {moment}"
        found = kb.search(
            brand.id, query, kind=DocKind.USAGE_GUIDE.value, product=product, k=max(k, 6)
        )
        found = _moment_first(found, plan.trigger)[:k]
        if not found:
            raise MissingKnowledgeError(
                f"the usage guide for {product!r} has no indexed passages",
                hint=f"run: zhenxin ingest <pack folder of {brand.id}>",
            )
        evidence.guide = _within_budget(found, GUIDE_BUDGET[lang])
        # The planner, not the model, picks what this moment calls for: the guide's item
        # for it (day 3, halfway, almost finished, first steps), else the best passage.
        evidence.safety = safety_statements(guide)
        first_steps_late = (
            plan.trigger == "after_purchase" and (plan.days_since_purchase or 0) > FIRST_STEPS_DAYS
        )
        # "精华吸收后使用…" on day 37 would tell them what they have done for a month
        # a stage-up thanks and looks ahead, an invitation invites: neither carries a tip, so
        # none is required of them (a reader saw stage-ups sent to review for a missing tip)
        no_tip = ("birthday", "long_silence", "question", "stage_up", "tier_invite")
        if plan.trigger not in no_tip and not first_steps_late:
            # a milestone tells how the next product starts (its first steps)
            item = moment_item(guide, "welcome" if plan.trigger == "milestone" else plan.trigger)
            evidence.tip = item.text if item is not None else _first_item(found[0].text)
        elif first_steps_late:
            # past the first steps: the guide's item for where they are now (37 days into an
            # 84-day cream is its halfway), else nothing rather than a stale step
            late = _moment_by_share(plan.days_since_purchase or 0, plan.usage_days)
            item = moment_item(guide, late) if late else None
            if item is not None and not fits_day(
                item.text, plan.days_since_purchase or 0, plan.usage_days
            ):
                item = None  # "end of week 4: you are running 5 minutes at a time" on day 20
            evidence.tip = item.text if item is not None else None
        if evidence.tip and customer is not None:
            evidence.tip = for_them(evidence.tip, customer, pack.kinds()) or None
    elif spec.needs_purchase:
        raise MissingKnowledgeError(
            f"a {spec.kind.value} needs a purchase, and this customer has none",
            hint="add the purchase to customers.csv (product@YYYY-MM-DD)",
        )

    if plan.question or (not product and spec.personal):
        query = plan.question or _MOMENT_QUERY[lang]["welcome"]
        faq = kb.search(brand.id, query, kind=DocKind.FAQ.value, k=2)
        evidence.faq = _within_budget(faq, GUIDE_BUDGET[lang] // 2)

    if theme:
        found = kb.search(brand.id, theme, k=3)
        evidence.notes = _within_budget(found, GUIDE_BUDGET[lang])

    situation = " ".join([plan.goal, *(p.text for p in evidence.guide), plan.question or ""])
    if evidence.story is not None:
        situation += " " + evidence.story.body
    key = f"{customer.id if customer else '-'}|{plan.kind}|{plan.trigger}"
    # the belief goes right after the tip: one that shares words with the tip itself fits
    # better than one that shares words with the whole guide ("Hold each pair up to the
    # light…" then "There is no wrong pace" read as a non sequitur)
    if evidence.tip:
        focus = f"{evidence.tip} {plan.facts.get('product', '')}"
        if any(_grams(focus) & _grams(f"{b.topic} {b.text}") for b in brand.beliefs):
            situation = focus
    if spec.belief != "none":
        # a post on nothing in particular (the year-end thank-you) carries no price belief
        plain_post = spec.channel == Channel.COMMUNITY and built_on is None
        evidence.belief = choose_belief(
            brand.beliefs,
            situation,
            key,
            care=spec.personal or plain_post,
            product=product,
            moment=plan.trigger,
        )
    if spec.channel == Channel.COMMUNITY:
        doc = built_on if isinstance(built_on, KnowledgeDoc) else None
        names = product_names(pack)
        evidence.post = post_source(
            doc,
            built_on if isinstance(built_on, Belief) else None,
            lang,
            turn=turn,
            product=names.get(doc.product or "", "") if doc is not None else "",
            theme=theme,
            values=[d for d in pack.docs if d.kind == DocKind.VALUE],
        )
        if isinstance(built_on, Belief):
            evidence.belief = built_on
    return evidence


def _post_basis(pack: BrandPack, source: str) -> KnowledgeDoc | Belief:
    """What a post is built on: one of the brand's beliefs or documents, by id."""
    for belief in pack.brand.beliefs:
        if belief.id == source:
            return belief
    try:
        return pack.doc(source)
    except KeyError:
        raise NotFoundError(
            f"brand {pack.brand.id!r} has no belief or document {source!r}",
            hint="source is a belief id from brand.yaml or a knowledge document id",
        ) from None
