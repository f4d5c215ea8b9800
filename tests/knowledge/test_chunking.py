"""Markdown-aware chunking: headings as context, sentence ends kept, stable ids and hashes."""

from __future__ import annotations

from knowledge.chunking import chunk_doc, sections, split_sentences, split_text, weight
from knowledge.pack import KnowledgeDoc


def _doc(body: str, **kw: object) -> KnowledgeDoc:
    fields: dict[str, object] = {
        "id": "guide",
        "kind": "usage_guide",
        "title": "指南",
        "product": "serum",
        "body": body,
    }
    fields.update(kw)
    return KnowledgeDoc.model_validate(fields)


def test_chinese_and_english_sentence_ends() -> None:
    text = "先洁面。再取两滴精华！会不会刺痛？“不会。”Use two drops. Wait 3.5 minutes! Done?"
    assert split_sentences(text) == [
        "先洁面。",
        "再取两滴精华！",
        "会不会刺痛？",
        "“不会。”",
        "Use two drops.",
        "Wait 3.5 minutes!",
        "Done?",
    ]


def test_heading_path_is_title_context() -> None:
    body = "# 指南\n\n开头。\n\n## 用法\n\n### 早上\n\n早上用两滴。\n\n### 晚上\n\n晚上用三滴。\n"
    chunks = chunk_doc("b", _doc(body))
    assert [(c.title, c.text) for c in chunks] == [
        ("指南", "开头。"),
        ("指南 > 用法 > 早上", "早上用两滴。"),
        ("指南 > 用法 > 晚上", "晚上用三滴。"),
    ]
    assert [c.id for c in chunks] == ["b:guide:0", "b:guide:1", "b:guide:2"]
    assert chunks[1].embed_text.startswith("指南 > 用法 > 早上\n")


def test_headings_in_code_fences_are_text() -> None:
    assert sections("## A\n```\n# not a heading\n```\n") == [(["A"], "```\n# not a heading\n```")]


def test_long_chinese_section_splits_on_sentence_ends_near_300_chars() -> None:
    sentence = "每天早晚各用一次，取两滴在掌心温热后轻按全脸。"  # 23 chars
    body = "## 用法\n\n" + sentence * 40  # ~920 chars, one paragraph
    chunks = chunk_doc("b", _doc(body))
    assert len(chunks) == 4
    for c in chunks:
        assert c.text.endswith("。")  # never cut inside a sentence
        assert len(c.text) <= 300
        assert c.text.count(sentence) * len(sentence) == len(c.text)
        assert c.title == "指南 > 用法"
    assert "".join(c.text for c in chunks) == sentence * 40


def test_long_english_section_splits_near_800_chars() -> None:
    sentence = "Rinse the kettle with warm water before the first boil on the stove. "
    text = (sentence * 30).strip()
    pieces = split_text(text)
    assert len(pieces) >= 2
    assert all(len(p) <= 800 and p.endswith(".") for p in pieces)
    assert " ".join(pieces) == text


def test_paragraphs_are_preferred_boundaries() -> None:
    para = "这一段讲保存方法，请密封避光。" * 12  # 180 chars
    pieces = split_text(f"{para}\n\n{para}\n\n{para}")
    assert pieces == [para, para, para]


def test_one_overlong_sentence_is_cut() -> None:
    text = "没有句号的长句" * 100
    pieces = split_text(text)
    assert len(pieces) == 3
    assert all(weight(p) <= 800 for p in pieces)
    assert "".join(pieces) == text


def test_hash_changes_with_text_and_metadata_only() -> None:
    a = chunk_doc("b", _doc("## 用法\n\n早上用两滴。"))[0]
    same = chunk_doc("b", _doc("## 用法\n\n早上用两滴。"))[0]
    text = chunk_doc("b", _doc("## 用法\n\n早上用三滴。"))[0]
    stage = chunk_doc("b", _doc("## 用法\n\n早上用两滴。", stages=["repeat"]))[0]
    assert a.hash == same.hash
    assert len({a.hash, text.hash, stage.hash}) == 3
