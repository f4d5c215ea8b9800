from __future__ import annotations

from evals import Severity, Verdict
from tests.evals.conftest import make_brand, rules, run, spans


def test_sms_needs_signature_and_opt_out_zh() -> None:
    ok = "【青水肌研】小周，精华快用完了吧？用完再决定要不要续。回复TD退订"
    assert run(ok, channel="sms").verdict == Verdict.PASS
    bad = "小周，精华快用完了吧？"
    report = run(bad, channel="sms")
    assert {"channel.sms_signature", "channel.sms_opt_out"} <= rules(report)
    assert spans(report, bad, "channel.sms_signature") == ["小"]
    assert spans(report, bad, "channel.sms_opt_out") == ["？"]
    assert report.verdict == Verdict.BLOCK


def test_sms_other_opt_out_phrasings() -> None:
    for tail in ("拒收请回复R", "退订回T", "回T退订"):
        assert "channel.sms_opt_out" not in rules(run(f"【善食】小杨，加油。{tail}", channel="sms"))


def test_sms_english_prefix_signature_and_stop() -> None:
    ok = "Stride: Hi Alex, race day on Sunday. Start slower than you want to. Reply STOP to opt out"
    assert run(ok, lang="en", channel="sms").verdict == Verdict.PASS
    bad = "Hi Alex, race day on Sunday."
    found = rules(run(bad, lang="en", channel="sms"))
    assert {"channel.sms_signature", "channel.sms_opt_out"} <= found


def test_sms_length_counts_characters_not_bytes() -> None:
    body = "【青水肌研】" + "皮" * 70 + "回复TD退订"
    report = run(body, channel="sms")
    f = next(f for f in report.findings if f.rule == "channel.sms_length")
    assert f.start == 70 and f.end == len(body)
    assert "拆成 2 条" in f.message
    en = "Stride: " + "a" * 140 + " Reply STOP to opt out"  # 7-bit text: 160 per segment
    assert "channel.sms_length" in rules(run(en, lang="en", channel="sms"))
    assert "channel.sms_length" not in rules(run(en[:150], lang="en", channel="sms"))


def test_sms_brand_rules_are_used(brand_zh) -> None:
    text = "【别的牌子】小周你好。回复TD退订"
    report = run(text, channel="sms", brand=brand_zh)
    f = next(f for f in report.findings if f.rule == "channel.sms_signature")
    assert "【青水肌研】" in f.message


def test_email_unsubscribe_and_sender(brand_zh, brand_en) -> None:
    text = "主题：精华怎么用\n\n小林你好：早晚各两滴。\n——阿青\n不想再收到邮件，回复“退订”即可。"
    assert not rules(run(text, channel="email", brand=brand_zh)) & {
        "channel.email_unsubscribe",
        "channel.email_sender",
    }
    bare = "主题：精华怎么用\n\n小林你好：早晚各两滴。"
    report = run(bare, channel="email", brand=brand_zh)
    assert {"channel.email_unsubscribe", "channel.email_sender"} <= rules(report)
    f = next(f for f in report.findings if f.rule == "channel.email_sender")
    assert f.severity == Severity.WARN and "阿青" in f.message
    en = "Subject: Your plan\n\nHi Jordan, keep it easy this week."
    found = rules(run(en, lang="en", channel="email", brand=brand_en))
    assert {"channel.email_unsubscribe", "channel.email_sender"} <= found
    en_ok = en + "\nMaya at Stride\nReply unsubscribe to stop these emails."
    assert not {"channel.email_unsubscribe", "channel.email_sender"} & rules(
        run(en_ok, lang="en", channel="email", brand=brand_en)
    )


def test_community_post_with_story_and_link_needs_ad_label() -> None:
    text = "我以前皮肤很干，后来坚持用了三个月。购买链接：https://shop.example.com/x"
    report = run(text, channel="community")
    assert spans(report, text, "channel.ad_label") == ["购买链接"]
    assert report.verdict == Verdict.BLOCK
    assert "channel.ad_label" not in rules(run("广告｜" + text, channel="community"))
    story_only = "我以前皮肤很干，后来坚持用了三个月。"
    assert "channel.ad_label" not in rules(run(story_only, channel="community"))
    en = "When I started I could not run a mile. Now I run 10K. Buy it here: https://x.io/shoe"
    assert "channel.ad_label" in rules(run(en, lang="en", channel="community"))
    assert "channel.ad_label" not in rules(run("#ad " + en, lang="en", channel="community"))


def test_wechat_length() -> None:
    text = "小林，" + "记得早晚用精华。" * 25
    report = run(text, channel="wechat", kind="care_message")
    f = next(f for f in report.findings if f.rule == "channel.wechat_length")
    assert f.start == 150 and f.severity == Severity.WARN
    assert "channel.wechat_length" not in rules(run("小林，记得早晚用精华。", channel="wechat"))


def test_no_channel_no_channel_rules() -> None:
    assert not any(r.startswith("channel.") for r in rules(run("小周你好")))


def test_brand_with_english_signature_is_found() -> None:
    brand = make_brand("en")
    text = "Stride: Hi Alex, easy run today. Reply STOP to opt out"
    assert run(text, lang="en", channel="sms", brand=brand).verdict == Verdict.PASS
