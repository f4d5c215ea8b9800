"""The words the planner puts into a plan, in Chinese and English: what a message at each
stage and for each trigger must do and must not do, the rules every draft follows, and
the channel limits. Data, not logic: :mod:`generator.planner` decides which lines apply.
"""

from __future__ import annotations

from knowledge.stages import BaseStage

Lang = str  # "zh" | "en"

STAGE_GOAL: dict[Lang, dict[BaseStage, str]] = {
    "zh": {
        BaseStage.FIRST_CONTACT: "欢迎新朋友，帮TA顺利开始使用",
        BaseStage.GETTING_TO_KNOW: "在合适的时间点给一个让TA用得更对的建议",
        BaseStage.REPEAT: "让老朋友感到被记得、被懂得",
        BaseStage.CORE_MEMBER: "让核心会员感到归属和被重视",
        BaseStage.CO_BUILDER: "真诚感谢同行者，邀请TA一起共创",
    },
    "en": {
        BaseStage.FIRST_CONTACT: "welcome a new customer and help them start well",
        BaseStage.GETTING_TO_KNOW: "give one tip at the right moment so they use it right",
        BaseStage.REPEAT: "make a returning customer feel known",
        BaseStage.CORE_MEMBER: "make a core member feel they belong",
        BaseStage.CO_BUILDER: "thank a co-builder sincerely and invite them to co-create",
    },
}

STAGE_MUST: dict[Lang, dict[BaseStage, list[str]]] = {
    "zh": {
        BaseStage.FIRST_CONTACT: [
            "感谢TA的信任",
            "给出一个使用指南里的起步要点",
            "告诉TA有问题随时找你",
        ],
        BaseStage.GETTING_TO_KNOW: [
            "给一个使用指南里、符合当前时间点的小建议",
            "用一句话说明为什么这样做",
            "问问TA用得怎么样",
        ],
        BaseStage.REPEAT: ["提到TA自己的情况（标签、购买经历）", "给一个贴心提醒或成长的下一步"],
        BaseStage.CORE_MEMBER: ["让TA感到是自己人", "可以邀请TA抢先体验或分享心得"],
        BaseStage.CO_BUILDER: ["真诚感谢TA的陪伴", "可以邀请TA分享故事或一起共创"],
    },
    "en": {
        BaseStage.FIRST_CONTACT: [
            "thank them for their trust",
            "give one getting-started step from the usage guide",
            "tell them they can ask you anything",
        ],
        BaseStage.GETTING_TO_KNOW: [
            "give one tip from the usage guide that fits this moment",
            "say in one sentence why it works",
            "ask how it is going",
        ],
        BaseStage.REPEAT: [
            "mention their own context (tags, past purchases)",
            "offer a caring reminder or the next step on their path",
        ],
        BaseStage.CORE_MEMBER: [
            "make them feel part of the inner circle",
            "you may invite them to an early trial or to share their experience",
        ],
        BaseStage.CO_BUILDER: [
            "thank them sincerely for walking with the brand",
            "you may invite them to share their story or co-create",
        ],
    },
}

STAGE_MUST_NOT: dict[Lang, dict[BaseStage, list[str]]] = {
    "zh": {
        BaseStage.FIRST_CONTACT: ["推荐加购或升级", "发优惠券、提折扣", "请TA推荐朋友或转发"],
        BaseStage.GETTING_TO_KNOW: ["催促回购", "提价格或优惠"],
        BaseStage.REPEAT: ["群发式套话", "以折扣或优惠开头"],
        BaseStage.CORE_MEMBER: ["把折扣当作主要内容"],
        BaseStage.CO_BUILDER: ["任何推销或购买暗示"],
    },
    "en": {
        BaseStage.FIRST_CONTACT: ["upsell", "coupons or discounts", "asking for referrals"],
        BaseStage.GETTING_TO_KNOW: ["pushing a repurchase", "prices or offers"],
        BaseStage.REPEAT: ["generic broadcast phrasing", "leading with a discount"],
        BaseStage.CORE_MEMBER: ["discounts as the main message"],
        BaseStage.CO_BUILDER: ["anything that feels like selling"],
    },
}

# What every draft follows, whatever the stage.
ALWAYS_MUST_NOT: dict[Lang, list[str]] = {
    "zh": [
        "编造资料里没有的数字、功效或活动，或编造客户说过的话",
        "绝对化用语、医疗功效、紧迫感、链接、要求转发",
    ],
    "en": [
        "inventing numbers, effects or events not in the knowledge, or things they said",
        "absolute or medical claims, urgency, links, asking to forward",
    ],
}

TRIGGER_GOAL: dict[Lang, dict[str, str]] = {
    "zh": {
        "day3": "客户开始使用第{days}天："
        "把使用指南里头几天该注意的一条具体告诉客户，再问问最初的感受",
        "half_used": "{product}用了大约一半（第{days}天，约{usage_days}天用完）："
        "把使用指南里用到一半时该留意的那一条具体告诉客户，再问问效果",
        "almost_finished": "{product}快用完了（第{days}天，约{usage_days}天用完）："
        "把使用指南里快用完时的建议具体告诉客户，问问这段时间的感受",
        "birthday": "客户的生日（{birthday}）快到了："
        "只送上真诚的生日祝福，可以提一句客户自己的情况；"
        "不推荐任何产品，不附优惠",
        "stage_up": "客户成为{stage_name}：感谢客户一路的信任，说说接下来能一起做什么",
        "long_silence": "已经{silence_days}天没有联系："
        "轻松问候近况，不追问、不制造愧疚、不推荐产品",
        "milestone": "{timeline}了：真诚地说一句这个成长的时刻；"
        "接下来也许用得上{next_product}，只说它的使用指南里写的；是介绍不是推销，不催促，不提价格和优惠",
        "question": "回答客户的问题，只用资料里的事实；资料里没有就说确认后再回复",
        "welcome": "客户刚来：欢迎，告诉客户怎么开始（来自资料），有问题随时问",
        "after_purchase": "客户买了{product}（第{days}天）："
        "把使用指南里的一个用法要点具体告诉客户，"
        "再问问用得怎么样",
        "monthly": "本月社群内容",
        "tier_invite": "邀请客户加入「{tier}」：说一句为什么想到TA（TA自己的经历），"
        "这个圈子是什么、能一起做什么；是邀请不是推销，不提价格或优惠，告诉TA不来也完全没关系",
    },
    "en": {
        "day3": "day {days} of using it: tell them the one thing the usage guide says about the "
        "first days, then ask about first impressions",
        "half_used": "{product} is about half used (day {days} of ~{usage_days}): tell them what "
        "the guide says to notice at the halfway point, then ask how it goes",
        "almost_finished": "{product} is almost finished (day {days} of ~{usage_days}): tell them "
        "the guide's advice for the last days, ask how this stretch has been",
        "birthday": "their birthday ({birthday}) is near: only a sincere birthday wish, maybe one "
        "line about their own context; recommend no product, attach no offer",
        "stage_up": "they became {stage_name}: thank them for their trust, say what you can do "
        "together next",
        "long_silence": "no contact for {silence_days} days: a light hello, no chasing, no guilt, "
        "no product recommendation",
        "milestone": "{timeline} now: one sincere line about this moment of growth; a "
        "{next_product} may come in handy next: only what its usage guide says; an "
        "introduction, not a sale: no push, no price, no offer",
        "question": "answer their question with facts from the knowledge only; if it is not "
        "there, say you will check and reply",
        "welcome": "they just arrived: welcome them, say how to start (from the knowledge), "
        "invite questions",
        "after_purchase": "they bought {product} (day {days}): tell them one usage point from the "
        "guide, then ask how it is going",
        "monthly": "this month's community content",
        "tier_invite": "invite them into {tier}: one line on why you thought of them (their own "
        "story), what the circle is and what you do together; an invitation, not a sale: no "
        "price, no offer, and it is fine if they say no",
    },
}

REPLENISH: dict[Lang, dict[str, str]] = {
    "zh": {
        "never": "不要提补货或回购",
        "gentle": "如需提补货，只在结尾轻轻一句，不催促",
        "ok": "可以在帮助之后提一句补货",
    },
    "en": {
        "never": "do not mention restocking or buying again",
        "gentle": "a restock note, if any, is one gentle line at the end",
        "ok": "you may mention restocking after the help",
    },
}

CHANNEL_RULE: dict[Lang, dict[str, str]] = {
    "zh": {
        "wechat": "微信消息：不超过{max_chars}个字，像朋友一对一聊天",
        "sms": "短信：正文不超过{max_chars}个字；签名和退订由系统添加，不要写",
        "email": "邮件：主题不超过20个字，正文不超过{max_chars}个字；退订说明由系统添加",
        "community": "社群帖子：不超过{max_chars}个字",
    },
    "en": {
        "wechat": "WeChat message: at most {max_words} words, like a one-to-one chat",
        "sms": "SMS: body at most {max_chars} characters; the signature and opt-out are added "
        "for you, do not write them",
        "email": "email: subject at most 8 words, body at most {max_words} words; the "
        "unsubscribe line is added for you",
        "community": "community post: at most {max_words} words",
    },
}

# Kinds that never sell (an invitation), whatever the stage allows.
NO_SELLING: dict[Lang, str] = {
    "zh": "任何推销、价格、优惠或购买暗示",
    "en": "any selling, price, offer or hint to buy",
}
