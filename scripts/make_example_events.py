"""Write ``examples/<brand>/events.jsonl``: a year of invented but plausible events for each
example pack (the 12 months before 2026-11-30), for ``make demo`` and the outcomes report.

    python -m scripts.make_example_events           # rewrite the three files
    python -m scripts.make_example_events --check   # exit 1 if a file is not what it writes

Deterministic (one seed per brand). What it writes, per customer of ``customers.csv``:

- **care sends** from before zhenxin (``kind``, ``trigger``, ``stage``, ``product``): the
  usage moments of each order in the customer list (day 3, half used, almost finished, from
  the usage guide's ``usage_days``), birthdays, and a long silence (45+ days untouched);
  most are ``delivered`` a minute later;
- **the holdout**: each send day is a care batch, and ``flywheel.holdout.held_out`` holds out
  ~10 % of its due customers (a ``held_out`` event with the trigger) instead of sending;
- **replies** in the brand's language, some criticising (the most useful reply there is), a
  few ``topic: co_creation`` from the brand's co-builders, and one complaint;
- **repurchases**: more likely after a care message than after being held out (not by much);
  never an order the customer list already has;
- **unsubscribes** of the customers the list says opted out, after their last contact.

So that the pack keeps telling the same story after an import (``examples/README.md``: who is
due what on 2026-11-23 and 2026-12-01), events stay out of what the customer list already
says: no send on or after a customer's last listed contact, or within two days of a listed
one (that contact is the send), none after 2026-11-19, and no order after the customer's
last listed order (the trigger customers keep their last purchase), and none for a customer
the list has as new (first contact, getting to know: one more order would make them repeat).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batch.due import milestones
from flywheel.event_files import EVENTS_FILE
from flywheel.events import Event, criticises
from flywheel.holdout import event_id as holdout_event_id
from flywheel.holdout import held_out
from knowledge.loader import load_pack
from knowledge.pack import BrandPack, Customer, DocKind

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BRANDS = ("qingshui", "shanshi", "stride")
SEED = 20261130
END = dt.date(2026, 11, 30)
START = END - dt.timedelta(days=364)  # 2025-12-01
LAST_SEND = dt.date(2026, 11, 19)
HOLDOUT_SHARE = 0.10
MIN_GAP = 5  # days between two care moments of one customer
SILENCE = 45

# Chance of a repurchase within 4-27 days: after a care message, after being held out.
# Orders are placed by error diffusion (each arm owes its chances and orders when one is
# due), so with two dozen customers the realised rates stay near these, not at a coin's
# mercy; the first moment of a customer in an arm (what the report's holdout compares) has
# its own account.
BUY_AFTER_SEND = {
    "almost_finished": 0.42,
    "half_used": 0.2,
    "day3": 0.08,
    "birthday": 0.2,
    "long_silence": 0.25,
}
BUY_AFTER_HOLDOUT = {k: v * 0.6 for k, v in BUY_AFTER_SEND.items()}
REPLY_BY_STAGE = {
    "first_contact": 0.15,
    "getting_to_know": 0.2,
    "repeat": 0.28,
    "core_member": 0.38,
    "co_builder": 0.45,
}
CRITICISM_SHARE = 0.18
CO_CREATION_SHARE = 0.35  # of a co-builder's replies
STAGE_ORDER = ("first_contact", "getting_to_know", "repeat", "core_member", "co_builder")

# Replies, Chinese first. Per brand: by trigger (else "any"), criticism, co-creation.
REPLIES: dict[str, dict[str, list[str]]] = {
    "qingshui": {
        "day3": ["收到，这三天早晚都在用，没有刺刺的感觉", "好的，我先每次用两滴试试"],
        "half_used": [
            "用到一半了，两颊泛红少了一些",
            "谢谢提醒，暖气房里我再加一层面霜",
            "最近换季有点起皮，洁面是不是要少用一次？",
        ],
        "almost_finished": ["快用完了，想问问下一瓶要不要换成霜", "还剩一点点，这周末再补一瓶"],
        "birthday": ["谢谢阿青，生日还记得我，好暖", "哈哈收到祝福了，谢谢～"],
        "long_silence": ["好久没联系啦，最近在出差，回来再买", "还在用，皮肤挺稳定的，谢谢惦记"],
        "criticism": [
            "用了两周两颊反而更红了",
            "精华抹上去有点刺痛，不知道是不是不适合我",
            "洁面用完还是紧绷，有点失望",
            "屏障霜太厚了，夏天用长了闷痘",
        ],
        "co_creation": [
            "新配方小样用了一周，质地比上一版轻，早上上妆不搓泥",
            "共创群里说的无香版本我愿意试，敏感的时候正需要",
            "小样第三天下巴有点痒，已经停了，照片发群里了",
        ],
        "complaint": ["要求退货：用了以后两颊刺痛泛红，已停用"],
        "unsubscribe": ["TD"],
    },
    "shanshi": {
        "day3": ["今天照着打卡吃了早饭，下午果然没那么困", "第三天了，开始习惯先吃菜了"],
        "half_used": [
            "食物秤用了两周，终于知道一碗饭是多少了",
            "杂粮包孩子也爱吃，谢谢推荐的煮法",
            "这周外食多，按群里说的先点一份青菜",
        ],
        "almost_finished": ["训练营快结束了，有点舍不得大家", "杂粮包快吃完了，想换个口味"],
        "birthday": ["谢谢记得我的生日～", "收到啦，今天给自己做了顿好的"],
        "long_silence": ["最近忙，吃饭又乱了，过阵子回群里", "一直在按营里的方法吃，挺好的"],
        "criticism": [
            "杂粮包煮出来太硬了，孩子不爱吃，有点失望",
            "群里消息太多了，有点被打扰，不满意",
            "第二周每天打卡好累，感觉没效果",
        ],
        "co_creation": [
            "下周厨房日我可以带一道控糖的菜谱",
            "菜谱小组想试新的杂粮配比，我先做给家里人尝尝",
            "新一期训练营的早餐清单我看过了，加了两个带饭的做法",
        ],
        "complaint": ["申请退款：训练营节奏跟不上，没效果"],
        "unsubscribe": ["TD"],
    },
    "stride": {
        "day3": ["Thanks! Did my first easy run in them on Saturday.", "All good so far, cheers."],
        "half_used": [
            "Good tip on the lacing, the toes feel much better.",
            "Week 4 done. The intervals are getting easier.",
            "Socks are great in the cold, no more numb toes.",
        ],
        "almost_finished": [
            "Nearly 600 km on them now, I'll pop in this month.",
            "Last week of the plan, nervous about race day!",
        ],
        "birthday": [
            "Thank you for remembering my birthday!",
            "Ha, thanks, a birthday parkrun it is.",
        ],
        "long_silence": [
            "Been away with work, back at the Saturday run soon.",
            "Still running, just on my own at the moment.",
        ],
        "criticism": [
            "the heel rubs after 5 km",
            "Got a blister on the long run, not sure the size is right.",
            "The plan felt like too much too soon, my shins hurt.",
            "Bit disappointed, the outsole is already wearing thin.",
        ],
        "co_creation": [
            "Happy to wear-test the new trail version on the moors.",
            "Notes from the wear test: grip is great, the tongue slides on long runs.",
            "I can lead the run-walk group in the new plan's pilot.",
        ],
        "complaint": ["I'd like to return the shoes: the heel rubs on every run."],
        "unsubscribe": ["unsubscribe link"],
    },
}


@dataclass
class _Person:
    customer: Customer
    listed_orders: set[tuple[str, dt.date]]
    contacts: list[dt.date]
    last_contact: dt.date | None
    last_order: dt.date | None
    opted_out_on: dt.date | None
    orders: list[dt.date] = field(default_factory=list)  # listed and new, for the stage
    touches: list[dt.date] = field(default_factory=list)  # sends, holdouts, listed contacts


def _people(pack: BrandPack) -> dict[str, _Person]:
    out: dict[str, _Person] = {}
    for c in pack.customers:
        contacts = sorted(x.date for x in c.last_contacts)
        last_contact = contacts[-1] if contacts else None
        opted = None
        if c.opted_out:
            first = c.purchases[0].date if c.purchases else END - dt.timedelta(days=10)
            opted = min(END, (last_contact or first) + dt.timedelta(days=1))
        out[c.id] = _Person(
            customer=c,
            listed_orders={(p.product, p.date) for p in c.purchases},
            contacts=contacts,
            last_contact=last_contact,
            last_order=c.purchases[-1].date if c.purchases else None,
            opted_out_on=opted,
            orders=sorted(p.date for p in c.purchases),
            touches=list(contacts),
        )
    return out


@dataclass(frozen=True, order=True)
class _Moment:
    day: dt.date
    rank: int  # the due priority: birthday first
    customer_id: str
    trigger: str
    product: str | None


_RANK = {"birthday": 0, "almost_finished": 1, "half_used": 2, "day3": 3, "long_silence": 4}


def _moments(pack: BrandPack, people: dict[str, _Person]) -> list[_Moment]:
    usage = {
        d.product: d.usage_days
        for d in pack.docs
        if d.kind == DocKind.USAGE_GUIDE and d.product and d.usage_days
    }
    found: list[_Moment] = []
    for cid, person in people.items():
        c = person.customer
        for p in c.purchases:
            for trigger, offset in milestones(usage.get(p.product, 30)):
                day = p.date + dt.timedelta(days=offset)
                found.append(_Moment(day, _RANK[trigger.value], cid, trigger.value, p.product))
        if c.birthday is not None:
            for year in (START.year, END.year):
                try:
                    day = c.birthday.replace(year=year) - dt.timedelta(days=1)
                except ValueError:  # 29 February
                    continue
                found.append(_Moment(day, _RANK["birthday"], cid, "birthday", None))
        first = c.purchases[0].date if c.purchases else None
        if first is not None:
            day = max(START, dt.date(first.year, first.month, 1))
            while day <= LAST_SEND:
                found.append(_Moment(day, _RANK["long_silence"], cid, "long_silence", None))
                day = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return sorted(m for m in found if START <= m.day <= LAST_SEND)


def _stage_on(person: _Person, day: dt.date) -> str:
    """The stage the customer was in on ``day``: from the orders so far, never above the
    stage the customer list gives now."""
    bought = sum(1 for d in person.orders if d <= day)
    first = person.orders[0] if person.orders else day
    if bought <= 1:
        stage = "first_contact" if (day - first).days < 14 else "getting_to_know"
    elif bought <= 3:
        stage = "repeat"
    else:
        stage = "core_member"
    final = person.customer.stage
    cap = STAGE_ORDER.index(final) if final in STAGE_ORDER else len(STAGE_ORDER) - 1
    return STAGE_ORDER[min(STAGE_ORDER.index(stage), cap)]


def _may_touch(person: _Person, day: dt.date) -> bool:
    """A care moment on ``day`` is one the customer list does not already say otherwise."""
    if not person.customer.purchases or day < person.customer.purchases[0].date:
        return False
    if person.last_contact is None or day >= person.last_contact:
        return False  # the list's last contact stays the last one
    if person.opted_out_on is not None and day >= person.opted_out_on:
        return False
    if any(abs((day - c).days) <= 2 for c in person.contacts):
        return False  # that listed contact is this moment's message
    return not any(0 <= (day - t).days < MIN_GAP for t in person.touches if t <= day)


def _silent(person: _Person, day: dt.date) -> bool:
    past = [t for t in [*person.touches, *person.orders] if t <= day]
    return bool(past) and (day - max(past)).days >= SILENCE


class _Writer:
    def __init__(self, brand: str, lang: str) -> None:
        self.brand = brand
        self.tz = dt.timezone(dt.timedelta(hours=8 if lang == "zh" else 0))
        self.events: list[dict[str, Any]] = []

    def at(self, day: dt.date, rng: random.Random, *, earliest: int = 9, latest: int = 20) -> str:
        moment = dt.datetime.combine(
            day, dt.time(rng.randint(earliest, latest), rng.randint(0, 59))
        )
        return moment.replace(tzinfo=self.tz).isoformat()

    def add(self, **fields: Any) -> None:
        self.events.append({k: v for k, v in fields.items() if v is not None})


def generate(brand: str) -> list[dict[str, Any]]:
    """The brand's events, oldest first (each a dict as written to the file)."""
    pack = load_pack(EXAMPLES / brand)
    rng = random.Random(f"{SEED}:{brand}")
    people = _people(pack)
    products = sorted({d.product for d in pack.docs if d.kind == DocKind.USAGE_GUIDE and d.product})
    texts = REPLIES[brand]
    out = _Writer(brand, pack.brand.language)
    complained = False
    owed: dict[tuple[str, bool], float] = {}
    seen: dict[str, set[str]] = {"sent": set(), "held_out": set()}
    for m in _moments(pack, people):
        person = people[m.customer_id]
        if not _may_touch(person, m.day):
            continue
        if m.trigger == "long_silence" and not _silent(person, m.day):
            continue
        cid, day = m.customer_id, m.day
        stage = _stage_on(person, day)
        batch = f"care-{brand}-{day.isoformat()}"
        person.touches.append(day)
        person.touches.sort()
        common = {"kind": "care_message", "trigger": m.trigger, "stage": stage}
        arm = "held_out" if held_out(batch, cid, HOLDOUT_SHARE) else "sent"
        account = (arm, cid not in seen[arm])
        seen[arm].add(cid)
        if arm == "held_out":
            out.add(
                id=holdout_event_id(batch, cid),
                customer_id=cid,
                type="held_out",
                at=out.at(day, rng, earliest=8, latest=8),
                **common,
            )
            buy = BUY_AFTER_HOLDOUT[m.trigger]
        else:
            key = f"{brand}-{day:%Y%m%d}-{cid}"
            sent_at = out.at(day, rng)
            out.add(
                id=f"{key}-sent",
                customer_id=cid,
                type="sent",
                at=sent_at,
                product=m.product,
                **common,
            )
            if rng.random() < 0.96:
                delivered = dt.datetime.fromisoformat(sent_at) + dt.timedelta(
                    minutes=rng.randint(1, 6)
                )
                out.add(
                    id=f"{key}-delivered",
                    customer_id=cid,
                    type="delivered",
                    at=delivered.isoformat(),
                )
            if rng.random() < REPLY_BY_STAGE.get(person.customer.stage, 0.2):
                topic = None
                if person.customer.stage == "co_builder" and rng.random() < CO_CREATION_SHARE:
                    text, topic = rng.choice(texts["co_creation"]), "co_creation"
                elif rng.random() < CRITICISM_SHARE:
                    text = rng.choice(texts["criticism"])
                else:
                    text = rng.choice(texts.get(m.trigger, texts["long_silence"]))
                replied = dt.datetime.fromisoformat(sent_at) + dt.timedelta(
                    minutes=rng.randint(20, 2 * 24 * 60)
                )
                marked = text in texts["criticism"] and not criticises(text)
                out.add(
                    id=f"{key}-reply",
                    customer_id=cid,
                    type="replied",
                    at=replied.isoformat(),
                    text=text,
                    topic=topic,
                    criticism=True if marked else None,
                )
                if text in texts["criticism"] and not complained and rng.random() < 0.5:
                    complained = True
                    out.add(
                        id=f"{key}-complaint",
                        customer_id=cid,
                        type="complaint",
                        at=(replied + dt.timedelta(days=1)).isoformat(),
                        text=texts["complaint"][0],
                        product=m.product,
                    )
            buy = BUY_AFTER_SEND[m.trigger]
        owed[account] = owed.get(account, 0.5) + buy
        if owed[account] >= 1 and _order(out, rng, person, day, m.product or rng.choice(products)):
            owed[account] -= 1
    for person in people.values():
        if person.opted_out_on is not None:
            out.add(
                id=f"{brand}-{person.opted_out_on:%Y%m%d}-{person.customer.id}-unsubscribed",
                customer_id=person.customer.id,
                type="unsubscribed",
                at=out.at(person.opted_out_on, rng),
                text=texts["unsubscribe"][0],
            )
    return sorted(out.events, key=lambda e: (Event.model_validate(e).at, e["id"]))


def _order(out: _Writer, rng: random.Random, person: _Person, day: dt.date, product: str) -> bool:
    """A repurchase 4-27 days after ``day``, unless the customer list says otherwise there
    (an order of that product near that day, any order that day, or none that late)."""
    if person.customer.stage in ("first_contact", "getting_to_know"):
        return False  # the list says one order so far: a second would make them repeat
    when = day + dt.timedelta(days=rng.randint(4, 27))
    last = person.last_order
    if last is None or when >= last or when > END:
        return False
    for listed, d in person.listed_orders:
        if d == when or (listed == product and abs((when - d).days) <= 14):
            return False
    if person.opted_out_on is not None and when >= person.opted_out_on:
        return False
    person.orders.append(when)
    person.orders.sort()
    cid = person.customer.id
    out.add(
        id=f"{out.brand}-{when:%Y%m%d}-{cid}-order-{product}",
        customer_id=cid,
        type="purchased",
        at=out.at(when, rng),
        product=product,
    )
    return True


def render(events: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(e, ensure_ascii=False, sort_keys=False) + "\n" for e in events)


def _files() -> Iterator[tuple[Path, str]]:
    for brand in BRANDS:
        yield EXAMPLES / brand / EVENTS_FILE, render(generate(brand))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file would change")
    args = parser.parse_args(argv)
    stale = 0
    for path, text in _files():
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                print(f"{path.relative_to(ROOT)}: not what the script writes", file=sys.stderr)
                stale += 1
            continue
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}: {text.count(chr(10))} events")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
