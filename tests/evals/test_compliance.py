from __future__ import annotations

from evals import Severity, Verdict
from evals.checks.compliance import ComplianceCheck
from evals.types import CheckContext
from tests.evals.conftest import make_brand, rules, run, spans


def test_absolute_terms_chinese_with_offsets() -> None:
    text = "这是国家级配方，全网第一，最有效的精华，100%纯天然。"
    report = run(text)
    assert spans(report, text, "compliance.absolute") == ["国家级", "全网第一", "最有效", "100%"]
    assert report.verdict == Verdict.BLOCK
    f = next(f for f in report.findings if f.rule == "compliance.absolute")
    assert "广告法" in f.message and "allowed_claims" in f.suggestion


def test_ordinary_words_with_zui_and_diyi_are_not_claims() -> None:
    text = "最近天气干，第一步先洁面，第一次用可以少一点，最后抹面霜，最好晚上用。"
    assert "compliance.absolute" not in rules(run(text))


def test_absolute_terms_english() -> None:
    text = "The #1 serum, the best product on the market, 100% guaranteed. All the best, Maya"
    found = spans(run(text, lang="en"), text, "compliance.absolute")
    assert found == ["#1", "the best product", "100%", "guaranteed"]


def test_brand_allowed_claim_lets_a_provable_claim_pass() -> None:
    brand = make_brand("zh", compliance={"allowed_claims": ["2023年天猫敏感肌类目销量第一"]})
    text = "谢谢你，我们去年是2023年天猫敏感肌类目销量第一，但更在乎你用得好不好。"
    assert ComplianceCheck().run(CheckContext(text=text, brand=brand)) == []
    assert "compliance.absolute" in rules(ComplianceCheck().run(CheckContext(text=text)))
    brand_en = make_brand("en", compliance={"allowed_claims": ["#1 in Runner's Choice 2024"]})
    text = "Voted #1 in Runner's Choice 2024, but your comfort matters more."
    assert ComplianceCheck().run(CheckContext(text=text, lang="en", brand=brand_en)) == []


def test_medical_claims_both_languages() -> None:
    text = "这款精华能根治痘痘，还能消炎。"
    assert spans(run(text), text, "compliance.medical") == ["根治", "消炎"]
    text = "This cream cures acne and treats eczema."
    assert spans(run(text, lang="en"), text, "compliance.medical") == ["cures", "treats eczema"]


def test_medical_words_in_advice_to_see_a_doctor_are_fine() -> None:
    assert "compliance.medical" not in rules(run("如果红肿一直不退，请及时就医治疗。"))
    text = "If the pain persists, see a doctor for treatment of the injury."
    assert "compliance.medical" not in rules(run(text, lang="en"))
    assert "compliance.medical" not in rules(run("Treat yourself to a rest day.", lang="en"))


def test_efficacy_promises_are_warnings() -> None:
    text = "跟着练，一个月瘦10斤，永不反弹。"
    findings = [f for f in run(text).findings if f.rule == "compliance.efficacy"]
    assert [text[f.start : f.end] for f in findings] == ["一个月瘦10斤", "永不反弹"]
    assert {f.severity for f in findings} == {Severity.WARN}
    text = "Lose 10 pounds in a week, results guaranteed."
    assert "compliance.efficacy" in rules(run(text, lang="en"))


def test_injury_prevention_is_a_promise_to_prove_not_a_disease_claim() -> None:
    text = "Fit them well first: this will help prevent injury on longer runs."
    report = run(text, lang="en")
    assert spans(report, text, "compliance.efficacy") == ["prevent injury"]
    assert "compliance.medical" not in rules(report) and report.verdict != Verdict.BLOCK
    text = "这双跑鞋能预防运动损伤。"
    assert spans(run(text), text, "compliance.efficacy") == ["预防运动损伤"]
    advice = "加量慢一点，给身体适应的时间，避免受伤。"
    assert "compliance.efficacy" not in rules(run(advice))


def test_brand_medical_words() -> None:
    brand = make_brand("zh", lexicon={"medical": ["修复激素脸"]})
    text = "可以修复激素脸"
    found = ComplianceCheck().run(CheckContext(text=text, brand=brand))
    assert [text[f.start : f.end] for f in found] == ["修复激素脸"]
