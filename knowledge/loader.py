"""Load a brand pack folder (``brand.yaml``, ``knowledge/*.md``, ``customers.csv`` and/or
``customers.xlsx``).

:func:`load_pack` either returns a fully validated :class:`~knowledge.pack.BrandPack` or
raises one :class:`~core.errors.PackError` that lists *every* problem it found, each with the
file, a location (``line N`` for CSV rows and YAML syntax, ``row N`` for sheet rows, the field
path such as ``beliefs.0.text`` for schema errors) and a hint. It never returns half a pack.
:func:`read_pack` does the same without raising and also returns the *warnings*: what was
accepted but ignored, kept as is or guessed (an unknown CSV column, a second sheet).

The pack is read the way operators write it: beliefs as plain sentences, no signature (both
derived in :mod:`knowledge.pack`), customer lists as exported (:mod:`knowledge.customer_files`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import frontmatter
import yaml
from pydantic import ValidationError

from core.errors import PackError, PackProblem
from knowledge.customer_files import (
    CSV_FILE,
    CUSTOMER_COLUMNS,
    CUSTOMER_FILES,
    parse_customer,
    read_customer_rows,
)
from knowledge.pack import Brand, BrandPack, Customer, DocKind, KnowledgeDoc
from knowledge.problems import Problems
from knowledge.stages import stage_alias

BRAND_FILE = "brand.yaml"
KNOWLEDGE_DIR = "knowledge"
CUSTOMERS_FILE = CSV_FILE  # the customer list; customers.xlsx is read too
_DOC_FIELDS = sorted(set(KnowledgeDoc.model_fields) - {"body", "path"})


def _yaml_line(exc: yaml.YAMLError, offset: int = 0) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return f"line {mark.line + 1 + offset}" if mark is not None else ""


def _read_text(path: Path, rel: str, problems: Problems) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(rel, f"byte {exc.start}", "not valid UTF-8", "save the file as UTF-8")
    except OSError as exc:
        problems.add(rel, "", f"cannot read: {exc.strerror or exc}", "check the file permissions")
    return None


# --- brand.yaml ------------------------------------------------------------------------------


def _load_brand(root: Path, problems: Problems) -> Brand | None:
    path = root / BRAND_FILE
    if not path.is_file():
        problems.add(BRAND_FILE, "", "missing", "every pack needs a brand.yaml at its top level")
        return None
    text = _read_text(path, BRAND_FILE, problems)
    if text is None:
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        _add_yaml_error(problems, BRAND_FILE, exc, "YAML syntax")
        return None
    if not isinstance(data, dict):
        problems.add(
            BRAND_FILE,
            "line 1",
            "must be a mapping of fields",
            "start with 'id:', 'name:', 'language:' ...",
        )
        return None
    try:
        return Brand.model_validate(data)
    except ValidationError as exc:
        problems.from_validation(BRAND_FILE, exc)
        return None


def _add_yaml_error(problems: Problems, rel: str, exc: yaml.YAMLError, what: str) -> None:
    problem = str(getattr(exc, "problem", None) or exc).strip()
    problems.add(
        rel,
        _yaml_line(exc),
        f"{what}: {problem}",
        "check indentation and quote values that contain ':'",
    )


# --- knowledge/*.md --------------------------------------------------------------------------


def _load_docs(root: Path, problems: Problems) -> list[KnowledgeDoc]:
    folder = root / KNOWLEDGE_DIR
    if not folder.is_dir():
        problems.add(
            f"{KNOWLEDGE_DIR}/",
            "",
            "missing",
            "put the brand's knowledge as Markdown files in knowledge/",
        )
        return []
    files = sorted(p for p in folder.rglob("*.md") if p.is_file())
    if not files:
        problems.add(
            f"{KNOWLEDGE_DIR}/",
            "",
            "no .md documents",
            "add at least one Markdown file with front matter (kind, title)",
        )
    docs: list[KnowledgeDoc] = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        doc = _load_doc(path, rel, problems)
        if doc is not None:
            docs.append(doc)
    return docs


def _load_doc(path: Path, rel: str, problems: Problems) -> KnowledgeDoc | None:
    text = _read_text(path, rel, problems)
    if text is None:
        return None
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        # python-frontmatter keeps the newline after the opening '---', so YAML lines are
        # already file lines.
        _add_yaml_error(problems, rel, exc, "front matter YAML")
        return None
    meta = dict(post.metadata)
    if not meta:
        problems.add(
            rel,
            "line 1",
            "no front matter",
            "start the file with '---', then kind: and title:, then '---'",
        )
        return None
    for reserved in ("body", "path"):
        if reserved in meta:
            problems.add(
                rel,
                reserved,
                f"'{reserved}' is not a front-matter field",
                f"remove it; known fields: {', '.join(_DOC_FIELDS)}",
            )
            meta.pop(reserved)
    meta.setdefault("id", path.stem)
    stages = meta.get("stages")
    if isinstance(stages, str):  # "repeat, core_member" is accepted as a list
        meta["stages"] = [s.strip() for s in re.split(r"[,，、]", stages) if s.strip()]
    try:
        return KnowledgeDoc.model_validate({**meta, "body": post.content.strip(), "path": rel})
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            if err["loc"] == ("id",) and "id" not in post.metadata:
                problems.add(
                    rel,
                    "id",
                    f"the file name {path.stem!r} is not a valid doc id",
                    "add 'id: some-id' (lowercase letters, digits, - or _) to the front "
                    "matter or rename the file",
                )
            elif err["loc"] == ("body",):
                problems.add(
                    rel,
                    "body",
                    "the document has no text after the front matter",
                    "write the document below the closing '---'",
                )
            else:
                problems.from_error(rel, err)
        return None


# --- customers.csv / customers.xlsx ---------------------------------------------------------


class _Place(NamedTuple):
    """Where a customer was read (what the cross-checks name), instead of the whole row."""

    file: str
    where: str
    channel_given: bool


def _load_customers(root: Path, problems: Problems) -> list[tuple[_Place, Customer]]:
    return [
        (_Place(row.file, row.where, bool(row.cells["channel"])), customer)
        for row in read_customer_rows(root, problems)
        if (customer := parse_customer(row, problems)) is not None
    ]


# --- cross-checks ----------------------------------------------------------------------------


def resolve_stage(brand: Brand, value: str) -> str | None:
    """The brand's stage id for ``value`` (an id, the brand's zh/en name, or a default alias)."""
    v = value.strip()
    ids = {s.id for s in brand.stages}
    if v in ids:
        return v
    for s in brand.stages:
        if v in (s.name_zh, s.name_en) or v.lower() == s.name_en.lower():
            return s.id
    alias = stage_alias(v)
    return alias if alias in ids else None


def _check_unique_doc_ids(docs: list[KnowledgeDoc], problems: Problems) -> None:
    seen: dict[str, str] = {}
    for doc in docs:
        if doc.id in seen:
            problems.add(
                doc.path,
                "id",
                f"doc id {doc.id!r} is also used by {seen[doc.id]}",
                "give every document its own id",
            )
        seen.setdefault(doc.id, doc.path)


def _cross_check(
    brand: Brand,
    docs: list[KnowledgeDoc],
    customers: list[tuple[_Place, Customer]],
    problems: Problems,
) -> tuple[list[KnowledgeDoc], list[Customer]]:
    stage_ids = ", ".join(s.id for s in brand.stages)
    fixed_docs: list[KnowledgeDoc] = []
    for doc in docs:
        stages: list[str] = []
        for i, value in enumerate(doc.stages):
            sid = resolve_stage(brand, value)
            if sid is None:
                problems.add(
                    doc.path,
                    f"stages.{i}",
                    f"unknown stage {value!r}",
                    f"use one of the brand's stages: {stage_ids}",
                )
            else:
                stages.append(sid)
        fixed_docs.append(doc.model_copy(update={"stages": stages}))

    products = {d.product for d in docs if d.kind == DocKind.USAGE_GUIDE and d.product}
    guides = sorted(d.id for d in docs if d.kind == DocKind.USAGE_GUIDE)
    for tier in brand.tiers:
        for product in tier.products:
            if product not in products:
                problems.add(
                    BRAND_FILE,
                    f"tiers, {tier.id}, products",
                    f"product {product!r} has no usage guide",
                    f"use one of: {', '.join(sorted(products)) or '(none yet)'}",
                )
    for doc in docs:
        if doc.next is not None and doc.next not in guides:
            problems.add(
                doc.path,
                "next",
                f"'next: {doc.next}' is not a usage guide of this pack",
                "name the id of the next product's usage guide: "
                + (", ".join(g for g in guides if g != doc.id) or "(no other guide yet)"),
            )
    seen_customers: dict[str, _Place] = {}
    fixed_customers: list[Customer] = []
    for row, customer in customers:
        where, file = row.where, row.file
        if customer.id in seen_customers:
            first = seen_customers[customer.id]
            other = first.where if first.file == file else f"{first.file} {first.where}"
            problems.add(
                file,
                f"{where}, id",
                f"customer id {customer.id!r} also on {other}",
                "give every customer their own id",
            )
        seen_customers.setdefault(customer.id, row)
        sid = resolve_stage(brand, customer.stage)
        if sid is None:
            problems.add(
                file,
                f"{where}, stage",
                f"unknown stage {customer.stage!r}",
                f"use one of the brand's stages ({stage_ids}) or 初识/相知/相恋/携手/共行",
            )
        for purchase in customer.purchases:
            if purchase.product not in products:
                problems.add(
                    file,
                    f"{where}, purchases",
                    f"product {purchase.product!r} has no usage guide",
                    f"add a usage_guide with 'product: {purchase.product}' or use one "
                    f"of: {', '.join(sorted(products)) or '(none yet)'}",
                )
        channel = customer.channel
        if not row.channel_given and channel not in brand.channels:
            # No channel given: the brand's first channel, not a default it does not use.
            channel = brand.channels[0]
        if channel not in brand.channels:
            problems.add(
                file,
                f"{where}, channel",
                f"channel {channel.value!r} is not one of the brand's channels",
                f"use one of: {', '.join(c.value for c in brand.channels)}",
            )
        if (sid or customer.stage, channel) != (customer.stage, customer.channel):
            customer = customer.model_copy(
                update={"stage": sid or customer.stage, "channel": channel}
            )
        fixed_customers.append(customer)

    if customers:
        for doc in docs:
            if doc.kind == DocKind.STORY and doc.customer and doc.customer not in seen_customers:
                problems.add(
                    doc.path,
                    "customer",
                    f"unknown customer {doc.customer!r}",
                    "use an id from the customer list (customers.csv / customers.xlsx)",
                )
    return fixed_docs, fixed_customers


# --- entry point -----------------------------------------------------------------------------


@dataclass
class PackReading:
    """What reading a pack folder found: the pack (None if invalid), problems and warnings."""

    pack: BrandPack | None
    problems: list[PackProblem] = field(default_factory=list)
    warnings: list[PackProblem] = field(default_factory=list)
    name: str = ""  # the brand id, or the folder name when brand.yaml is unusable

    @property
    def valid(self) -> bool:
        return self.pack is not None and not self.problems

    def raise_for_problems(self) -> BrandPack:
        """The pack, or one PackError listing every problem."""
        if self.pack is None or self.problems:
            raise PackError(self.problems, pack=self.name, warnings=self.warnings)
        return self.pack


def read_pack(path: str | Path) -> PackReading:
    """Read and validate a brand pack folder; never raises for a problem in the pack."""
    root = Path(path).expanduser()
    problems = Problems()
    if not root.exists():
        problems.add(str(root), "", "no such folder", "give the path of a brand pack folder")
        return PackReading(None, problems.items, name=str(path))
    if not root.is_dir():
        problems.add(
            str(root), "", "not a folder", "give the folder that holds brand.yaml, not a file in it"
        )
        return PackReading(None, problems.items, name=str(path))

    brand = _load_brand(root, problems)
    docs = _load_docs(root, problems)
    customers = _load_customers(root, problems)
    _check_unique_doc_ids(docs, problems)
    if brand is None:
        return PackReading(None, problems.items, problems.warnings, name=root.name)
    docs, customer_list = _cross_check(brand, docs, customers, problems)
    if problems.items:
        return PackReading(None, problems.items, problems.warnings, name=brand.id)
    pack = BrandPack(root=root.resolve(), brand=brand, docs=docs, customers=customer_list)
    return PackReading(pack, [], problems.warnings, name=brand.id)


def load_pack(path: str | Path) -> BrandPack:
    """Load and validate a brand pack folder; raise one PackError listing every problem."""
    return read_pack(path).raise_for_problems()


__all__ = [
    "BRAND_FILE",
    "CUSTOMERS_FILE",
    "CUSTOMER_COLUMNS",
    "CUSTOMER_FILES",
    "KNOWLEDGE_DIR",
    "PackReading",
    "load_pack",
    "read_pack",
    "resolve_stage",
]
