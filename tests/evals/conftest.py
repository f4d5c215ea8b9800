"""Small factories for the eval tests: a Chinese and an English brand, customers, spans."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from evals import CheckContext, CheckReport, Finding, check
from knowledge.pack import Brand, Contact, Customer


def make_brand(lang: str = "zh", **overrides: Any) -> Brand:
    data: dict[str, Any] = {
        "id": "qingshui" if lang == "zh" else "stride",
        "name": "青水肌研" if lang == "zh" else "Stride",
        "language": lang,
        "persona": {
            "name": "阿青" if lang == "zh" else "Maya",
            "voice": "慢慢讲道理" if lang == "zh" else "calm coach",
            "signature": "—— 阿青" if lang == "zh" else "Maya at Stride",
        },
        "beliefs": [
            {
                "id": "heal",
                "text": "皮肤本来就会自己修复，我们能做的，是少打扰它，再给它一点时间。"
                if lang == "zh"
                else "Consistency beats intensity: the runs you can repeat are the ones "
                "that change you.",
            }
        ],
        "channels": ["wechat", "sms", "email", "community"],
        "sms": {
            "signature": "【青水肌研】" if lang == "zh" else "Stride:",
            "opt_out": "回复TD退订" if lang == "zh" else "Reply STOP to opt out",
        },
        "email": {
            "sender": "阿青 <care@example.com>" if lang == "zh" else "Maya <m@x.io>",
            "unsubscribe": "不想再收到邮件，回复“退订”即可。"
            if lang == "zh"
            else "Reply unsubscribe to stop these emails.",
        },
    }
    data.update(overrides)
    return Brand.model_validate(data)


def make_customer(**overrides: Any) -> Customer:
    data: dict[str, Any] = {"id": "c1", "name": "林小雨", "stage": "getting_to_know"}
    data.update(overrides)
    return Customer.model_validate(data)


def contacts(*items: tuple[str, str, str]) -> list[Contact]:
    return [
        Contact(date=dt.date.fromisoformat(d), channel=c, purpose=p)  # type: ignore[arg-type]
        for d, c, p in items
    ]


def spans(report: CheckReport | list[Finding], text: str, rule: str) -> list[str]:
    """The text each finding of ``rule`` points at."""
    findings = report.findings if isinstance(report, CheckReport) else report
    return [text[f.start : f.end] for f in findings if f.rule == rule]


def rules(report: CheckReport | list[Finding]) -> set[str]:
    findings = report.findings if isinstance(report, CheckReport) else report
    return {f.rule for f in findings}


def run(text: str, **kw: Any) -> CheckReport:
    return check(CheckContext(text=text, **kw))


@pytest.fixture
def brand_zh() -> Brand:
    return make_brand("zh")


@pytest.fixture
def brand_en() -> Brand:
    return make_brand("en")
