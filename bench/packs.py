"""Many small brand packs, the same every run, derived from the example packs (issue 15's
"many brands"): pack ``i`` copies ``brand.yaml`` of qingshui, shanshi or stride (in turn) with
its own id and name, and three of its documents — one usage guide (in turn), its values and a
policy — each cut to its first paragraphs and opened by a line that names the brand, its city
and its number. So every pack is valid, small (~4-8 chunks) and holds text no other pack
holds, while ingest and search cost what a real pack of that size costs.

    write_packs(Path("/tmp/packs"), 200)   # -> the 200 pack folders, in order
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import frontmatter

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SOURCES = ("qingshui", "shanshi", "stride")
CITIES_ZH = ("杭州", "成都", "苏州", "厦门", "青岛", "长沙", "昆明", "大连", "西安", "南京", "武汉")
CITIES_EN = ("Leeds", "Bristol", "Dublin", "Austin", "Boulder", "Porto", "Ghent", "Bergen")
POLICIES = {"qingshui": "policy-returns", "shanshi": "policy-refund", "stride": "policy-returns"}
BODY_CHARS = 240  # a document's body is cut after the paragraph that passes this length


@dataclass(frozen=True)
class PackSpec:
    index: int
    source: str  # the example pack it derives from
    brand_id: str
    name: str
    city: str
    docs: tuple[str, ...]  # doc ids (file stems) taken from the source


def spec(index: int) -> PackSpec:
    source = SOURCES[index % len(SOURCES)]
    english = source == "stride"
    cities = CITIES_EN if english else CITIES_ZH
    city = cities[(index // len(SOURCES)) % len(cities)]
    guides = sorted(p.stem for p in (EXAMPLES / source / "knowledge").glob("guide-*.md"))
    guide = guides[(index // len(SOURCES)) % len(guides)]
    base = _brand_name(source)
    name = f"{base} {city} #{index}" if english else f"{base}·{city}{index}号"
    return PackSpec(
        index=index,
        source=source,
        brand_id=f"{source}-{index:03d}",
        name=name,
        city=city,
        docs=(guide, "values", POLICIES[source]),
    )


def _brand_name(source: str) -> str:
    text = (EXAMPLES / source / "brand.yaml").read_text(encoding="utf-8")
    found = re.search(r"^name:\s*(.+)$", text, re.M)
    return found.group(1).strip() if found else source


def _cut(body: str, limit: int = BODY_CHARS) -> str:
    """The body's first paragraphs, up to the one that passes ``limit`` characters."""
    kept: list[str] = []
    for paragraph in re.split(r"\n\s*\n", body.strip()):
        kept.append(paragraph)
        if sum(len(p) for p in kept) >= limit:
            break
    return "\n\n".join(kept)


def write_pack(out: Path, s: PackSpec) -> Path:
    """Pack ``s`` as a folder under ``out``; returns the folder."""
    source = EXAMPLES / s.source
    folder = out / s.brand_id
    (folder / "knowledge").mkdir(parents=True, exist_ok=True)
    brand = (source / "brand.yaml").read_text(encoding="utf-8")
    brand = re.sub(r"^id:.*$", f"id: {s.brand_id}", brand, count=1, flags=re.M)
    brand = re.sub(r"^name:.*$", f"name: {s.name}", brand, count=1, flags=re.M)
    # a pack holds one of the source's guides: products named by its tiers or beliefs may be
    # among those it lacks (the loader refuses a tier's product without a guide)
    brand = re.sub(r"^\s+products:.*\n", "", brand, flags=re.M)
    (folder / "brand.yaml").write_text(brand, encoding="utf-8")
    english = s.source == "stride"
    for doc in s.docs:
        post = frontmatter.loads((source / "knowledge" / f"{doc}.md").read_text(encoding="utf-8"))
        intro = (
            f"{s.name}, our shop in {s.city} (pack {s.index})."
            if english
            else f"{s.name}，{s.city}的门店（第 {s.index} 号）。"
        )
        body = _cut(post.content)
        heading, _, rest = body.partition("\n")
        if heading.startswith("#"):  # the brand's line under the title, not a chunk of its own
            post.content = f"{heading}\n{intro}\n{rest.strip()}\n"
        else:
            post.content = f"{intro}\n\n{body}\n"
        (folder / "knowledge" / f"{doc}.md").write_text(frontmatter.dumps(post), encoding="utf-8")
    return folder


def write_packs(out: Path, n: int) -> list[Path]:
    """Packs 0 … n-1 under ``out`` (written again if there), in order."""
    return [write_pack(out, spec(i)) for i in range(n)]


__all__ = ["PackSpec", "spec", "write_pack", "write_packs"]
