"""Brand pack validation: every problem at once, with file, location and hint; never half."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.errors import PackError
from knowledge.loader import load_pack

FIXTURES = Path(__file__).parent / "fixtures"


def _copy(tmp_path: Path, name: str = "cha") -> Path:
    dest = tmp_path / name
    shutil.copytree(FIXTURES / name, dest)
    return dest


def _problems(root: Path) -> list[tuple[str, str, str, str]]:
    with pytest.raises(PackError) as info:
        load_pack(root)
    return [(p.file, p.location, p.message, p.hint) for p in info.value.problems]


def test_loads_chinese_pack_with_aliases() -> None:
    pack = load_pack(FIXTURES / "cha")
    assert pack.brand.id == "cha"
    assert {d.id for d in pack.docs} == {
        "white-tea-guide",
        "pu-erh-guide",
        "values",
        "returns",
        "story-lin",
        "tea-party",
    }
    # 初识/相知 in front matter and 相恋 in the CSV become stage ids.
    assert pack.doc("white-tea-guide").stages == ["first_contact", "getting_to_know"]
    lin = pack.customer("c001")
    assert lin.stage == "repeat"
    assert [p.product for p in lin.purchases] == ["white-peony", "white-peony"]
    assert lin.tags == {"job": "程序员", "taste": "清淡"}
    assert str(lin.birthday) == "1994-05-20"
    assert pack.customer("c003").opted_out is True
    assert pack.customer("c003").last_contacts[0].purpose == "notice"
    assert pack.doc("story-lin").path == "knowledge/story-lin.md"


def test_loads_english_pack() -> None:
    pack = load_pack(FIXTURES / "trail")
    assert pack.brand.language == "en"
    assert pack.usage_guide("camp-kettle") is not None
    assert pack.customer("t01").channel == "email"


def test_missing_path_and_file_instead_of_folder(tmp_path: Path) -> None:
    assert _problems(tmp_path / "nope")[0][2] == "no such folder"
    f = tmp_path / "brand.yaml"
    f.write_text("id: x\n", encoding="utf-8")
    assert _problems(f)[0][2] == "not a folder"


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    brand = (root / "brand.yaml").read_text(encoding="utf-8")
    brand = brand.replace("text: 一杯茶的时间，是留给自己的慢时光。", "text: 慢")
    (root / "brand.yaml").write_text(brand, encoding="utf-8")
    (root / "knowledge" / "faq.md").write_text(
        "---\nkind: recipe\ntitle: 问答\n---\n正文\n", encoding="utf-8"
    )
    (root / "knowledge" / "dup.md").write_text(
        "---\nid: values\nkind: faq\ntitle: Duplicate\n---\nSome text.\n", encoding="utf-8"
    )
    (root / "knowledge" / "broken.md").write_text(
        "---\nkind: faq\ntitle: a: b\n---\nBody\n", encoding="utf-8"
    )
    csv = (root / "customers.csv").read_text(encoding="utf-8")
    csv += "c004,小周,熟客,matcha@2026-01-01,,1990-13-01,wechat,maybe,\n"
    (root / "customers.csv").write_text(csv, encoding="utf-8")

    problems = _problems(root)
    where = {(f, loc) for f, loc, _, _ in problems}
    assert ("brand.yaml", "beliefs.1.text") in where
    assert ("knowledge/faq.md", "kind") in where
    dup = [msg for f, loc, msg, _ in problems if loc == "id" and "also used by" in msg]
    assert dup == ["doc id 'values' is also used by knowledge/dup.md"]
    assert ("knowledge/broken.md", "line 3") in where  # the YAML error is on file line 3
    assert ("customers.csv", "line 5, birthday") in where
    assert ("customers.csv", "line 5, opted_out") in where
    assert all(hint for _, _, _, hint in problems), problems
    assert len(problems) >= 6


def test_cross_checks_stage_product_story_customer(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    csv = (root / "customers.csv").read_text(encoding="utf-8")
    csv += "c004,小周,熟客,matcha@2026-01-01,,,wechat,false,\n"
    (root / "customers.csv").write_text(csv, encoding="utf-8")
    story = root / "knowledge" / "story-lin.md"
    story.write_text(
        story.read_text(encoding="utf-8").replace("customer: c001", "customer: c999"),
        encoding="utf-8",
    )
    problems = _problems(root)
    messages = {(f, loc): msg for f, loc, msg, _ in problems}
    assert "unknown stage '熟客'" in messages[("customers.csv", "line 5, stage")]
    assert "'matcha' has no usage guide" in messages[("customers.csv", "line 5, purchases")]
    assert "c999" in messages[("knowledge/story-lin.md", "customer")]


def test_english_pack_errors(tmp_path: Path) -> None:
    root = _copy(tmp_path, "trail")
    (root / "brand.yaml").write_text(
        (root / "brand.yaml").read_text(encoding="utf-8").replace("language: en", "language: fr"),
        encoding="utf-8",
    )
    # Optional columns may be left out; a required one (stage) may not.
    (root / "customers.csv").write_text("id,name,purchases\nt01,Ana,\n", encoding="utf-8")
    problems = _problems(root)
    where = {(f, loc) for f, loc, _, _ in problems}
    assert ("brand.yaml", "language") in where
    assert ("customers.csv", "line 1") in where


def test_brand_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    root = _copy(tmp_path, "trail")
    (root / "brand.yaml").write_text("id: trail\nname: [oops\nlanguage: en\n", encoding="utf-8")
    problems = _problems(root)
    assert problems[0][0] == "brand.yaml"
    assert problems[0][1].startswith("line ")


def test_doc_without_valid_id_from_stem(tmp_path: Path) -> None:
    root = _copy(tmp_path, "trail")
    (root / "knowledge" / "常见问题.md").write_text(
        "---\nkind: faq\ntitle: FAQ\n---\nQ and A\n", encoding="utf-8"
    )
    problems = _problems(root)
    assert problems[0][:2] == ("knowledge/常见问题.md", "id")
    assert "id:" in problems[0][3]


def test_missing_brand_and_knowledge(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    problems = _problems(tmp_path / "empty")
    files = {f for f, _, _, _ in problems}
    assert files == {"brand.yaml", "knowledge/"}


def test_brand_level_rule_and_type_hints(tmp_path: Path) -> None:
    root = _copy(tmp_path, "trail")
    brand = (root / "brand.yaml").read_text(encoding="utf-8")
    brand = brand.replace("channels: [email, community]", "channels: [email, community, sms]")
    (root / "brand.yaml").write_text(brand, encoding="utf-8")
    (root / "knowledge" / "numbers.md").write_text(
        "---\nid: faq-1\nkind: faq\ntitle: 2024-01-01\nstages: first_contact, 相知\n---\nQ & A\n",
        encoding="utf-8",
    )
    problems = _problems(root)
    by_where = {(f, loc): (msg, hint) for f, loc, msg, hint in problems}
    msg, hint = by_where[("brand.yaml", "top level")]
    assert "'sms' section" in msg and hint
    msg, hint = by_where[("knowledge/numbers.md", "title")]
    assert "quote" in hint
    assert len(problems) == 2  # the comma-separated stages string was accepted


def test_stages_as_a_string_and_english_names(tmp_path: Path) -> None:
    root = _copy(tmp_path, "trail")
    (root / "knowledge" / "faq.md").write_text(
        "---\nkind: faq\ntitle: FAQ\nstages: First contact，相知\n---\nQ & A\n", encoding="utf-8"
    )
    pack = load_pack(root)
    assert pack.doc("faq").stages == ["first_contact", "getting_to_know"]


def test_excel_csv_with_bom_crlf_and_quoted_commas(tmp_path: Path) -> None:
    root = _copy(tmp_path, "trail")
    rows = [
        "id,name,stage,purchases,tags,birthday,channel,opted_out,last_contacts",
        't01,"Ana, the explorer",Repeat customer,camp-kettle@2025-11-02,level=expert,,EMAIL,TRUE,',
    ]
    (root / "customers.csv").write_bytes(("\r\n".join(rows) + "\r\n").encode("utf-8-sig"))
    ana = load_pack(root).customer("t01")
    assert (ana.name, ana.stage, ana.channel, ana.opted_out) == (
        "Ana, the explorer",
        "repeat",
        "email",
        True,
    )


def test_csv_problem_line_numbers_count_from_the_header(tmp_path: Path) -> None:
    root = _copy(tmp_path, "trail")
    rows = [
        "id,name,stage,purchases,tags,birthday,channel,opted_out,last_contacts",
        "t01,Ana,repeat,,,,email,false,",
        "",
        "t02,Ben,repeat,camp-kettle@yesterday,,,email,false,",
        "t03,Cat,repeat,,,,email,false,2026-01-01/fax/care",
    ]
    (root / "customers.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    problems = _problems(root)
    assert {(f, loc) for f, loc, _, _ in problems} == {
        ("customers.csv", "line 4, purchases"),
        ("customers.csv", "line 5, last_contacts.0.channel"),
    }


def test_traditional_chinese_pack_loads(tmp_path: Path) -> None:
    """A Hong Kong or Taiwan brand writes 繁體: ``language: zh-Hant`` is a brand language."""
    root = _copy(tmp_path, "cha")
    brand_yaml = root / "brand.yaml"
    text = brand_yaml.read_text(encoding="utf-8")
    assert "language: zh\n" in text
    brand_yaml.write_text(text.replace("language: zh\n", "language: zh-Hant\n"), "utf-8")
    pack = load_pack(root)
    assert pack.brand.language == "zh-Hant"


def test_base_language_reads_zh_hant_as_zh() -> None:
    from knowledge.languages import LANGUAGES, base_language

    assert LANGUAGES == ("zh", "zh-Hant", "en")
    assert [base_language(lang) for lang in LANGUAGES] == ["zh", "zh", "en"]
