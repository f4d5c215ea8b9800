"""injection.unknown_contact: a link, phone number, WeChat id, e-mail address or promo code
in a draft must come from the brand's knowledge or its allow-list (issue "trust gates")."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals import CheckContext, Severity, Verdict, check
from evals.checks.injection import contact_key
from knowledge.loader import load_pack
from tests.evals.conftest import make_brand, rules, run, spans

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RULE = "injection.unknown_contact"


def severities(text: str, **kw: object) -> list[str]:
    return [f.severity.value for f in run(text, **kw).findings if f.rule == RULE]  # type: ignore[arg-type]


def test_every_kind_of_contact_in_chinese() -> None:
    text = (
        "小林你好，有问题加V：qs_helper88，或打 13912345678，也可以访问 x.cn/q8 ，优惠码 QS2026。"
    )
    report = run(text, kind="care_message")
    assert spans(report, text, RULE) == [
        "加V：qs_helper88",
        "13912345678",
        "x.cn/q8",
        "优惠码 QS2026",
    ]
    assert {f.severity for f in report.findings if f.rule == RULE} == {Severity.ERROR}
    assert report.verdict == Verdict.BLOCK


def test_every_kind_of_contact_in_english() -> None:
    text = (
        "Hi Emma, text our coach at (555) 123-4567, email coach.mike@gmail.com, "
        "see https://bit.ly/3xYz or use code SAVE20. WeChat ID: maya_runs_88."
    )
    report = run(text, lang="en", kind="aftersale_email", channel="email")
    assert spans(report, text, RULE) == [
        "(555) 123-4567",
        "coach.mike@gmail.com",
        "https://bit.ly/3xYz",
        "use code SAVE20",
        "WeChat ID: maya_runs_88",
    ]


def test_error_in_care_and_email_warn_elsewhere() -> None:
    text = "本周活动报名：x.cn/q8"
    assert severities(text, kind="care_message") == ["error"]
    assert severities(text, kind="aftersale_email") == ["error"]
    assert severities(text, channel="email") == ["error"]
    assert severities(text, kind="community_post", channel="community") == ["warn"]
    assert severities(text) == ["warn"]


def test_contacts_in_the_brands_knowledge_pass() -> None:
    source = (
        "换季小课堂回放：https://qingshui.example.cn/class ；"
        "客服电话 400-820-1234；微信号 qingshui_care"
    )
    text = (
        "小林，回放在 qingshui.example.cn/class?from=wx ，有问题打 4008201234，"
        "或加微信号 qingshui_care。"
    )
    assert RULE not in rules(run(text, kind="care_message", sources=[source]))
    # the brand's host is known; a shortener is not, even when the knowledge uses one
    assert RULE not in rules(
        run("看这里：https://qingshui.example.cn/new", kind="care_message", sources=[source])
    )
    short = "短链：t.cn/abc"
    assert RULE in rules(run("看这里 t.cn/xyz", kind="care_message", sources=[short]))


def test_allow_list_in_the_brand_pack() -> None:
    brand = make_brand(
        "zh", compliance={"allowed_contacts": ["qingshui.example.cn", "400-820-1234", "QS2026"]}
    )
    text = "小林，详情见 https://qingshui.example.cn/faq ，电话 400 820 1234，优惠码 QS2026。"
    assert RULE not in rules(run(text, kind="care_message", brand=brand))
    other = "小林，详情见 https://evil.example.com/faq"
    assert RULE in rules(run(other, kind="care_message", brand=brand))
    assert make_brand("zh").compliance.allowed_contacts == []


def test_the_brands_own_lines_are_known() -> None:
    brand = make_brand(
        "zh", email={"sender": "阿青 <care@qingshui.example.cn>", "unsubscribe": "回复“退订”即可。"}
    )
    text = "小林你好：\n精华用得怎么样？\n阿青 <care@qingshui.example.cn>\n回复“退订”即可。"
    assert RULE not in rules(run(text, kind="aftersale_email", channel="email", brand=brand))


@pytest.mark.parametrize(
    "text",
    [
        "小林，精华每次 0.5 ml，2026-11-20 到货，订单号 20261120123456。",
        "回复TD退订",
        "Hi Sam, the guide.md says 20–30 minutes; e.g. a 5K. Version 1.2.3.",
        "Hi Sam, our WeChat group account is busy today.",
        "晚上加一层面霜，穿V领毛衣时脖子也抹一点。",
    ],
)
def test_ordinary_text_holds_no_contact(text: str) -> None:
    lang = "en" if text.isascii() else "zh"
    assert RULE not in rules(run(text, lang=lang, kind="care_message"))


def test_contact_keys() -> None:
    assert (
        contact_key("url", "HTTPS://www.Qingshui.example.cn/class/") == "qingshui.example.cn/class"
    )
    assert contact_key("phone", "+86 139-1234-5678") == "13912345678"
    assert contact_key("email", "Care@X.io.") == "care@x.io"


def test_example_packs_as_drafts_name_only_their_own_contacts() -> None:
    """Every knowledge document of every example pack, checked as a draft against its own
    pack: no phantom reference, no unknown contact (the brand's own URLs are known)."""
    checked = 0
    for root in sorted(p for p in EXAMPLES.iterdir() if (p / "brand.yaml").exists()):
        pack = load_pack(root)
        bodies = [d.body for d in pack.docs]
        for doc in pack.docs:
            for kind in ("care_message", "community_post"):
                ctx = CheckContext(
                    text=doc.body,
                    lang=pack.brand.language,
                    brand=pack.brand,
                    sources=bodies,
                    kind=kind,
                )
                got = {f.rule for f in check(ctx).findings}
                assert not {RULE, "truth.phantom_reference"} & got, (root.name, doc.id, got)
                checked += 1
    assert checked >= 90


def test_a_pack_that_links_and_lists_its_contacts_passes_as_its_own_draft() -> None:
    doc = (
        "退换货：收到 7 天内可退，联系微信号 qingshui_care 或拨打 400-820-1234，"
        "也可以发邮件到 care@qingshui.example.cn。流程见 https://qingshui.example.cn/returns ，"
        "短链 t.cn/QsRt 也可以。"
    )
    report = run(doc, kind="care_message", sources=[doc])
    assert RULE not in rules(report)
    assert "truth.phantom_reference" not in rules(report)


def test_the_kinds_own_word_on_personal_decides() -> None:
    text = "本周活动报名：x.cn/q8"
    assert severities(text, kind="tier_invitation", personal=True) == ["error"]
    assert severities(text, kind="care_message", personal=False) == ["warn"]
