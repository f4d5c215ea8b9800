"""The pack README shows first (brand.yaml, customers.csv with Chinese headers and labels)
loads as shown, with the starter pack's knowledge documents beside it."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from knowledge.loader import read_pack

README = Path(__file__).resolve().parents[2] / "README.md"


def _block(section: str, lang: str) -> str:
    match = re.search(rf"```{lang}\n(.*?)```", section, re.DOTALL)
    assert match, lang
    return match.group(1)


def test_zh_readme_pack_loads_as_shown(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Your brand, the way you already keep it", 1)[1].split("\n## ", 1)[0]
    root = tmp_path / "my-shop"
    starter = resources.files("knowledge").joinpath("starter_packs", "zh", "knowledge")
    (root / "knowledge").mkdir(parents=True)
    for doc in starter.iterdir():
        (root / "knowledge" / doc.name).write_bytes(doc.read_bytes())
    (root / "knowledge" / "story-lili.md").unlink()  # its customer is not in the README's list
    (root / "brand.yaml").write_text(_block(section, "yaml"), encoding="utf-8")
    (root / "customers.csv").write_text(_block(section, "csv"), encoding="utf-8")
    reading = read_pack(root)
    assert reading.pack is not None, reading.problems
    assert reading.warnings == []
    brand = reading.pack.brand
    assert brand.persona.signature == "—— 小满 · 小满手工皂"
    assert len(brand.beliefs) == 2 and all(b.id.startswith("b-") for b in brand.beliefs)
    (c001,) = reading.pack.customers
    assert (c001.name, c001.stage, c001.channel) == ("王小雨", "first_contact", "wechat")
    assert c001.tags == {"宝宝8个月": "宝宝8个月", "二胎": "二胎", "skin": "干皮"}
