"""Load a brand pack folder (``brand.yaml``, ``knowledge/*.md``, ``customers.csv``).

:func:`load_pack` either returns a fully validated :class:`~knowledge.pack.BrandPack` or
raises one :class:`~core.errors.PackError` that lists *every* problem it found, each with the
file, a location (``line N`` for CSV rows and YAML syntax, the field path such as
``beliefs.0.text`` for schema errors) and a hint. It never returns half a pack.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from pydantic import ValidationError

from core.errors import PackError, PackProblem
from knowledge.pack import ID_PATTERN, Brand, BrandPack, Channel, Customer, DocKind, KnowledgeDoc
from knowledge.stages import Stage, stage_alias

BRAND_FILE = "brand.yaml"
KNOWLEDGE_DIR = "knowledge"
CUSTOMERS_FILE = "customers.csv"
CUSTOMER_COLUMNS = (
    "id",
    "name",
    "stage",
    "purchases",
    "tags",
    "birthday",
    "channel",
    "opted_out",
    "last_contacts",
)
_DOC_FIELDS = sorted(set(KnowledgeDoc.model_fields) - {"body", "path"})
_BOOLS = {"true": True, "false": False, "": False}
STAGE_ID_PATTERN = str(Stage.model_fields["id"].metadata[0].pattern)


class _Problems:
    """Collects problems while loading; one PackError at the end."""

    def __init__(self) -> None:
        self.items: list[PackProblem] = []

    def add(self, file: str, location: str, message: str, hint: str = "") -> None:
        self.items.append(PackProblem(file=file, location=location, message=message, hint=hint))

    def from_validation(self, file: str, exc: ValidationError, *, where: str = "") -> None:
        for err in exc.errors(include_url=False):
            self.from_error(file, err, where=where)

    def from_error(self, file: str, err: Mapping[str, Any], *, where: str = "") -> None:
        path = ".".join(str(p) for p in err["loc"])
        location = ", ".join(x for x in (where, path) if x) or "top level"
        message = str(err["msg"]).removeprefix("Value error, ")
        self.add(file, location, message, _hint_for(err))


def _hint_for(err: Mapping[str, Any]) -> str:
    kind = str(err.get("type", ""))
    field = str(err["loc"][-1]) if err.get("loc") else ""
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return f"add '{field}'"
    if kind == "extra_forbidden":
        return f"remove '{field}' or check its spelling"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == ID_PATTERN:
            return "use 2-64 lowercase letters, digits, '-' or '_', starting with a letter or digit"
        if ctx.get("pattern") == STAGE_ID_PATTERN:
            return "use lowercase letters, digits and '_', starting with a letter"
        return f"must match {ctx.get('pattern', 'the expected pattern')}"
    if kind in {"enum", "literal_error"}:
        return f"use one of {ctx.get('expected', 'the allowed values')}"
    if kind in {"string_too_short", "too_short"}:
        return f"'{field}' must not be empty" if field else "must not be empty"
    if kind.startswith("date"):
        return "write dates as YYYY-MM-DD"
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return "write a whole number"
    if kind in {"bool_parsing", "bool_type"}:
        return "write true or false"
    if kind == "string_type":
        return "write text; quote values YAML reads as numbers or dates, e.g. '001'"
    if kind in {"list_type", "tuple_type"}:
        return "write a list, e.g. [a, b]"
    if kind in {"dict_type", "model_type"}:
        return "write a section of 'key: value' lines"
    if kind.endswith(("_too_long", "_too_big")) or kind in {
        "greater_than_equal",
        "less_than_equal",
    }:
        return "use a value within the allowed range"
    return "fix the value as the message says"


def _yaml_line(exc: yaml.YAMLError, offset: int = 0) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return f"line {mark.line + 1 + offset}" if mark is not None else ""


def _read_text(path: Path, rel: str, problems: _Problems) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(rel, f"byte {exc.start}", "not valid UTF-8", "save the file as UTF-8")
    except OSError as exc:
        problems.add(rel, "", f"cannot read: {exc.strerror or exc}", "check the file permissions")
    return None


# --- brand.yaml ------------------------------------------------------------------------------


def _load_brand(root: Path, problems: _Problems) -> Brand | None:
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


def _add_yaml_error(problems: _Problems, rel: str, exc: yaml.YAMLError, what: str) -> None:
    problem = str(getattr(exc, "problem", None) or exc).strip()
    problems.add(
        rel,
        _yaml_line(exc),
        f"{what}: {problem}",
        "check indentation and quote values that contain ':'",
    )


# --- knowledge/*.md --------------------------------------------------------------------------


def _load_docs(root: Path, problems: _Problems) -> list[KnowledgeDoc]:
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


def _load_doc(path: Path, rel: str, problems: _Problems) -> KnowledgeDoc | None:
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


# --- customers.csv ---------------------------------------------------------------------------


def _load_customers(root: Path, problems: _Problems) -> list[tuple[int, Customer]]:
    path = root / CUSTOMERS_FILE
    if not path.exists():
        return []
    text = _read_text(path, CUSTOMERS_FILE, problems)
    if text is None:
        return []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = tuple(h.strip() for h in (reader.fieldnames or ()))
    if header != CUSTOMER_COLUMNS:
        problems.add(
            CUSTOMERS_FILE,
            "line 1",
            f"header is {','.join(header) or '(empty)'}",
            f"the header must be exactly: {','.join(CUSTOMER_COLUMNS)}",
        )
        return []
    reader.fieldnames = list(header)
    customers: list[tuple[int, Customer]] = []
    for row in reader:
        line = reader.line_num  # csv skips blank lines; this is the row's (last) line
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        if None in row:
            problems.add(
                CUSTOMERS_FILE,
                f"line {line}",
                "more values than columns",
                "quote values that contain commas",
            )
            continue
        customer = _parse_customer(row, line, problems)
        if customer is not None:
            customers.append((line, customer))
    return customers


def _parse_customer(row: dict[str, str], line: int, problems: _Problems) -> Customer | None:
    where = f"line {line}"
    before = len(problems.items)
    cell = {k: (v or "").strip() for k, v in row.items()}

    def bad(column: str, message: str, hint: str) -> None:
        problems.add(CUSTOMERS_FILE, f"{where}, {column}", message, hint)

    purchases = []
    for item in _split(cell["purchases"]):
        product, sep, day = item.rpartition("@")
        date = _date(day) if sep else None
        if not product or date is None:
            bad(
                "purchases",
                f"cannot read purchase {item!r}",
                "write product@YYYY-MM-DD, several separated by ';'",
            )
            continue
        purchases.append({"product": product.strip(), "date": date})

    tags: dict[str, str] = {}
    for item in _split(cell["tags"]):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            bad("tags", f"cannot read tag {item!r}", "write key=value, several separated by ';'")
            continue
        tags[key.strip()] = value.strip()

    birthday: dt.date | None = None
    if cell["birthday"]:
        birthday = _date(cell["birthday"])
        if birthday is None:
            bad(
                "birthday",
                f"cannot read date {cell['birthday']!r}",
                "write YYYY-MM-DD or leave it empty",
            )

    opted = cell["opted_out"].lower()
    if opted not in _BOOLS:
        bad("opted_out", f"{cell['opted_out']!r} is not true or false", "write true or false")

    channel = cell["channel"].lower() or Channel.WECHAT.value
    contacts = []
    for item in _split(cell["last_contacts"]):
        parts = [p.strip() for p in item.split("/")]
        date = _date(parts[0]) if parts else None
        if len(parts) not in (2, 3) or date is None:
            bad(
                "last_contacts",
                f"cannot read contact {item!r}",
                "write YYYY-MM-DD/channel/purpose (purpose: care, sales or notice)",
            )
            continue
        contacts.append(
            {
                "date": date,
                "channel": parts[1].lower(),
                "purpose": parts[2].lower() if len(parts) == 3 else "care",
            }
        )

    if len(problems.items) > before:
        return None
    data = {
        "id": cell["id"],
        "name": cell["name"],
        "stage": cell["stage"],
        "purchases": purchases,
        "tags": tags,
        "birthday": birthday,
        "channel": channel,
        "opted_out": _BOOLS[opted],
        "last_contacts": contacts,
    }
    try:
        return Customer.model_validate(data)
    except ValidationError as exc:
        problems.from_validation(CUSTOMERS_FILE, exc, where=where)
        return None


def _split(value: str) -> Iterable[str]:
    return (part.strip() for part in value.split(";") if part.strip())


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


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


def _check_unique_doc_ids(docs: list[KnowledgeDoc], problems: _Problems) -> None:
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
    customers: list[tuple[int, Customer]],
    problems: _Problems,
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
    seen_customers: dict[str, int] = {}
    fixed_customers: list[Customer] = []
    for line, customer in customers:
        where = f"line {line}"
        if customer.id in seen_customers:
            problems.add(
                CUSTOMERS_FILE,
                f"{where}, id",
                f"customer id {customer.id!r} also on line {seen_customers[customer.id]}",
                "give every customer their own id",
            )
        seen_customers.setdefault(customer.id, line)
        sid = resolve_stage(brand, customer.stage)
        if sid is None:
            problems.add(
                CUSTOMERS_FILE,
                f"{where}, stage",
                f"unknown stage {customer.stage!r}",
                f"use one of the brand's stages ({stage_ids}) or 初识/相知/相恋/携手/共行",
            )
        for purchase in customer.purchases:
            if purchase.product not in products:
                problems.add(
                    CUSTOMERS_FILE,
                    f"{where}, purchases",
                    f"product {purchase.product!r} has no usage guide",
                    f"add a usage_guide with 'product: {purchase.product}' or use one "
                    f"of: {', '.join(sorted(products)) or '(none yet)'}",
                )
        if brand.channels and customer.channel not in brand.channels:
            problems.add(
                CUSTOMERS_FILE,
                f"{where}, channel",
                f"channel {customer.channel.value!r} is not one of the brand's channels",
                f"use one of: {', '.join(c.value for c in brand.channels)}",
            )
        fixed_customers.append(customer.model_copy(update={"stage": sid or customer.stage}))

    if customers:
        for doc in docs:
            if doc.kind == DocKind.STORY and doc.customer and doc.customer not in seen_customers:
                problems.add(
                    doc.path,
                    "customer",
                    f"unknown customer {doc.customer!r}",
                    "use an id from customers.csv",
                )
    return fixed_docs, fixed_customers


# --- entry point -----------------------------------------------------------------------------


def load_pack(path: str | Path) -> BrandPack:
    """Load and validate a brand pack folder; raise one PackError listing every problem."""
    root = Path(path).expanduser()
    problems = _Problems()
    if not root.exists():
        problems.add(str(root), "", "no such folder", "give the path of a brand pack folder")
        raise PackError(problems.items, pack=str(path))
    if not root.is_dir():
        problems.add(
            str(root), "", "not a folder", "give the folder that holds brand.yaml, not a file in it"
        )
        raise PackError(problems.items, pack=str(path))

    brand = _load_brand(root, problems)
    docs = _load_docs(root, problems)
    customers = _load_customers(root, problems)
    _check_unique_doc_ids(docs, problems)
    if brand is None:
        raise PackError(problems.items, pack=root.name)
    docs, customer_list = _cross_check(brand, docs, customers, problems)
    if problems.items:
        raise PackError(problems.items, pack=brand.id)
    return BrandPack(root=root.resolve(), brand=brand, docs=docs, customers=customer_list)
