"""Composition around what must be said: a draft of a short kind is a sequence of parts —
fixed ones the program writes (the greeting with the customer's name, a safety statement
quoted from the guide, the brand's belief as written, a tier's description) and short
**slots** the model writes (an opening about the customer, the moment's tip in its own
words, a bridge to the belief, a question). Each slot has a character cap (the model's JSON
is grammar-constrained to it) and a **fallback**: a plain sentence built from the knowledge
(the guide sentence itself, a question written for the moment) that replaces a slot the
model got wrong twice. So a draft always carries its required elements — an after-sale
email always carries its belief — whatever the model does.

    layout = layout_for(plan, tip=tip, belief=belief, tier=tier)   # which parts, in order
    composed = assemble(layout, slots_from_model, lang=plan.lang)   # text + where each part is

The layouts per kind and moment live here, in one place (a post's in :mod:`generator.posts`);
every kind is composed this way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from generator.drafts import Plan
from generator.parts import Part
from knowledge.guides import sentences

CJK = re.compile(r"[\u4e00-\u9fff]")  # a Chinese character
_END = re.compile(r"[。！？!?.…~～）)」』\"”]$")
# A moment's label before a guide item or a slot: "第 3 天：", "Day 3:", "Halfway (about day 90,
# ~300 km):". Only a label that names a moment: "早晚各一次：先洁面" keeps its "早晚各一次".
_LABEL = re.compile(
    r"^(?=[^：:]*(?:第|天|周|月|一半|快用完|用完|开始|刚|day|week|month|half|nearly|almost|first"
    r"|start|worn|finish))(?:[^：:，,。(（]|[（(][^)）]{0,30}[)）]){1,40}[：:]\s*",
    re.I,
)


@dataclass(frozen=True)
class Slot:
    """A sentence the model writes: what it is for (zh, en), its cap (characters) and the
    plain sentence that replaces it when the model cannot get it right."""

    name: str
    zh: str
    en: str
    max_zh: int
    max_en: int
    fallback_zh: str
    fallback_en: str
    question: bool = False  # the sentence asks the customer something
    # Worth a second model call. Measured on the embedded model (bench quality, 70 drafts,
    # 2026-12-04): a second call rescued a failed tip 3 times in 14, a birthday wish or a tier
    # invitation's "why" about 1 in 6, at 5-10 s each; their plain fallbacks (the guide's own
    # advice, a sincere wish) are true by construction. So only an opening, a thank-you or an
    # answer is asked again; every other slot that fails takes its fallback at once, unless the
    # model is asked again for another slot anyway.
    ask_again: bool = True
    must_ask: bool = False  # its job is to ask: a question, or an invitation to tell
    no_product: bool = False  # a moment not about a product: it names none, sells nothing
    # What the program can say itself (the tip, a subject, the bridge, an offer to be
    # there): its plain sentence stands unless the model is trusted with the wording
    # (``ZHENXIN_WORDING=model``).
    plain: bool = False

    def instruction(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def cap(self, lang: str) -> int:
        return self.max_zh if lang == "zh" else self.max_en

    def fallback(self, lang: str, values: Mapping[str, Any]) -> str:
        template = self.fallback_zh if lang == "zh" else self.fallback_en
        return fill(template, values)


@dataclass(frozen=True)
class Fixed:
    """A part the program writes: ``text`` is final."""

    name: str
    text: str


@dataclass
class Layout:
    """The parts of one draft, in order; ``paragraphs`` breaks (emails, posts) after these
    names. An email's subject and a post's title are parts too, kept out of the body."""

    parts: list[Slot | Fixed]
    values: dict[str, Any] = field(default_factory=dict)  # for the fallbacks
    paragraphs: tuple[str, ...] = ()
    breaks: tuple[str, ...] = ()  # a line break (not a paragraph) after these names

    @property
    def slots(self) -> list[Slot]:
        return [p for p in self.parts if isinstance(p, Slot)]


@dataclass(frozen=True)
class Assembled:
    text: str
    parts: list[Part]

    def part_at(self, start: int, end: int) -> Part | None:
        """The part a finding's span falls in (None: it spans several, or none)."""
        for p in self.parts:
            if p.start <= start and end <= p.end and end > start:
                return p
        return None


# Parts that stand above the body: an email's subject, a post's title.
HEADLINES = ("subject", "title")


def fill(template: str, values: Mapping[str, Any]) -> str:
    """``template`` with its ``{names}`` from ``values`` (an unknown one is blank)."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), "")), template)


def fillable(template: str, values: Mapping[str, Any]) -> bool:
    """Whether every ``{name}`` of ``template`` has a non-blank value."""
    return all(str(values.get(k) or "").strip() for k in re.findall(r"\{(\w+)\}", template))


# --- the slots ---------------------------------------------------------------------------------

# Where the customer is now, said by the program from the plan's facts: a 1.5B model asked
# for it invents what the customer "noticed" or "felt" (seen on the real model).
_MOMENT_OPENING = {
    "zh": {
        "day3": "{product}用到第{days}天了。",
        "half_used": "{product}差不多用到一半了。",
        "almost_finished": "{product}应该快用完了。",
        "after_purchase": "{product}到你手上有{days}天了。",
        "milestone": "{timeline}了。",
    },
    "en": {
        "day3": "It's day {days} with your {product}.",
        "half_used": "You're about halfway through your {product}.",
        "almost_finished": "Your {product} must be nearly finished by now.",
        "after_purchase": "It's been {days} days since your {product} arrived.",
        "milestone": "{timeline} now.",
    },
}
# A programme (a camp, a course, a training plan) is not used up or delivered: it runs. Its
# moments are said as days of the programme ("训练营第3天了", "It's day 3 of your 10K plan"),
# never "用到第3天" or "since your plan arrived".
_PROGRAMME = re.compile(
    r"营(?!养)|课程|计划|训练|陪跑|\b(?:plan|program|programme|course|camp|coaching|class)\b", re.I
)
_PROGRAMME_OPENING = {
    "zh": {
        "day3": "{product}第{days}天了。",
        "half_used": "{product}过半了。",
        "almost_finished": "{product}快结束了。",
        "after_purchase": "{product}开始{days}天了。",
        "milestone": "{timeline}了。",
    },
    "en": {
        "day3": "It's day {days} of your {product}.",
        "half_used": "You're halfway through your {product}.",
        "almost_finished": "Your {product} is nearly done.",
        "after_purchase": "It's day {days} of your {product}.",
        "milestone": "{timeline} now.",
    },
}
# Something worn (shoes, socks, a stroller) wears out, it is not "nearly finished": told by the
# product's name or the guide's own label for the moment ("Nearly worn (about day 150)").
_WEARS = re.compile(
    r"worn|磨损|穿|鞋|袜|车|\b(?:shoes?|socks?|boots?|jacket|bike|stroller|walker)\b", re.I
)
_WORN_OPENING = {
    "zh": {
        **_MOMENT_OPENING["zh"],
        "half_used": "{product}到你手上有{days}天了，差不多到了一半的时候。",
        "almost_finished": "{product}到你手上有{days}天了，可能开始有磨损了。",
    },
    "en": {
        **_MOMENT_OPENING["en"],
        "half_used": "It's been {days} days with your {product}: about the halfway point.",
        "almost_finished": "It's been {days} days with your {product}: around when wear shows.",
    },
}
_PROGRAMME_ENDED = {
    "zh": "{product}结束有一阵子了。",
    "en": "It's been a little while since your {product} ended.",
}
TIP = Slot(
    "tip",
    "用“你”对TA说：把【这个时候的建议】里的一两句做法换成你的话（只说建议里有的，不加效果和别的做法）",
    'speaking to them as "you": one or two sentences of what [Tip for now] says to do, in your '
    "words (only what it says; no effects or steps it does not name)",
    60,
    220,
    "{tip_sentence}",
    "{tip_sentence}",
    ask_again=False,
    plain=True,
)
QUESTION = Slot(
    "question",
    "用“你”问一句TA用得怎么样（只问，不替TA回答）",
    'ask them, as "you", how it is going (only ask; do not answer for them)',
    30,
    100,
    "{question_line}",
    "{question_line}",
    question=True,
    ask_again=False,
    must_ask=True,
    no_product=True,  # the opening names it: "你用舒缓修护精华液的效果怎么样？" said it again
)
FEEDBACK = Slot(
    "feedback",
    "请TA告诉你用得怎么样，不顺手的地方也请直说",
    "ask them to tell you how it goes, and to say so plainly if something does not work",
    40,
    140,
    "用得好不好、哪里不顺手，都请直接告诉我们。",
    "Tell us how it goes, and if anything doesn't work for you, say so plainly.",
    question=True,
    ask_again=False,
    must_ask=True,
    plain=True,  # the model thanked them for feedback never given
)
# A programme is followed, not used: "用得好不好" to a camp member read oddly (a reader).
PROGRAMME_FEEDBACK = replace(
    FEEDBACK,
    fallback_zh="跟下来顺不顺、哪里卡住了，都请直接告诉我们。",
    fallback_en="Tell us how the plan is going, and if any part of it doesn't work, say so.",
)
WELCOME = Slot(
    "opening",
    "一句话谢谢TA的信任、欢迎TA（不推荐别的产品）",
    "one sentence thanking them for their trust and welcoming them (no other product)",
    40,
    140,
    "欢迎来到{brand}，很高兴认识你。",
    "Welcome to {brand}; we're glad to meet you.",
    # formulaic, and true whether they bought or came to a free run: the model wrote "Thank you
    # for choosing Stride & Co. for your care and trust!" to a runner who bought nothing
    plain=True,
)
ASK_ANYTIME = Slot(
    "offer",
    "告诉TA有问题随时问你",
    "tell them they can ask you anything, any time",
    30,
    100,
    "有什么不清楚的，随时问我。",
    "If anything is unclear, just ask me.",
    question=True,
    ask_again=False,
    no_product=True,
    plain=True,  # formulaic: a reader found "随时问你有问题。" from the model
)
WISH = Slot(
    "wish",
    "一句真诚的生日祝福，可以提一句TA自己的情况；不提产品，不附优惠",
    "one sincere birthday wish, maybe one line about their own life; no product, no offer",
    50,
    160,
    "生日快乐！愿新的一岁轻松自在。",
    "Happy birthday! Wishing you an easy, good year ahead.",
    no_product=True,
    ask_again=False,
)
HELLO = Slot(
    "hello",
    "轻松地问候一句近况；不道歉，不提多久没联系，不提产品",
    "a light hello asking how they are; no apology, no mention of how long it has been, no product",
    40,
    140,
    "最近过得怎么样？天气变了，照顾好自己。",
    "How have you been? Hope the season is treating you well.",
    question=True,
    ask_again=False,
    must_ask=True,
    no_product=True,
)
OFFER = Slot(
    "offer",
    "一句话告诉TA需要的时候随时找你",
    "one line saying they can reach you whenever they need",
    30,
    100,
    "有什么想聊的，随时找我。",
    "If there's anything on your mind, I'm here.",
    ask_again=False,
    no_product=True,
    plain=True,  # formulaic: a reader found "随时问你有问题。" from the model
)
THANKS = Slot(
    "thanks",
    "一句话感谢TA一路的信任（可以提到TA自己的经历）",
    "one sentence thanking them for their trust so far (you may mention their own journey)",
    50,
    160,
    "{thanks_line}",
    "{thanks_line}",
    plain=True,  # the model: "感谢你在使用…后，脸还微微湿润时效果更好"
)
NEXT = Slot(
    "next",
    "问一句接下来想和我们一起做点什么（不推销）",
    "ask what they would like to do with us next (no selling)",
    40,
    140,
    "接下来想多了解什么、想一起试试什么，随时告诉我。",
    "If there's something you'd like to try next, or to know more about, just tell me.",
    question=True,
    ask_again=False,
    no_product=True,
    plain=True,  # the model invented plans: "我们下次可以一起做面膜"
)
ANSWER = Slot(
    "answer",
    "只根据【资料】回答客户的问题；资料里没有，就说确认后再回复",
    "answer their question from [Knowledge] only; if it is not there, say you will check and reply",
    80,
    280,
    "{answer_sentence}",
    "{answer_sentence}",
)
SUBJECT = Slot(
    "subject",
    "邮件主题，说清楚这封邮件帮TA什么",
    "the email's subject: what this email helps with",
    20,
    60,
    "{subject_line}",
    "{subject_line}",
    ask_again=False,
    plain=True,
)
BRIDGE = Slot(
    "bridge",
    "一句话说这条建议背后的用意，引出【品牌信念】（信念原话会接在后面，你不要写它）",
    "one sentence on why we give this tip, leading to the [Belief] (the belief itself follows; "
    "do not write it)",
    40,
    140,
    # not "这也是我们一直相信的：" — a reader saw the tip claimed to come from a belief that
    # had nothing to do with it ("Hold each pair up to the light… It comes from something we
    # believe: There is no wrong pace.")
    "也想和你说说我们一直相信的一件事：",
    "And one thing we believe:",
    ask_again=False,
    plain=True,
)
WHY = Slot(
    "why",
    "一句话说为什么想到TA（只用客户资料里的事）",
    "one sentence on why you thought of them (only from the customer data)",
    50,
    160,
    "{why_line}",
    "{why_line}",
    ask_again=False,
)
INVITE = Slot(
    "invite",
    "用一句问句邀请TA加入（是邀请，不是推销）",
    "one question inviting them in (an invitation, not a sale)",
    30,
    100,
    "想邀请你一起来，你愿意吗？",
    "Would you like to join us?",
    question=True,
    ask_again=False,
    must_ask=True,
    no_product=True,
)

GROWTH = Slot(
    "growth",
    "一句真诚的话，说说TA走到的这一步（只用客户资料里的事；不提产品，不推荐）",
    "one sincere sentence about where they have got to (only from the customer data; no "
    "product, no recommendation)",
    40,
    140,
    "时间过得真快，每一步都算数。",
    "Time flies, and every step counts.",
    no_product=True,
)
# A milestone: the program names what comes next on the brand's ladder (the guide's ``next``)
# and says there is no hurry; the model only words the guide's first steps.
_NEXT = {
    "zh": (
        "接下来也许用得上{next_product}。",
        "接下来也许用得上{next_product}，它的使用指南里说：",
    ),
    "en": (
        "Next, you may find the {next_product} useful.",
        "Next, you may find the {next_product} useful; its guide says:",
    ),
}
_NO_HURRY = {
    "zh": "想多了解的话随时问我，不着急，按你们的节奏来。",
    "en": "If you'd like to know more, just ask; no rush at all.",
}
_GREETING = {"zh": "{name}你好，", "en": "Hi {name},\n"}
_GREETING_EMAIL = {"zh": "{name}你好：", "en": "Hi {name},"}
_NO_PRESSURE = {
    "zh": "不方便也完全没关系，按你自己的节奏来。",
    "en": "No pressure at all; only if it suits you.",
}
_TIER = {
    "zh": ("我们有个小圈子叫「{tier}」（{who}）。", "我们有个小圈子叫「{tier}」。"),
    "en": (
        "We have a small circle called {tier} ({who}).",
        "We have a small circle called {tier}.",
    ),
}


def _shares_words(a: str, b: str) -> bool:
    """Two Chinese characters in a row, or an English word of four letters, in both."""
    if CJK.search(a):
        return any(a[i : i + 2] in b for i in range(len(a) - 1) if CJK.match(a[i : i + 2]))
    words = {w.lower() for w in re.findall(r"[A-Za-z]{4,}", b)}
    return any(w.lower() in words for w in re.findall(r"[A-Za-z]{4,}", a))


def tier_line(tier: str, description: str, lang: str) -> str:
    """A tier said as a sentence, not pasted after a colon: a short opening phrase of its
    description says who it is for, in brackets ("刚认识的朋友。" -> "叫「新朋友群」（刚认识
    的朋友）。"); the rest follows as written."""
    said = sentences(description.strip())
    if not said:
        return fill(_TIER[lang][1], {"tier": tier})
    first = said[0].rstrip("。.！!；;")
    short = len(first) <= 12 if lang == "zh" else len(first.split()) <= 9
    if _shares_words(first, tier):  # "「老朋友群」（回购过的老朋友）" says it twice
        head, rest = fill(_TIER[lang][1], {"tier": tier}), said[1:] or said
    elif short and not re.search(r"[，,：:]", first):
        if lang == "en" and first[:1].isupper() and first[1:2].islower():
            first = first[0].lower() + first[1:]  # "New runners…" -> "(new runners…)"
        head, rest = fill(_TIER[lang][0], {"tier": tier, "who": first}), said[1:]
    else:
        head, rest = fill(_TIER[lang][1], {"tier": tier}), said
    joiner = "" if lang == "zh" else " "
    return joiner.join([head, *rest])


# The plain thank-you and "why you" of a stage-up or an invitation, by how long they have known
# us: "一直以来的信任" to someone who bought three days ago is praise they have not earned.
_NEW_BASES = ("first_contact", "getting_to_know")
_QUESTION_LINE = {
    "zh": {"day3": "这几天用下来，感觉怎么样？", "": "用到现在，感觉怎么样？"},
    "en": {"day3": "How have the first days been?", "": "How has it been so far?"},
}


_THANKS_LINE = {
    ("zh", True): "谢谢你愿意给我们一次机会。",
    ("zh", False): "谢谢你一直以来的信任。",
    ("en", True): "Thank you for giving us a try.",
    ("en", False): "Thank you for trusting us all this time.",
}
_WHY_LINE = {
    ("zh", True): "想到你，是因为这个圈子里聊的，正是你刚开始的这些事。",
    ("zh", False): "你一直认真地用，也愿意把感受告诉我们，我们很珍惜。",
    ("en", True): "We thought of you because this circle talks about exactly where you are now.",
    ("en", False): "You've stayed with us and told us honestly how things go; we value that.",
}


def _purchases(plan: Plan) -> int:
    """How many purchases the plan's facts record (0 when they do not say)."""
    said = str(plan.facts.get("purchases") or "0")
    return int(said) if said.isdigit() else 0


def first_name(name: str, lang: str) -> str:
    """How a message addresses someone: the whole Chinese name, an English first name."""
    name = name.strip()
    return name if lang == "zh" or " " not in name else name.split()[0]


def _quote_cap(channel: str, lang: str) -> int:
    return TIP.cap(lang) if channel == "sms" else int(TIP.cap(lang) * 1.6)


def tip_sentence(tip: str, lang: str, cap: int) -> str:
    """The plain-sentence fallback of a tip: the guide's own words for this moment, without
    its label ("第 3 天：", "Day 3:") — at most two sentences said, not a passage pasted.

    The sentence that says what to do is chosen ("先把蔬菜加到一捧半", "press your thumb into the
    midsole"), not the guide's first sentence when that only says what many people notice
    ("很多人会觉得…") or asks ("how did the first runs feel?"): a question is never the tip.
    It keeps the sentence before it when that one sets it up (an observation), else the one
    after it when that says what to do next ("If it has deep creases…") or the chosen one is
    short — whatever fits the cap."""
    body = re.sub(r"(?<=[，。；：！？、”）])\s+", "", _LABEL.sub("", tip.strip()))
    found = sentences(body)
    if not found:
        return _cut(body, cap)
    asks = [is_question(x) for x in found]
    if all(asks):
        return _cut(found[0], cap)
    scores = [(_advice(x) if not q else -9) for x, q in zip(found, asks, strict=True)]
    ranked = sorted(range(len(found)), key=lambda i: (-scores[i], i))
    fitting = [i for i in ranked if len(found[i]) <= cap]  # a cut advice says half of it
    best = fitting[0] if fitting else ranked[0]
    chosen = found[best]
    join = "" if lang == "zh" else " "
    before = found[best - 1] if best > 0 else ""
    after = found[best + 1] if best + 1 < len(found) else ""

    def with_other_case(text: str, last: int) -> str:
        """ "如果已经稳定，…；如果还在换季，…": the other "if" of a pair goes with it."""
        nxt = found[last + 1] if last + 1 < len(found) else ""
        pair = bool(nxt) and _IF_START.match(nxt) and _IF_START.match(found[last])
        if pair and len(text) + len(join) + len(nxt) <= cap:
            return text + join + nxt
        return text

    if before and (
        (not asks[best - 1] and scores[best - 1] <= 0)
        # "能的话，…" / "Sore calves? Totally normal; …" answer the question before them
        or (asks[best - 1] and (_SO_START.match(chosen) or len(before) <= _SHORT[lang]))
    ):
        both = before + join + chosen
        if len(both) <= cap:
            return with_other_case(both, best)
    if after and not asks[best + 1] and (_IF_START.match(after) or len(chosen) < cap // 3):
        both = chosen + join + after
        if len(both) <= cap:
            return with_other_case(both, best + 1)
    if after and _IF_START.match(after) and scores[best] <= 0 and len(after) <= cap:
        return after  # "回想一下…" alone says nothing to do; the "if" sentence does
    return _cut(chosen, cap)


# What a guide sentence that says what to do sounds like (zh, en), and one that only says
# what people notice; the fallback tip prefers the first.
_ADVICE = re.compile(
    r"先|不用|不需要|可以|把|试试|改成|减半|减到|加回|留意|保留|照常|只记录|别|不要|建议|记得|停用|"
    r"告诉我们|(?:^|[;:,]\s*)(?:check|hold|press|pick|walk|keep|stay|bring|retire|skip|stop|try|"
    r"wear|use|rotate|look|air-dry|wipe|tell|join|rest|let|take)\b",
    re.I,
)
_NOTICED = re.compile(
    r"(?:多数人|很多人|有的人|大多数人)会(?:觉得|发现)|常见的情况|many people|most people|"
    r"you have done|you are running|this is where",
    re.I,
)
_SHORT = {"zh": 8, "en": 16}  # a question this short is rhetorical: "Sore calves?", "None?"
_SO_START = re.compile(r"^(?:能的话|是的话|可以的话|有的话|if so|if not|if yes)", re.I)


def is_question(sentence: str) -> bool:
    """Whether a sentence ends as a question."""
    return bool(re.search(r"[？?]\s*$", sentence))


def _advice(sentence: str) -> int:
    return (2 if _ADVICE.search(sentence) else 0) - (2 if _NOTICED.search(sentence) else 0)


def _cut(sentence: str, cap: int) -> str:
    """A sentence longer than the cap, cut at the last clause that fits (else at the cap)."""
    if len(sentence) <= cap:
        return sentence
    cut = max(sentence.rfind(m, 0, cap) for m in ("，", ",", "；", ";"))
    return sentence[: cut + 1 if cut > 0 else cap]


def answer_sentence(passage: str, lang: str, cap: int) -> str:
    """The plain-sentence fallback of an answer: the passage's first sentence that is not a
    question, without Markdown ("**6. 刷酸、用 A 醇的时候能用吗？** 和它错开早晚使用。" →
    "和它错开早晚使用。"); the question itself is never said back as the answer."""
    plain = re.sub(r"\*\*|__|`", "", passage)
    plain = re.sub(r"(?m)^\s*(?:#+|[-*]|\d+[.)、])\s*", "", plain)
    said = [x for x in sentences(plain) if not is_question(x)]
    return tip_sentence(" ".join(said), lang, cap) if said else ""


# A message by email that is not an after-sale email still needs a subject: the program's.
_EMAIL_SUBJECT = {
    "zh": {
        "tier_invite": "邀请你来「{tier}」",
        "birthday": "{name}，生日快乐",
        "long_silence": "最近好吗？",
        "stage_up": "谢谢你一路同行",
        "question": "关于你问的问题",
        "welcome": "欢迎你，{name}",
        "": "{subject_line}",  # a tip promised only when there is one
    },
    "en": {
        "tier_invite": "An invitation to {tier}",
        "birthday": "Happy birthday, {name}",
        "long_silence": "How have you been?",
        "stage_up": "Thank you for coming this far with us",
        "question": "About your question",
        "welcome": "Welcome, {name}",
        "": "{subject_line}",
    },
}


def layout_for(
    plan: Plan,
    *,
    tip: str | None,
    safety: list[str],
    belief: str | None,
    answer: str | None = None,
    tier: tuple[str, str] | None = None,
    brand_name: str = "",
    model_words: bool = False,
) -> Layout:
    """The parts of a short draft for this plan (kind, moment, channel), in order; an email
    always has a subject (the program's, when the model is not asked for one). The parts the
    program can say itself (:attr:`Slot.plain`: the moment's tip in the guide's own words, the
    subject, the bridge, the formulaic lines) are its plain sentences unless ``model_words``
    (``ZHENXIN_WORDING=model``); one with nothing to say is left out."""
    layout = _layout(
        plan, tip=tip, safety=safety, belief=belief, answer=answer, tier=tier, brand_name=brand_name
    )
    lang = "zh" if plan.lang != "en" else "en"
    if not model_words:
        parts: list[Slot | Fixed] = []
        for p in layout.parts:
            if isinstance(p, Slot) and p.plain:
                p = Fixed(p.name, p.fallback(lang, layout.values))
                if not p.text.strip():
                    continue
            parts.append(p)
        layout.parts = parts
    if plan.channel == "email" and not any(p.name == "subject" for p in layout.parts):
        subjects = _EMAIL_SUBJECT[lang]
        template = subjects.get(plan.trigger, subjects[""])
        values = {**layout.values, "tier": tier[0] if tier else ""}
        if not fillable(template, values):
            template = "{brand}" if brand_name else subjects["question"]
        layout.parts.insert(0, Fixed("subject", fill(template, values)))
    return layout


def _layout(
    plan: Plan,
    *,
    tip: str | None,
    safety: list[str],
    belief: str | None,
    answer: str | None = None,
    tier: tuple[str, str] | None = None,
    brand_name: str = "",
) -> Layout:
    lang = "zh" if plan.lang != "en" else "en"
    name = first_name(plan.facts.get("name", ""), lang)
    product = plan.facts.get("product", "")
    # new to us: a first purchase at most ("谢谢你愿意给我们一次机会" after a second one is wrong)
    new = (plan.base_stage or plan.stage) in _NEW_BASES and _purchases(plan) <= 1
    values: dict[str, Any] = {
        "name": name,
        "product": product or ("产品" if lang == "zh" else "order"),
        "days": plan.days_since_purchase if plan.days_since_purchase is not None else "",
        "brand": brand_name,
        "timeline": plan.timeline or "",
        "next_product": plan.facts.get("next_product", ""),
        "birthday_in": plan.birthday_in_days if plan.trigger == "birthday" else None,
        "question_line": _QUESTION_LINE[lang].get(plan.trigger, _QUESTION_LINE[lang][""]),
        "thanks_line": _THANKS_LINE[(lang, new)],
        "why_line": _WHY_LINE[(lang, new)],
        # the guide's own words may run longer than the model's sentence (cut, "press your
        # thumb into the midsole" lost what to look for), except in a 70-character SMS
        "tip_sentence": tip_sentence(tip, lang, _quote_cap(plan.channel, lang)) if tip else "",
        "answer_sentence": (answer_sentence(answer, lang, ANSWER.cap(lang)) if answer else "")
        or (
            "这个问题我确认一下，稍后回复你。"
            if lang == "zh"
            else "Let me check and get back to you."
        ),
    }
    # a subject promises only what the email holds: a tip, or a question
    subject = (
        ("{product}的一个小提醒" if tip else "{product}用得怎么样？")
        if lang == "zh"
        else ("One small tip for your {product}" if tip else "How is it going with your {product}?")
    )
    values["subject_line"] = fill(subject, values)
    greeting = fill(
        (_GREETING_EMAIL if plan.kind == "aftersale_email" else _GREETING)[lang], values
    )
    if not name:
        greeting = "你好，" if lang == "zh" else "Hi,\n"
    parts: list[Slot | Fixed] = [Fixed("greeting", greeting)]
    quoted = [Fixed("safety", s) for s in safety]
    trigger = plan.trigger

    if plan.kind == "tier_invitation" and tier is not None:
        parts += [
            WHY,
            Fixed("tier", tier_line(tier[0], tier[1], lang)),
            INVITE,
            Fixed("no_pressure", _NO_PRESSURE[lang]),
        ]
        return Layout(parts, values)

    label = _LABEL.match(tip or "")
    if _PROGRAMME.search(product):
        openings = _PROGRAMME_OPENING
    elif _WEARS.search(f"{product} {label.group(0) if label else ''}"):
        openings = _WORN_OPENING
    else:
        openings = _MOMENT_OPENING
    moment = openings[lang].get(trigger, openings[lang]["after_purchase"])
    ended = (
        plan.usage_days and plan.days_since_purchase and plan.days_since_purchase > plan.usage_days
    )
    if moment is openings[lang]["after_purchase"] and ended and openings is _PROGRAMME_OPENING:
        moment = _PROGRAMME_ENDED[lang]
    # No purchase on record (no product, no days): no opening rather than "用到第天了"
    facts = {**values, "product": product}
    known = fillable(moment, facts)
    opening = Fixed("opening", fill(moment, values) if known else "")
    if plan.kind == "aftersale_email":
        body: list[Slot | Fixed] = [opening]
        if tip:
            body += [TIP, *quoted]
        if belief:
            body += [BRIDGE, Fixed("belief", belief)]
        feedback = PROGRAMME_FEEDBACK if openings is _PROGRAMME_OPENING else FEEDBACK
        parts = [SUBJECT, *parts, *body, feedback]
        # no tip: the belief still starts its own paragraph, not after "It's day 20 of…"
        breaks = ("greeting", "safety", "tip", "belief", *(() if tip else ("opening",)))
        return Layout(parts, values, paragraphs=breaks)

    if trigger == "birthday":
        parts += [WISH]
    elif trigger == "long_silence":
        parts += [HELLO, OFFER]
    elif trigger == "stage_up":
        parts += [THANKS, NEXT]
    elif trigger == "milestone":
        parts += [opening, GROWTH]
        if values["next_product"]:
            parts += [Fixed("next", fill(_NEXT[lang][bool(tip)], values))]
            if tip:
                parts += [TIP, *quoted]
        parts += [Fixed("no_pressure", _NO_HURRY[lang])]
    elif trigger == "question":
        parts += [ANSWER, *quoted, ASK_ANYTIME]
    elif trigger == "welcome":
        parts += [WELCOME]
        if tip:
            parts += [TIP, *quoted]
        parts += [ASK_ANYTIME]
    else:  # a moment of use: day 3, half used, almost finished, after the purchase
        parts += [opening]
        if tip:
            parts += [TIP, *quoted]
        parts += [QUESTION]
    return Layout(parts, values)


_ASKS_ZH = re.compile(r"吗|呢|怎么样|如何|好不好|有没有|是不是")
_ASKS_EN = re.compile(r"^(?:how|what|did|do|does|is|are|was|were|would|could|can|have|has)\b", re.I)


def _sentence(text: str, lang: str, *, question: bool = False) -> str:
    """A slot's text as a finished sentence (closing punctuation added when missing: a
    question mark for a question)."""
    text = " ".join(text.split()).strip()
    if not text:
        return text
    if lang == "en" and text[0].islower() and not text[1:2].isupper():  # "press…" (not "iPhone")
        text = text[0].upper() + text[1:]
    if text.endswith(("；", ";", "，", ",", "、")):
        text = text[:-1]
    if _END.search(text) or text.endswith(("：", ":")):
        return text
    zh = lang == "zh" or bool(CJK.search(text))
    if question and (_ASKS_ZH.search(text) if zh else _ASKS_EN.search(text)):
        return text + ("？" if zh else "?")
    return text + ("。" if zh else ".")


_HAPPY_BIRTHDAY = {
    "zh": re.compile(r"^(?:祝你)?生日快乐"),
    "en": re.compile(r"^happy birthday\b", re.I),
}
_EARLY_OR_LATE = {
    ("zh", True): "提前祝你生日快乐",
    ("zh", False): "迟到的生日快乐",
    ("en", True): "An early happy birthday",
    ("en", False): "A belated happy birthday",
}


def on_the_day(wish: str, days_to_birthday: int | None, lang: str) -> str:
    """A wish said on another day than the birthday says so: "生日快乐！" four days before is
    "提前祝你生日快乐！", the day after "迟到的生日快乐！" (a reader: wishes 2-4 days early read as
    if we had the date wrong). A wish that does not open with the words is left as written."""
    if not days_to_birthday:
        return wish
    head = _HAPPY_BIRTHDAY[lang].match(wish.strip())
    if head is None:
        return wish
    said = _EARLY_OR_LATE[(lang, days_to_birthday > 0)]
    return said + wish.strip()[head.end() :]


def assemble(
    layout: Layout,
    written: Mapping[str, str],
    *,
    lang: str,
    fallbacks: set[str] = frozenset(),  # type: ignore[assignment]
) -> Assembled:
    """The draft's text from the layout: each slot the model's sentence (or its fallback),
    each fixed part as is. ``fallbacks`` names the slots to take from their fallback."""
    lang = "zh" if lang != "en" else "en"
    text = ""
    parts: list[Part] = []
    for part in layout.parts:
        if isinstance(part, Fixed):
            value, source = part.text, "fixed"
        elif part.name in fallbacks or not written.get(part.name, "").strip():
            value, source = part.fallback(lang, layout.values), "fallback"
        else:
            value, source = written[part.name], "model"
        if part.name == "wish":
            value = on_the_day(value, layout.values.get("birthday_in"), lang)
        if part.name in HEADLINES:
            value = " ".join(value.split()).strip().rstrip("。.")
        elif part.name != "greeting":
            value = _sentence(value, lang, question=isinstance(part, Slot) and part.question)
        if not value:
            continue
        if part.name in HEADLINES:
            parts.append(Part(name=part.name, text=value, source=source, start=0, end=0))  # type: ignore[arg-type]
            continue
        previous = parts[-1].name if parts and parts[-1].name not in HEADLINES else None
        if text:
            if previous in layout.paragraphs:
                sep = "\n\n"
            elif previous in layout.breaks:
                sep = "\n"
            elif lang == "en" or (part.name == "belief" and not CJK.search(value)):
                sep = " "
            else:
                sep = ""
            if part.name == "belief" and previous == "bridge" and text.endswith(("：", ":")):
                sep = "" if lang == "zh" else " "
            if text.endswith("\n"):
                sep = ""
            text += sep
        start = len(text)
        text += value
        parts.append(Part(name=part.name, text=value, source=source, start=start, end=len(text)))  # type: ignore[arg-type]
    return Assembled(text=text, parts=parts)


_TRAIL = re.compile(r"(?<=[。！？!?.])[^。！？!?.]{1,8}$")
# A Chinese condition with nothing after it, the slot's last clause: "…六周左右；如果还在换季。"
# (an English "if" after a comma ends a whole sentence: "Slow down, if you cannot talk.").
_IF_ZH = "如果|若是|要是|假如"
_IF_START = re.compile(
    rf"^(?:{_IF_ZH}|一旦|if\b|when\b|once\b)", re.I
)  # a sentence that opens "if…"
_DANGLING_IF = re.compile(rf"(?<=[^，,；;。！？!?])[，,；;]\s*(?:{_IF_ZH})[^，,；;。！？!?]*。?$")


def tidy(text: str, *, name: str, cap: int | None = None) -> str:
    """A slot's text cleaned of what a capped model leaves: a leading vocative (the greeting
    names the customer) or moment label ("第 3 天：", "Day 3:"), a sentence cut off at the
    cap (back to the last full sentence, or clause), a sentence said twice in a row."""
    text = " ".join(text.split()).strip()
    at_cap = cap is not None and len(text) >= cap - 1  # the grammar stopped it mid-sentence
    if name:
        text = re.sub(rf"^{re.escape(name)}\s*[，,：:、！!。.~～]\s*", "", text)
    ungreeted = _HELLO.sub("", text)
    text = ungreeted if len(ungreeted) > 4 else text  # greeted already
    text = _LABEL.sub("", text) if _LABEL.match(text) and len(text) > 12 else text
    if at_cap:
        ends = [text.rfind(m) for m in ("。", "！", "？", "!", "?", ". ")]
        end = max(ends)
        if end > len(text) // 3:
            text = text[: end + 1]
        else:
            clause = max(text.rfind(m) for m in ("，", ",", "；", ";"))
            if clause > len(text) // 3:
                text = text[:clause]
        text = _TRAIL.sub("", text).strip()  # a fragment the cap cut off after the last stop
    text = _DANGLING_IF.sub("", text).strip()  # "…六周左右；如果还在换季" said no "then"
    out: list[str] = []
    for sentence in sentences(text):
        if not out or sentence != out[-1]:
            out.append(sentence)
    joiner = "" if CJK.search(text) else " "
    return joiner.join(out) if out else text


def drop_questions(text: str) -> str:
    """``text`` without its questions, when something is left: a tip or an opening that asks
    ("How did the first runs feel?") before the draft's own question makes two questions."""
    said = sentences(text)
    kept = [x for x in said if not is_question(x.rstrip().rstrip("”\"’'"))]  # "…吗？”" too
    return _unless_emptied(text, said, kept)


def _unless_emptied(text: str, said: list[str], kept: list[str]) -> str:
    """``text`` as its ``kept`` sentences (of all it ``said``), unless none was dropped or
    none is left: then ``text`` as it was."""
    if not kept or len(kept) == len(said):
        return text
    return ("" if CJK.search(text) else " ").join(kept)


# An offer to be there ("有事随时找我", "I'm here whenever you need"): said once a draft.
_OFFERS = re.compile(
    r"随时|都在|找我|问我|联系我|需要(?:帮助|帮忙)|"
    r"\b(?:any ?time|whenever|(?:I'm|I am|we're|we are) (?:here|around)|reach (?:me|us|out)"
    r"|just ask|ask (?:me|us)|here for you|here if you need)\b",
    re.I,
)


def offers(text: str) -> bool:
    """Whether ``text`` offers to be there when the customer needs it."""
    return bool(_OFFERS.search(text))


def drop_offers(text: str, *, keep_first: bool) -> str:
    """``text`` with its offers to be there said once (``keep_first``: the offer slot's own,
    "随时来问问，我们都在。如果你需要帮助，随时找我。" -> its first) or not at all (another
    slot's, when the draft has an offer of its own: a hello that ends "有事随时找我" before
    the offer). Nothing is dropped when nothing else would be left."""
    said = sentences(text)
    kept: list[str] = []
    offered = not keep_first
    for sentence in said:
        if offers(sentence):
            if offered:
                continue
            offered = True
        kept.append(sentence)
    return _unless_emptied(text, said, kept)


def drop_said(text: str, said: list[str]) -> str:
    """``text`` without what the program already says as written (the quoted tip, a safety
    statement, the belief): a sentence of it word for word, or a sentence that is mostly one
    of them ("洁面后脸还微微湿润时使用效果更好。" before the quoted "洁面后，脸还微微湿润时
    使用效果更好。"). May leave nothing: then the slot was only that."""
    from evals.checks.overlap import content_units, coverage

    for quoted in said:
        text = text.replace(quoted, "").strip()
    quoted_units = [content_units(q) for q in said]
    kept = [
        x
        for x in sentences(text)
        if not (
            (units := content_units(x))
            and len(units) >= 4
            and any(coverage(units, q) >= 0.8 for q in quoted_units)
        )
    ]
    return ("" if CJK.search(text) else " ").join(kept)


def to_second_person(text: str, *, lang: str, names: list[str]) -> str:
    """A slot that names the customer it is talking to, said to them: "希望林小雨用得开心" →
    "希望你用得开心", "TA的皮肤" → "你的皮肤", "Emma's first run" → "your first run". Only
    the safe cases: a name or the prompt's "TA" in Chinese, a possessive name in English;
    "客户" or "she" stay, and the gate asks for the sentence again. So does a name that is the
    subject of a claim ("徐晨最近想和大家分享…"): written about her for someone else, it would
    become a claim to her face ("你最近想…") that her record does not hold. "亲爱的徐晨，" goes
    (the draft has its greeting), never "亲爱的你"."""
    out = text
    for name in sorted((n for n in names if n), key=len, reverse=True):
        if lang == "zh":
            out = re.sub(rf"亲爱的{re.escape(name)}\s*[，,！!~～]?\s*", "", out)
            if _claims_about(out, name):
                continue  # left as written: the gate sends it back as third person
            out = out.replace(name, "你")
        else:
            out = re.sub(rf"\b{re.escape(name)}'s\b", "your", out)
    if lang == "zh":
        out = re.sub(r"(?<![A-Za-z])TA(?![A-Za-z])", "你", out)
        out = re.sub(r"你[，,]?\s*你", "你", out)  # "小雨，你…" said "你，你…"
        out = re.sub(r"^你\s*[！!。.，,、~～]\s*", "", out)  # "罗曼！最近…" said "你！最近…"
    return out


# What follows a name that is a sentence's subject making a claim about the person: "徐晨最近
# 在使用…", "罗晓想和老学员…", "李敏觉得…" (a vocative "小雨，最近好吗" has a comma first).
_CLAIM_ZH = (
    r"(?:最近|一直|已经|也|还|正在|在用|在使用|想|希望|打算|准备|感觉|觉得|喜欢|说|对|很|非常|"
    r"是|有)"
)


def _claims_about(text: str, name: str) -> bool:
    """Whether ``name`` is the subject of a statement in ``text`` (not of a question: "这几天
    用下来，徐晨觉得怎么样？" asks her, and is said to her as "你觉得怎么样？")."""
    for m in re.finditer(rf"(?:^|(?<=[，。！？,.!?；;\s])){re.escape(name)}{_CLAIM_ZH}", text):
        end = re.search(r"[。！？!?]|$", text[m.end() :])
        sentence = text[m.start() : m.end() + (end.end() if end else 0)]
        if not re.search(r"[？?]|吗|呢|怎么样|如何", sentence):
            return True
    return False


# A greeting at the start of a slot: the draft has its greeting already ("你好，你好，…").
_HELLO = re.compile(r"^(?:你好|您好|嗨|hi|hello|hey)(?:\s+there)?\s*[，,！!~～]\s*", re.I)

# Words of the prompt's instructions, not of a message: a slot holding them copied its task.
_INSTRUCTION_WORDS = re.compile(
    r"使用指南|资料里|告诉客户|这个时候的建议|品牌信念|这条消息|不超过\d+字|换成你的话|用你的话"
    r"|in your own words|in your words"
    r"|usage guide|the guide says|first impressions|tip for now|\bthe belief\b"
    r"|at most \d+ characters",
    re.I,
)
# Words of the customer, not of the brand: a slot written as if the customer spoke ("我最近感觉
# 皮肤越来越干了", "my knees hurt after"), which a 1.5B model does when asked for feedback.
_CUSTOMER_VOICE = re.compile(
    r"我(?:的|最近的?)?(?:皮肤|脸|肤质|孩子|宝宝|膝盖|脚|小腿|体重|肚子)"
    r"|我(?:最近|这几天|一直)?(?:感觉|觉得|发现)(?:皮肤|脸|自己|有点|越来越|好像)"
    r"|我(?:最近|这几天|这两天|用到)[^。！？!?]{0,12}(?:发现|感觉|觉得)"
    r"|\bmy (?:skin|face|feet|knees?|legs?|calves|runs?|weight|kid|child)\b"
    r"|\bI(?:'ve| have)? (?:felt|feel|noticed|found) (?:that )?my\b",
    re.I,
)
# What a slot that asks must hold: a question, or an invitation to tell.
_INVITES_REPLY = re.compile(
    r"告诉(?:我|我们)|说说|聊聊|回复|回信|直说|tell (?:me|us)|let (?:me|us) know|reply|write back",
    re.I,
)
# A birthday wish says so.
_BIRTHDAY = re.compile(r"生日|birthday", re.I)

# Words that show a slot talks *about* the customer instead of *to* them.
_THIRD_PERSON = re.compile(
    r"客户|顾客|用户|\b(?:the customer|customer's|the user|she|her|he|his)\b", re.I
)
# 她 / 他 about the customer ("你最近换季泛红，她一直在找…"); not 其他, 吉他, 他们 (others).
_THIRD_PERSON_ZH = re.compile(r"她(?!们)|(?<![其吉])他(?!们)")


def gate(
    slot: Slot,
    text: str,
    *,
    lang: str,
    names: list[str],
    tip: str | None,
    belief: str | None,
    others: list[str] = (),  # type: ignore[assignment]
    products: list[str] = (),  # type: ignore[assignment]
    stage_words: list[str] = (),  # type: ignore[assignment]
    moment: str = "",
    source: str | None = None,
    answer: str | None = None,
) -> list[str]:
    """Why a model-written slot cannot stand in a composed draft (empty: it can). Checked
    before the draft's checks: these are about the slot's job, not the text as a whole.

    ``names``: the customer's names (a slot that uses them talks *about* the customer);
    ``tip`` the guide's words for the moment (with the product's name); ``others`` the other
    slots already written (a slot that repeats one adds nothing); ``products`` the brand's
    product names (a birthday wish or a hello after a long silence names none); ``source``
    what a post quotes (a post speaks *about* its story's person, and invents no one);
    ``answer`` the knowledge an answer must come from."""
    from evals.checks.overlap import content_units, coverage

    why: list[str] = []
    if len(text.strip()) < 2:
        return ["empty"]
    body = text
    if _INSTRUCTION_WORDS.search(body) or _says_stage_rule(body, stage_words):
        why.append("copies_prompt")
    if any(o and (o in body or body in o) for o in others):
        why.append("duplicate")
    talks_about = _THIRD_PERSON.search(body) or (
        lang == "zh" and ("TA" in body or _THIRD_PERSON_ZH.search(body))
    )
    if source is not None:
        if invents_someone(body, source):
            why.append("invented_quote")
        if copies(body, source):
            why.append("duplicate")  # the quoted source follows: the lead must not say it first
        elif not grounded(body, source):
            why.append("ungrounded")
    elif talks_about or any(n and n in body for n in names):
        why.append("third_person")
    if slot.name == "tip" and tip:
        said = content_units(text)
        allowed = content_units(" ".join([tip, *names]))
        if said and coverage(said, allowed) < 0.5:  # mostly words the tip does not say
            why.append("tip_unfaithful")
        if drops_condition(tip, text):
            why.append("drops_condition")
    if slot.name == "answer" and _only_questions(body):
        why.append("not_an_answer")  # "这个一天用几次？" back as the answer (a reader)
    if slot.name == "answer" and answer and not grounded(body, answer):
        # "use it for at least one run per week" from a guide that says no such thing
        why.append("ungrounded")
    if belief and restates(belief, text):
        why.append("restates_belief")  # it follows as written; any slot saying it again echoes
    if _CUSTOMER_VOICE.search(body) or _assumes(body, lang):
        why.append("customer_voice")
    if _MARKUP.search(body) or (lang == "en" and _CUT_EN.search(body.strip())):
        why.append("broken")
    if slot.must_ask and _ASKS_KNOWN.search(body):
        why.append("asks_known")
    named = named_any(products, body) or bool(_ANY_PRODUCT.search(body))
    if slot.name == "subject" and products and not _about_a_product(products, body):
        why.append("off_subject")  # "How to Improve Your Run" above a sock email
    if moment in ("day3", "half_used") and _FINISHED.search(body):
        why.append("wrong_moment")  # "你用完…后，感觉怎么样？" halfway through
    asks = (
        re.search(r"[？?]", text)
        or (_ASKS_ZH.search(text) if lang == "zh" else _ASKS_EN.search(text))
        or (slot.name == "feedback" and _INVITES_REPLY.search(text))
    )
    if slot.must_ask and not asks:
        why.append("no_question")
    if (slot.must_ask or slot.no_product) and _stock_phrase(text):
        why.append("stock_phrase")
    if slot.name == "wish" and not _BIRTHDAY.search(text):
        why.append("not_a_wish")
    if slot.no_product and named:
        why.append("mentions_product")
    return why


# Someone the post would invent: a quote, or "a member told us" — unless the source has it.
_SPEECH = re.compile(r"[“「\"]([^”」\"]{2,60})[”」\"]")
_ANECDOTE = re.compile(
    r"有位|有一位|一位(?:朋友|顾客|客户|会员|姐妹|学员|跑友)|有个(?:朋友|顾客|学员)"
    r"|someone (?:told|said|asked|wrote)|(?:a|one) (?:customer|member|friend|runner|reader) "
    r"(?:told|said|asked|wrote)|one of (?:you|our members) (?:told|said|asked)",
    re.I,
)


def invents_someone(text: str, source: str) -> bool:
    """A quote the source does not hold, or an anecdote about a person it does not name."""
    if any(m.group(1).rstrip("。.！!？?，,") not in source for m in _SPEECH.finditer(text)):
        return True
    return any(m.group(0) not in source for m in _ANECDOTE.finditer(text))


# The words a post's lead frames its source with ("今天想和大家分享…的故事"): not facts.
_FRAMING = re.compile(
    r"今天|这周|本周|这个月|本月|最近|想和大家|和大家|跟大家|大家好|大家|分享|聊聊|说说|一下|故事"
    r"|经历|这件事|这篇|一起|看看|\b(?:today|this (?:week|month)|we'd like to|share|story|"
    r"everyone|here is|here's|with you|let's|talk about)\b",
    re.I,
)


def grounded(text: str, source: str, least: float = 0.6) -> bool:
    """Whether what ``text`` says, its framing words aside, comes from ``source``: a lead
    on a belief post that said "我们最近在研发一种新的温和成分" had 0.3 of it."""
    from evals.checks.overlap import content_units, coverage

    said = content_units(_FRAMING.sub(" ", text))
    return not said or coverage(said, content_units(source)) >= least


def copies(text: str, source: str) -> bool:
    """A verbatim run of the source (10 Chinese characters, 6 English words) in ``text``, or a
    whole sentence of it, however short: a belief post's lead "批评比夸奖有用。" above the belief
    that says it (a reader: the post said it twice)."""
    flat = re.sub(r"\s+", " ", source)
    if _says_a_sentence_of(text, flat):
        return True
    if CJK.search(text):
        run = re.sub(r"[“”\"'‘’「」]", "", text)
        plain = re.sub(r"[“”\"'‘’「」]", "", flat)
        return any(run[i : i + 10] in plain for i in range(0, max(0, len(run) - 9)))
    words = text.split()
    return any(" ".join(words[i : i + 6]) in flat for i in range(0, max(0, len(words) - 5)))


def _says_a_sentence_of(text: str, source: str) -> bool:
    """Whether a sentence of ``text`` (3 Chinese characters or 2 words at least) is in
    ``source`` as written, case aside."""
    low = source.lower()
    for sentence in sentences(text):
        core = sentence.strip().rstrip("。.!！?？;；,，").strip()
        long_enough = len(CJK.findall(core)) >= 3 or len(core.split()) >= 2
        if long_enough and core.lower() in low:
            return True
    return False


_FINISHED = re.compile(
    r"用完|用光|用尽|finished (?:it|them|the)|ran out|used (?:it|them) up|after you finish", re.I
)


def named_any(products: list[str], text: str) -> bool:
    """Whether ``text`` names one of ``products`` (case-blind; in English also as a possessive
    or a plural: "Why not try Cadence's road shoes?" names the Cadence road shoe)."""
    low = text.lower()
    if any(p and p.lower() in low for p in products):
        return True
    return any(_name_pattern(p).search(text) for p in products if p and p.isascii())


def _name_pattern(name: str) -> re.Pattern[str]:
    """A product's English name with a possessive on any word and a plural on the last."""
    words = [re.escape(w) for w in name.lower().split()]
    if not words:
        return re.compile(r"(?!)")
    words = [w + r"(?:'s|’s)?" for w in words[:-1]] + [words[-1] + r"(?:s|es|'s|’s)?"]
    return re.compile(r"\b" + r"\s+".join(words) + r"\b", re.I)


def _about_a_product(products: list[str], text: str) -> bool:
    """A subject about one of ``products``, named in part: "精华用到一半了" for 舒缓修护精华液
    (a two-character piece of the name), "your new shoes" for Cadence road shoe (a word of four
    letters or more)."""
    low = text.lower()
    for p in products:
        name = p.lower()
        cjk = re.sub(r"[^\u4e00-\u9fff]", "", name)
        if any(cjk[i : i + 2] in low for i in range(len(cjk) - 1)):
            return True
        if any(w in low for w in re.findall(r"[a-z]{4,}", name)):
            return True
    return False


def restates(belief: str, text: str) -> bool:
    """Whether ``text`` says the belief again: most of it, or one of its sentences nearly
    whole ("舒缓修护精华液能少加一种成分，就少加一种。" before a belief that starts so)."""
    from evals.checks.overlap import content_units, coverage

    said = content_units(text)
    if coverage(content_units(belief), said) > 0.5:
        return True
    for sentence in sentences(belief):
        units = content_units(sentence)
        if len(units) >= 4 and coverage(units, said) >= 0.75:
            return True
    return False


def _stock_phrase(text: str) -> bool:
    """A closing or a help-desk line that says nothing to this person ("如有任何问题请随时联系
    我们", "How can I assist you today?", "Feel free to reach out"): the check's lexicon."""
    from evals.lexicon import pattern
    from evals.matching import matches

    return bool(matches(pattern("coherence", "filler_closing"), text))


# What a reply's JSON or Markdown leaves in a sentence ("”} **注意：** 1. 在重。").
_MARKUP = re.compile(r"\*\*|[{}]|^#|[”\"]\s*}|```|【[^】]{1,12}】|^\[[A-Z][^\]]{1,20}\]")
# An English sentence the model stopped in the middle of ("Keep up the great work, and may all.").
_CUT_EN = re.compile(r"\b(?:and|or|may|to|the|a|an|all|with|of|for|your|our)[.!]?$", re.I)
# A question about what we know already, or a survey's: "你用了多少天？", "你对这个产品满意吗？",
# "How is your experience with Cadence road shoes?".
_ASKS_KNOWN = re.compile(
    r"(?:用了|用过)[^？?]{0,6}(?:多少天|多久|几天)|满意吗|用过这个建议"
    r"|how long have you (?:had|used|been using)|are you satisfied|how is your experience with",
    re.I,
)
# A statement (not a question, not an "if") that tells the customer how they feel or what
# they did: "你最近皮肤敏感，经常感到疲劳和不适。", "You've been feeling stiff".
_ASSUMES_ZH = re.compile(
    r"你(?:最近|一直|已经|这几天)?[^。？！?!]{0,12}(?:感到|觉得|发现|做得)"
    # a result stated as theirs: "你用到一半的时候，泛红面积变小了"
    r"|你[^。？！?!]{0,16}(?:变小了|变少了|变好了|好多了|改善了|减轻了|消退了|不(?:红|干|痒|紧)了)"
    # a wish stated as theirs: "你最近换季，两颊泛红，想寻找一款精华来改善皮肤问题"
    r"|你[^。？！?!]{0,16}(?:想寻找|想找一款|想要改善|正在寻找|在找一款)"
    # a feeling or a wish stated as theirs: "你…感觉能量满满，希望和大家分享", "你最近想和老学员
    # 一起开发食谱" (a question, "如果你想…" or "你想聊的时候" is not a claim)
    # — 你 the subject, at a clause's start: "祝你生日快乐，希望…" is the brand's wish
    r"|(?:^|(?<=[，。！？,!?；;\s]))你(?:最近|一直|已经|这几天|也)?[^。？！?!]{0,16}"
    r"(?:感觉|希望|打算|准备)"
    r"|(?:^|(?<=[，。！？,!?；;\s]))你(?:最近|一直|也)?(?:很|特别)?想(?!一想|想)"
    r"(?![^。？！?!，,]{0,10}的时候)"
)
_ASSUMES_EN = re.compile(
    r"\byou(?:'re| are)? (?:looking for|hoping to find|wanting to)\b"
    r"|\byou(?:'ve| have)? (?:been feeling|felt|told us|mentioned|noticed)\b"
    r"|\bI understand (?:that )?you\b|\byou(?:'d| would) like to know\b"
    r"|\byou(?:'d| would) love to\b|\byou(?:'re| are) (?:hoping|keen|eager|planning) to\b"
    r"|\byou(?:'ve| have)? been (?:enjoying|wanting|thinking)\b|\byou want to\b"
    r"|\byour (?:skin|redness|calves|feet|legs|runs?) (?:is|are|has|have|feels?|looks?) "
    r"(?:better|calmer|clearer|smaller|easier|stronger)\b",
    re.I,
)
_HEDGE = re.compile(
    r"如果|要是|的话|是不是|有没有|吗|呢|\bif\b|\bwhen(?:ever)?\b|\b(?:I|we) hope\b", re.I
)


def _only_questions(text: str) -> bool:
    """Whether every sentence of ``text`` asks something (an answer that only asks back)."""
    said = sentences(text)
    return bool(said) and all(is_question(x) for x in said)


def _assumes(text: str, lang: str) -> bool:
    pattern = _ASSUMES_ZH if lang == "zh" else _ASSUMES_EN
    return any(
        pattern.search(x) and not _HEDGE.search(x) and not is_question(x) for x in sentences(text)
    )


def _says_stage_rule(text: str, rules: list[str]) -> bool:
    """Whether ``text`` repeats one of the prompt's stage lines whole ("using the gear and the
    plan; avoid: hard replenishment pushes" came back as "Using the gear and plan, avoid hard
    replenishment pushes"; "Finding a rhythm" as a subject)."""
    from evals.checks.overlap import content_units, coverage

    said = content_units(text)
    for rule in rules:
        units = content_units(rule)
        if len(units) >= 2 and coverage(units, said) == 1.0:
            return True
    return False


# A condition in a guide ("如果有轻微刺痒，先减到每次4-5滴", "If your calves ache, ...") and the
# amounts said only under it: a tip that keeps the amounts without the condition tells every
# customer to do what the guide says to do only when something is wrong.
_CONDITION = re.compile(rf"{_IF_ZH}|若|一旦|的话|\b(?:if|when|unless|should you)\b", re.I)
_AMOUNT = re.compile(r"\d+(?:\.\d+)?|[一二两三四五六七八九十半]+(?=[天周次滴泵下分钟公里个月])")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]|\.(?:\s+|$)")


def drops_condition(tip: str, said: str) -> bool:
    """Whether ``said`` repeats an amount the guide gives only under a condition, and says no
    condition."""
    if _CONDITION.search(said):
        return False
    parts = [p for p in _SENTENCE_END.split(tip) if p.strip()]
    plain = {a for p in parts if not _CONDITION.search(p) for a in _AMOUNT.findall(p)}
    only_if = {a for p in parts if _CONDITION.search(p) for a in _AMOUNT.findall(p)} - plain
    return bool(only_if & set(_AMOUNT.findall(said)))


# A product pushed without its name: "any other product we offer", "我们的其他产品".
_ANY_PRODUCT = re.compile(
    r"(?:其他|别的|更多|新)的?产品|我们的产品|(?:这个|这款|该)产品|\b(?:other|more|new) products?\b"
    r"|\bthis product\b"
    r"|products? we (?:offer|sell)|\bour (?:other |new )?products\b",
    re.I,
)


GATE_MESSAGES = {
    "zh": {
        "empty": "这一句是空的",
        "third_person": "直接用“你”对TA说，不要用名字、“客户”或“TA”称呼TA",
        "tip_unfaithful": "只说【这个时候的建议】里写的做法，不要加别的",
        "restates_belief": "不要重复品牌信念的原话，它会接在后面",
        "no_question": "这一句要问TA一个问题",
        "copies_prompt": "这是写给你的要求，不是给客户的话；写你要对TA说的那句话",
        "duplicate": "这一句和前面的一句重复了",
        "customer_voice": "这是替客户说话；写你要对TA说的话",
        "not_a_wish": "这一句要是一句生日祝福",
        "mentions_product": "这一句不提产品，也不推荐别的产品",
        "drops_condition": "指南里这样做是有前提的（如果……）；前提要一起说",
        "stock_phrase": "这是一句套话；对TA说一句具体的话",
        "broken": "这一句没写完，或带着格式符号；写一句完整的话",
        "asks_known": "这是在问我们已经知道的事，或像问卷；问一句TA真正会想回答的",
        "wrong_moment": "TA还没用完；按TA现在用到的时候来说",
        "off_subject": "主题要说出这封信是关于哪件产品的",
        "invented_quote": "不要编造谁说过的话或某位朋友的事，只用【资料】里有的",
        "ungrounded": "只说【资料】里有的事，不加新的事实",
        "not_an_answer": "这一句要回答TA的问题，不要把问题再问一遍",
    },
    "en": {
        "empty": "this sentence is empty",
        "third_person": 'speak to them as "you", not by name or as "the customer"',
        "tip_unfaithful": "say only what [Tip for now] says to do, nothing else",
        "restates_belief": "do not repeat the belief itself; it follows your sentence",
        "no_question": "this sentence must ask them something",
        "copies_prompt": "that repeats your instructions; write what you would say to them",
        "duplicate": "this repeats another sentence",
        "customer_voice": "that speaks for the customer; write what you would say to them",
        "not_a_wish": "this sentence must be a birthday wish",
        "mentions_product": "no product in this sentence, and nothing else to buy",
        "drops_condition": "the guide says to do this only under a condition (if ...); say it",
        "stock_phrase": "a stock phrase that says nothing; say something to this person",
        "broken": "this sentence is unfinished or carries markup; write a whole sentence",
        "asks_known": "that asks what we know already, or reads like a survey; ask what they "
        "would want to answer",
        "wrong_moment": "they have not finished it yet; speak to where they are now",
        "off_subject": "the subject should name the product this email is about",
        "invented_quote": "do not invent people or what they said; use only what [Knowledge] says",
        "ungrounded": "say only what [Knowledge] says; add no new facts",
        "not_an_answer": "answer their question; do not ask it back",
    },
}


def slot_schema(slots: list[Slot], lang: str) -> dict[str, Any]:
    """The JSON schema the model fills: one string per slot, capped in characters."""
    return {
        "type": "object",
        "properties": {
            s.name: {"type": "string", "minLength": 2, "maxLength": s.cap(lang)} for s in slots
        },
        "required": [s.name for s in slots],
    }


def slot_tokens(slots: list[Slot], lang: str) -> int:
    """Enough tokens for the capped slots and the JSON around them."""
    per_char = 1.0 if lang == "zh" else 0.35
    return int(sum(s.cap(lang) * per_char + 12 for s in slots)) + 16


__all__ = [
    "GATE_MESSAGES",
    "Assembled",
    "Fixed",
    "Layout",
    "Part",
    "Slot",
    "assemble",
    "fill",
    "fillable",
    "first_name",
    "gate",
    "layout_for",
    "slot_schema",
    "slot_tokens",
    "tidy",
    "tip_sentence",
]
