"""Packs as operators write them: plain-sentence beliefs, no signature, WeCom-style label
tags, customer columns in any order (or in Chinese), unknown columns kept with a warning,
and customer lists exported as .xlsx. Chinese first, English second."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml

from cli.main import run
from core.errors import PackError
from core.settings import Settings
from generator.planner import plan
from knowledge.customer_files import parse_tags
from knowledge.loader import load_pack, read_pack
from knowledge.pack import belief_id
from knowledge.service import KnowledgeBase
from tests.knowledge.helpers import FIXTURES


def _copy(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copytree(FIXTURES / name, dest)
    return dest


def _edit_brand(root: Path, **changes: object) -> None:
    path = root / "brand.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _problems(root: Path) -> list[tuple[str, str, str, str]]:
    with pytest.raises(PackError) as info:
        load_pack(root)
    return [(p.file, p.location, p.message, p.hint) for p in info.value.problems]


# --- beliefs as plain sentences -----------------------------------------------------------------

ZH_BELIEFS = [
    "我们只卖自己每天都会喝的茶，宁可少一点，也要干净。",
    "一杯茶的时间，是留给自己的慢时光。",
]


def test_zh_plain_string_beliefs_get_stable_ids(tmp_path: Path) -> None:
    root = _copy(tmp_path, "cha")
    _edit_brand(root, beliefs=ZH_BELIEFS)
    first = load_pack(root).brand.beliefs
    assert [b.text for b in first] == ZH_BELIEFS
    assert all(b.id.startswith("b-") and len(b.id) == 10 for b in first)
    # Re-ingest, reorder, add one, re-indent: every sentence keeps its id.
    _edit_brand(
        root,
        beliefs=["  " + ZH_BELIEFS[1] + " ", "慢慢来，比较快，我们愿意陪你慢慢喝。", ZH_BELIEFS[0]],
    )
    again = {b.text: b.id for b in load_pack(root).brand.beliefs}
    assert again[ZH_BELIEFS[0]] == first[0].id
    assert again[ZH_BELIEFS[1]] == first[1].id
    assert len(set(again.values())) == 3


def test_zh_beliefs_mixed_with_ids_and_without(tmp_path: Path) -> None:
    root = _copy(tmp_path, "cha")
    _edit_brand(
        root,
        beliefs=[
            {"id": "clean-tea", "text": ZH_BELIEFS[0], "topic": "品质"},
            {"text": ZH_BELIEFS[1], "topic": "生活"},
            "你觉得不好喝的地方，请直接告诉我们。",
        ],
    )
    beliefs = load_pack(root).brand.beliefs
    assert beliefs[0].id == "clean-tea"
    assert (beliefs[1].id, beliefs[1].topic) == (belief_id(ZH_BELIEFS[1]), "生活")
    assert beliefs[2].id == belief_id("你觉得不好喝的地方，请直接告诉我们。")


def test_zh_the_same_sentence_twice_is_a_problem(tmp_path: Path) -> None:
    root = _copy(tmp_path, "cha")
    _edit_brand(root, beliefs=[ZH_BELIEFS[0], ZH_BELIEFS[0]])
    problems = _problems(root)
    assert any(f == "brand.yaml" and "used twice" in m for f, _, m, _ in problems), problems


def test_en_plain_string_beliefs_and_whitespace(tmp_path: Path) -> None:
    root = _copy(tmp_path, "trail")
    text = "We make one kettle and make it last ten years."
    _edit_brand(root, beliefs=[text])
    (belief,) = load_pack(root).brand.beliefs
    assert belief.text == text
    assert belief.id == belief_id("We make one kettle   and make it last ten years.  ")
    assert belief.id != belief_id("We make two kettles and make them last ten years.")


# --- a derived signature ------------------------------------------------------------------------


def test_zh_missing_signature_is_derived(tmp_path: Path) -> None:
    root = _copy(tmp_path, "cha")
    _edit_brand(root, persona={"name": "小叶", "voice": "温和、具体，像朋友一样聊天。"})
    assert load_pack(root).brand.persona.signature == "—— 小叶 · 一叶茶舍"


def test_en_missing_signature_is_derived_and_given_one_is_kept(tmp_path: Path) -> None:
    root = _copy(tmp_path, "trail")
    assert load_pack(root).brand.persona.signature == "— Sam at Trail Kettle"
    _edit_brand(root, persona={"name": "Sam", "voice": "Plain and friendly.", "signature": ""})
    assert load_pack(root).brand.persona.signature == "Sam at Trail Kettle"


# --- tags as WeCom labels -----------------------------------------------------------------------


def test_zh_label_tags_and_key_value_mixed(tmp_path: Path) -> None:
    assert parse_tags("宝宝8个月;二胎；skin=油皮;城市＝杭州") == {
        "宝宝8个月": "宝宝8个月",
        "二胎": "二胎",
        "skin": "油皮",
        "城市": "杭州",
    }
    root = _copy(tmp_path, "cha")
    (root / "customers.csv").write_text(
        "id,name,stage,tags\nc001,小林,相恋,宝宝8个月;二胎;taste=清淡\n", encoding="utf-8"
    )
    pack = load_pack(root)
    lin = pack.customer("c001")
    assert lin.tags == {"宝宝8个月": "宝宝8个月", "二胎": "二胎", "taste": "清淡"}
    # The planner's customer facts (unchanged code) carry the labels into the prompt.
    facts = plan(pack.brand, lin, "care_message", "birthday", as_of=dt.date(2026, 12, 1)).facts
    assert facts["宝宝8个月"] == "宝宝8个月" and facts["二胎"] == "二胎"


def test_en_label_tags_and_a_nameless_key(tmp_path: Path) -> None:
    root = _copy(tmp_path, "trail")
    (root / "customers.csv").write_text(
        "id,name,stage,tags\nt01,Ana,repeat,new runner;knee=old injury\nt02,Ben,repeat,=oops\n",
        encoding="utf-8",
    )
    problems = _problems(root)
    assert [(f, loc) for f, loc, _, _ in problems] == [("customers.csv", "line 3, tags")]
    (root / "customers.csv").write_text(
        "id,name,stage,tags\nt01,Ana,repeat,new runner;knee=old injury\n", encoding="utf-8"
    )
    assert load_pack(root).customer("t01").tags == {
        "new runner": "new runner",
        "knee": "old injury",
    }


# --- customer columns as exported ---------------------------------------------------------------


def test_zh_chinese_headers_in_any_order_and_optional_columns(tmp_path: Path) -> None:
    root = _copy(tmp_path, "cha")
    (root / "customers.csv").write_text(
        "标签,阶段,姓名,客户编号,渠道,已退订,购买记录\n"
        "宝宝8个月,相恋,小林,c001,微信,否,white-peony@2026-01-10\n"
        ",初识,阿杰,c002,短信,是,ripe-puerh@2026/11/1\n",
        encoding="utf-8",
    )
    reading = read_pack(root)
    assert reading.valid and reading.pack is not None, reading.problems
    assert reading.warnings == []
    lin, jie = reading.pack.customers
    assert (lin.id, lin.name, lin.stage, lin.channel, lin.opted_out) == (
        "c001",
        "小林",
        "repeat",
        "wechat",
        False,
    )
    assert (jie.channel, jie.opted_out, jie.purchases[0].date) == (
        "sms",
        True,
        dt.date(2026, 11, 1),
    )
    assert jie.last_contacts == [] and jie.birthday is None


def test_zh_unknown_column_is_a_warning_kept_as_a_tag(tmp_path: Path) -> None:
    root = _copy(tmp_path, "cha")
    (root / "customers.csv").write_text(
        "id,name,stage,城市,客户生日\nc001,小林,相恋,杭州,1994-05-20\n", encoding="utf-8"
    )
    reading = read_pack(root)
    assert reading.pack is not None
    assert reading.pack.customer("c001").tags == {"城市": "杭州", "客户生日": "1994-05-20"}
    by_column = {w.location: w for w in reading.warnings}
    assert set(by_column) == {"line 1, 城市", "line 1, 客户生日"}
    assert "kept as a customer tag" in by_column["line 1, 城市"].message
    assert "did you mean birthday?" in by_column["line 1, 客户生日"].hint


def test_en_unknown_column_suggests_the_close_match(tmp_path: Path) -> None:
    root = _copy(tmp_path, "trail")
    (root / "customers.csv").write_text(
        "Name,ID,preferred_channel,Stage,Purchases,tagz\n"
        "Ana,t01,email,repeat,camp-kettle@2025-11-02,level=expert\n",
        encoding="utf-8",
    )
    reading = read_pack(root)
    assert reading.pack is not None, reading.problems
    hints = {w.location: w.hint for w in reading.warnings}
    assert hints["line 1, preferred_channel"].startswith("did you mean channel?")
    assert hints["line 1, tagz"].startswith("did you mean tags?")
    ana = reading.pack.customer("t01")
    assert ana.tags == {"preferred_channel": "email", "tagz": "level=expert"}
    # The misspelt column did not set the channel: the brand's first channel (not wechat,
    # which this brand does not use) stands in.
    assert ana.channel == "email"


def test_en_missing_required_and_duplicate_columns(tmp_path: Path) -> None:
    root = _copy(tmp_path, "trail")
    (root / "customers.csv").write_text(
        "id,customer name,name,purchases\nt01,Ana,Ana,\n", encoding="utf-8"
    )
    problems = _problems(root)
    messages = [m for f, loc, m, _ in problems if f == "customers.csv"]
    assert any("appears twice" in m for m in messages), messages
    assert any("missing column(s): stage" in m for m in messages), messages


def test_en_unknown_columns_show_in_ingest_report_and_cli(
    tmp_path: Path,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = _copy(tmp_path, "trail")
    (root / "customers.csv").write_text(
        "stage,id,name,preferred_channel\nrepeat,t01,Ana,email\n", encoding="utf-8"
    )
    report = KnowledgeBase(settings).ingest(root)
    assert len(report.warnings) == 1 and "did you mean channel?" in report.warnings[0]
    monkeypatch.setenv("ZHENXIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ZHENXIN_EMBEDDER", "hash")
    assert run(["ingest", str(root)]) == 0
    captured = capsys.readouterr()
    assert "warning: customers.csv:line 1, preferred_channel" in captured.err
    assert run(["ingest", str(root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["warnings"] == report.warnings


def test_zh_invalid_pack_error_carries_the_warnings(tmp_path: Path) -> None:
    root = _copy(tmp_path, "cha")
    (root / "customers.csv").write_text("id,客户,stage\nc001,小林,相恋\n", encoding="utf-8")
    with pytest.raises(PackError) as info:
        load_pack(root)
    assert "missing column(s): name" in str(info.value)
    assert "warning: customers.csv:line 1, 客户" in str(info.value)
    assert info.value.to_dict()["warnings"]


# --- customers.xlsx -----------------------------------------------------------------------------


def _write_xlsx(path: Path, rows: list[list[object]], extra_sheet: bool = False) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        book.create_sheet("说明").append(["这张表不用读"])
    book.save(path)


def test_zh_xlsx_instead_of_csv_with_date_and_number_cells(tmp_path: Path) -> None:
    root = _copy(tmp_path, "cha")
    (root / "customers.csv").unlink()
    _write_xlsx(
        root / "customers.xlsx",
        [
            ["客户编号", "姓名", "阶段", "生日", "标签", "购买记录", "渠道"],
            [
                "c001",
                "小林",
                "相恋",
                dt.datetime(1994, 5, 20),
                "宝宝8个月;二胎",
                "white-peony@2026-01-10",
                "微信",
            ],
            [],
            [1002, "阿杰", "初识", None, None, "ripe-puerh@2026-11-01", "短信"],
        ],
        extra_sheet=True,
    )
    reading = read_pack(root)
    assert reading.pack is not None, reading.problems
    lin = reading.pack.customer("c001")
    assert (lin.name, lin.stage, lin.birthday) == ("小林", "repeat", dt.date(1994, 5, 20))
    assert lin.tags == {"宝宝8个月": "宝宝8个月", "二胎": "二胎"}
    assert reading.pack.customer("1002").channel == "sms"  # a number cell, read as text
    assert [w.file for w in reading.warnings] == ["customers.xlsx"]
    assert "only the first sheet" in reading.warnings[0].message


def test_en_xlsx_problems_name_the_sheet_row(tmp_path: Path) -> None:
    root = _copy(tmp_path, "trail")
    _write_xlsx(
        root / "customers.xlsx",
        [
            ["id", "name", "stage", "birthday", "channel"],
            ["t02", "Ben", "repeat", "not a date", "email"],
            ["t01", "Ana again", "repeat", None, "email"],
        ],
    )
    problems = _problems(root)
    where = {(f, loc): m for f, loc, m, _ in problems}
    assert ("customers.xlsx", "row 2, birthday") in where
    # customers.csv (beside it) already has t01: the duplicate names the other file.
    assert (
        where[("customers.xlsx", "row 3, id")] == "customer id 't01' also on customers.csv line 2"
    )


def test_en_damaged_xlsx_and_old_xls(tmp_path: Path) -> None:
    root = _copy(tmp_path, "trail")
    (root / "customers.xls").write_bytes(b"\xd0\xcf\x11\xe0old excel")
    reading = read_pack(root)
    assert reading.valid
    assert [w.file for w in reading.warnings] == ["customers.xls"]
    (root / "customers.xlsx").write_bytes(b"not a zip")
    problems = _problems(root)
    assert problems[0][:2] == ("customers.xlsx", "")
    assert "cannot read the workbook" in problems[0][2]
