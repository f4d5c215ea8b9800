"""A synthetic brand at any size, the same every run: an example pack's brand and knowledge
(stages, products, usage guides) with ``n`` generated customers, ~10 events each and a
proportional number of stored drafts.

    brand = SyntheticBrand(load_pack("examples/qingshui"), customers=10_000)
    brand.customers()            # Customer records, in id order (a generator)
    brand.event_batches(5000)    # the events as `zhenxin events import` reads them, in batches
    brand.insert_drafts(sessions)  # draft rows for the review queue and the report (bulk)

Everything is drawn from ``random.Random`` seeded by the seed and the customer's index, so a
customer, their events and the drafts their sends name are identical whichever size or order
they are generated in, and nothing is held for the whole brand at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from knowledge.pack import BrandPack, Channel, Customer, DocKind, Purchase
from storage.brands import ensure_brand
from storage.models import DraftRequestRow, DraftRow, DraftVersionRow

TODAY = dt.date(2026, 12, 1)  # the day the bench selects due customers and reports on
START = dt.date(2026, 6, 1)  # events happen in [START, TODAY)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "小雨思远一一可晴安宁子涵欣怡浩然雨桐梓萱佳怡晨曦"
SKIN = ("敏感肌", "干皮", "油皮", "混合皮")
CHANNELS = (Channel.WECHAT, Channel.WECHAT, Channel.WECHAT, Channel.SMS, Channel.EMAIL)
STAGE_WEIGHTS = (50, 25, 15, 7, 3)  # first contact … co-builder
SENDS = 4  # sends per contacted customer, each with a delivery: 8 events
HOLDOUT = 0.1  # share of customers held out of care instead of contacted
DRAFT_STATUSES = ("pending_review",) * 6 + ("approved",) * 3 + ("rejected",)
DAY_SHARE = 0.1  # customers with events on one day of a running brand
REPLIES = ("用了一周，两颊没那么红了", "谢谢提醒，我再试试", "有点刺痛，是不是我用多了？")


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(max((end - start).days, 1)))


def _at(rng: random.Random, day: dt.date) -> str:
    return f"{day.isoformat()}T{rng.randrange(8, 22):02d}:{rng.randrange(60):02d}:00"


@dataclass(frozen=True)
class SyntheticBrand:
    pack: BrandPack
    customers_n: int
    seed: int = 13

    @property
    def brand_id(self) -> str:
        return self.pack.brand.id

    @property
    def products(self) -> list[str]:
        return sorted(
            d.product for d in self.pack.docs if d.kind == DocKind.USAGE_GUIDE and d.product
        )

    def _rng(self, index: int, what: str) -> random.Random:
        return random.Random(f"{self.seed}:{what}:{index}")

    @staticmethod
    def customer_id(index: int) -> str:
        return f"sx-{index:07d}"

    def draft_id(self, index: int, send: int) -> str:
        return hashlib.md5(f"{self.seed}:{index}:{send}".encode()).hexdigest()

    # --- customers ---------------------------------------------------------------------------
    def customer(self, index: int) -> Customer:
        rng = self._rng(index, "customer")
        stages = [s.id for s in self.pack.brand.stages]
        stage = rng.choices(stages, weights=STAGE_WEIGHTS[: len(stages)])[0]
        products = self.products
        bought = rng.choices((0, 1, 2, 3), weights=(20, 50, 20, 10))[0]
        purchases = [
            Purchase(product=rng.choice(products), date=_day(rng, START, TODAY))
            for _ in range(bought)
        ]
        birthday = (
            dt.date(rng.randrange(1970, 2004), rng.randrange(1, 13), rng.randrange(1, 29))
            if rng.random() < 0.6
            else None
        )
        return Customer(
            id=self.customer_id(index),
            name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            stage=stage,
            purchases=purchases,
            tags={"skin": rng.choice(SKIN), "source": "synthetic"},
            birthday=birthday,
            channel=rng.choice(CHANNELS),
            opted_out=rng.random() < 0.01,
        )

    def customers(self) -> Iterator[Customer]:
        for index in range(self.customers_n):
            yield self.customer(index)

    # --- events ------------------------------------------------------------------------------
    def sends_of(self, index: int) -> list[tuple[int, dt.date]]:
        """The customer's sends (send number, day); none for a held-out customer."""
        rng = self._rng(index, "sends")
        if rng.random() < HOLDOUT:
            return []
        return sorted(((n, _day(rng, START, TODAY)) for n in range(SENDS)), key=lambda s: s[1])

    def events_of(self, index: int) -> list[dict[str, Any]]:
        """One customer's events (~10), as raw items (strings, as a JSON Lines file has)."""
        rng = self._rng(index, "events")
        cid = self.customer_id(index)
        out: list[dict[str, Any]] = []

        def add(type_: str, day: dt.date, **extra: Any) -> None:
            out.append(
                {"id": f"{cid}-{len(out):02d}", "customer_id": cid, "type": type_}
                | {"at": _at(rng, day)}
                | extra
            )

        sends = self.sends_of(index)
        if not sends:
            add("held_out", _day(rng, START, TODAY), kind="care_message", trigger="day3")
        for n, day in sends:
            # every other send is a draft we hold; the rest came from another tool
            ours = n % 2 == 0
            extra = (
                {"draft_id": self.draft_id(index, n)}
                if ours
                else {"kind": "care_message", "trigger": "half_used", "stage": "first_contact"}
            )
            add("sent", day, **extra)
            add("delivered", day, **({"draft_id": extra["draft_id"]} if ours else {}))
            if rng.random() < 0.3:
                reply_day = min(day + dt.timedelta(days=rng.randrange(3)), TODAY)
                add(
                    "replied",
                    reply_day,
                    text=rng.choice(REPLIES),
                    **({"draft_id": extra["draft_id"]} if ours else {}),
                )
        for _ in range(rng.choices((0, 1, 2), weights=(40, 35, 25))[0]):
            add("purchased", _day(rng, START, TODAY), product=rng.choice(self.products))
        if rng.random() < 0.01:
            add("unsubscribed", _day(rng, START, TODAY))
        return out

    def day_events(self, day: dt.date, share: float = DAY_SHARE) -> Iterator[dict[str, Any]]:
        """A day of a running brand: ``share`` of the customers (drawn per customer and day)
        do one to three things on ``day`` — a delivery, a reply, a purchase — in customer
        order, with ids of their own (what a shop's daily export brings on top of the
        history of :meth:`events_of`)."""
        products = self.products  # worked out from the pack's documents on each read
        for index in range(self.customers_n):
            rng = self._rng(index, f"day:{day.isoformat()}")
            if rng.random() >= share:
                continue
            cid = self.customer_id(index)
            for n in range(rng.choice((1, 1, 2, 3))):
                kind = rng.choice(("delivered", "delivered", "replied", "purchased"))
                event = {"id": f"{cid}-{day:%Y%m%d}-{n}", "customer_id": cid, "type": kind}
                event["at"] = _at(rng, day)
                if kind == "replied":
                    event["text"] = rng.choice(REPLIES)
                elif kind == "purchased":
                    event["product"] = rng.choice(products)
                yield event

    def event_batches(self, size: int = 5000) -> Iterator[list[dict[str, Any]]]:
        """Every event, ``size`` at a time (customers in order, each one's events by time)."""
        batch: list[dict[str, Any]] = []
        for index in range(self.customers_n):
            batch.extend(sorted(self.events_of(index), key=lambda e: e["at"]))
            while len(batch) >= size:
                yield batch[:size]
                batch = batch[size:]
        if batch:
            yield batch

    # --- drafts ------------------------------------------------------------------------------
    def insert_drafts(self, sessions: sessionmaker[Session], *, chunk: int = 2000) -> int:
        """The drafts the brand's ``draft_id`` sends name (two per contacted customer), as
        requests, drafts and a version 1 each, inserted in bulk; returns how many."""
        total = 0
        requests: list[dict[str, Any]] = []
        drafts: list[dict[str, Any]] = []
        versions: list[dict[str, Any]] = []

        def flush() -> None:
            if not requests:
                return
            with sessions.begin() as s:
                s.execute(insert(DraftRequestRow), requests)
                s.execute(insert(DraftRow), drafts)
                s.execute(insert(DraftVersionRow), versions)
            requests.clear()
            drafts.clear()
            versions.clear()

        with sessions.begin() as s:
            ensure_brand(s, self.brand_id)
        for index in range(self.customers_n):
            rng = self._rng(index, "drafts")
            cid = self.customer_id(index)
            for n, day in self.sends_of(index):
                if n % 2:
                    continue
                did = self.draft_id(index, n)
                created = dt.datetime.combine(day, dt.time(7)) - dt.timedelta(days=1)
                status = rng.choice(DRAFT_STATUSES)
                requests.append(
                    {
                        "id": did,
                        "brand_id": self.brand_id,
                        "kind": "care_message",
                        "customer_id": cid,
                        "payload": {"kind": "care_message", "customer_id": cid},
                        "status": "done",
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                drafts.append(
                    {
                        "id": did,
                        "brand_id": self.brand_id,
                        "kind": "care_message",
                        "customer_id": cid,
                        "stage": "first_contact",
                        "channel": "wechat",
                        "trigger": rng.choice(("day3", "half_used", "almost_finished")),
                        "status": status,
                        "current_version": 1,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                versions.append(
                    {
                        "draft_id": did,
                        "version": 1,
                        "text": "你好，精华用到一半了，最近皮肤感觉怎么样？—— 阿青",
                        "verdict": "pass",
                        "score": 1.0,
                        "findings": [],
                        "data": None,
                        "author": "model",
                        "created_at": created,
                    }
                )
                total += 1
                if len(requests) >= chunk:
                    flush()
        flush()
        return total


__all__ = ["START", "TODAY", "SyntheticBrand"]
