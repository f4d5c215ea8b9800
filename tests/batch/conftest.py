"""Fixtures of the batch tests: small zh/en brand packs and the fake drafter (no model)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from batch.service import BatchService
from core.settings import Settings
from drafting.service import DraftingService
from generator.fake import FakeDrafter
from knowledge.fake import FakeKnowledge
from knowledge.pack import (
    Belief,
    Brand,
    BrandPack,
    Channel,
    Contact,
    Customer,
    DocKind,
    EmailRules,
    KnowledgeDoc,
    Persona,
    Purchase,
    SmsRules,
    Tier,
)
from storage.db import open_database


def _doc(id_: str, kind: DocKind, title: str, **kw: object) -> KnowledgeDoc:
    return KnowledgeDoc(id=id_, kind=kind, title=title, body=f"{title}。", **kw)  # type: ignore[arg-type]


def make_pack(lang: str = "zh", customers: list[Customer] | None = None) -> BrandPack:
    zh = lang == "zh"
    brand = Brand(
        id="qingshui" if zh else "slowbrew",
        name="青水肌研" if zh else "Slow Brew",
        language=lang,
        persona=Persona(
            name="阿青" if zh else "Sam",
            voice="温和、具体" if zh else "warm and plain",
            signature="——阿青" if zh else "— Sam",
        ),
        beliefs=[
            Belief(
                id="less-is-more",
                text="少即是多，皮肤需要的不多。"
                if zh
                else "Less is more: good coffee needs little.",
                topic="少即是多" if zh else "less is more",
            ),
            Belief(
                id="honest-prices",
                text="价格稳定，不做大促。" if zh else "Stable prices, no flash sales.",
                topic="价格稳定" if zh else "stable prices",
            ),
        ],
        channels=[Channel.WECHAT, Channel.SMS, Channel.EMAIL, Channel.COMMUNITY],
        sms=SmsRules(signature="【青水肌研】" if zh else "[Slow Brew]"),
        email=EmailRules(
            sender="阿青 <care@qingshui.example>" if zh else "Sam <sam@slowbrew.example>",
            unsubscribe="不想再收到邮件？点此退订。" if zh else "Unsubscribe any time.",
        ),
        tiers=[
            Tier(
                id="new-friends",
                name="新朋友群" if zh else "New friends",
                stages=["first_contact", "getting_to_know"],
            ),
            Tier(
                id="old-friends",
                name="老朋友群" if zh else "Old friends",
                stages=["repeat", "core_member"],
            ),
        ],
    )
    docs = [
        _doc("values", DocKind.VALUE, "我们为什么做减法" if zh else "Why we keep it simple"),
        _doc("workshop", DocKind.ACTIVITY, "皮肤屏障小课堂" if zh else "Brewing workshop"),
        _doc(
            "trial",
            DocKind.ACTIVITY,
            "新配方试用" if zh else "New roast trial",
            stages=["repeat", "core_member"],
        ),
        _doc(
            "story-a",
            DocKind.STORY,
            "阿洁的换季故事" if zh else "Ann's first pour-over",
            consent=True,
        ),
        _doc("story-b", DocKind.STORY, "文文的故事" if zh else "Wen's story", consent=True),
        _doc(
            "story-secret",
            DocKind.STORY,
            "未授权的故事" if zh else "No consent story",
            consent=False,
        ),
        _doc("faq-sensitive", DocKind.FAQ, "敏感肌问答" if zh else "Grind size Q&A"),
        _doc("faq-season", DocKind.FAQ, "换季问答" if zh else "Storage Q&A"),
        _doc(
            "guide-serum",
            DocKind.USAGE_GUIDE,
            "修护精华用法" if zh else "Beans guide",
            product="serum",
            usage_days=30,
        ),
    ]
    return BrandPack(root=Path("."), brand=brand, docs=docs, customers=customers or [])


def customer(
    cid: str,
    *,
    stage: str = "getting_to_know",
    bought: list[str] | None = None,
    product: str = "serum",
    birthday: str | None = None,
    contacts: list[tuple[str, str]] | None = None,
    opted_out: bool = False,
    channel: Channel = Channel.WECHAT,
    tags: dict[str, str] | None = None,
    name: str = "小林",
) -> Customer:
    return Customer(
        id=cid,
        name=name,
        stage=stage,
        purchases=[Purchase(product=product, date=dt.date.fromisoformat(d)) for d in bought or []],
        birthday=dt.date.fromisoformat(birthday) if birthday else None,
        channel=channel,
        opted_out=opted_out,
        tags=tags or {},
        last_contacts=[
            Contact(date=dt.date.fromisoformat(d), channel=Channel.WECHAT, purpose=p)
            for d, p in contacts or []
        ],
    )


@pytest.fixture
def drafter() -> FakeDrafter:
    return FakeDrafter()


@pytest.fixture
def make_service(settings: Settings, drafter: FakeDrafter) -> Callable[[BrandPack], BatchService]:
    """A batch service over a drafting service with the pack in memory, its customers in the
    customer store (as an ingest puts them there) and the fake drafter."""
    _, sessions = open_database(settings)

    def build(pack: BrandPack) -> BatchService:
        drafting = DraftingService(
            settings, sessions=sessions, knowledge=FakeKnowledge([pack]), drafter=drafter
        )
        drafting.customers.import_many(
            pack.brand.id, pack.customers, brand=pack.brand, source="pack"
        )
        return BatchService(drafting)

    return build


def approve_all(service: BatchService, batch_id: str) -> None:
    """An editor approves every drafted item of the batch (export takes approved drafts)."""
    for item in service.repo.items(batch_id, ["done"]):
        assert item.draft_id
        service.drafting.decide(
            service.drafting.pack(item.spec["request"]["brand"]).brand.id,
            item.draft_id,
            approve=True,
            reviewer="editor",
            override_reason="approved in a test",
        )
