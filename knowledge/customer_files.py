"""The customer list of a pack, as shops and SCRM tools export it: ``customers.csv`` and/or
``customers.xlsx`` (the first sheet), beside ``brand.yaml``.

What an operator's export looks like decides what we accept:

- columns in any order, named in Chinese or English (``customer_columns.yaml``); only
  ``id``, ``name`` and ``stage`` are required, every other column may be left out;
- a column we do not know is a *warning*, not a failure, with the closest known name
  suggested (``preferred_channel → did you mean channel?``); its values are kept as a
  customer tag (the column name is the key), because that is what such columns usually are
  (城市, 来源, 备注) and the drafts can use them;
- tags as ``key=value`` or as plain labels the way WeCom exports them (``宝宝8个月;二胎``): a
  label becomes a tag whose key and value are the label. ``Customer.tags`` stays a
  ``dict[str, str]``, and every reader of it (the planner's customer facts, the story search,
  the tone and grounding checks, which all read the *values*) sees the label's words;
- ``opted_out`` as true/false, yes/no, 1/0 or 是/否; channels as ids or 微信/短信/邮件/社群.

Every problem keeps the file, ``line N`` (CSV) or ``row N`` (sheet) and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge.pack import Customer
from knowledge.problems import Problems

CSV_FILE = "customers.csv"
XLSX_FILE = "customers.xlsx"
OLD_EXCEL_FILE = "customers.xls"
CUSTOMER_FILES = (CSV_FILE, XLSX_FILE)
# The canonical columns, in the order `zhenxin pack init` and the examples write them.
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
LIST_SEPARATORS = (";", "；")
TAG_SEPARATORS = ("=", "＝")


@dataclass(frozen=True)
class _Vocabulary:
    """``customer_columns.yaml``: column aliases, required columns, booleans, channels."""

    columns: dict[str, str]  # normalised alias -> canonical column
    required: tuple[str, ...]
    booleans: dict[str, bool]
    channels: dict[str, str]


def _norm(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().replace("_", " ").split())


@cache
def vocabulary() -> _Vocabulary:
    text = resources.files("knowledge").joinpath("customer_columns.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    columns = {_norm(c): c for c in CUSTOMER_COLUMNS}
    for canonical, aliases in data["columns"].items():
        for alias in aliases:
            columns[_norm(str(alias))] = canonical
    booleans = {
        _norm(str(word)): key == "true" for key, words in data["booleans"].items() for word in words
    }
    channels: dict[str, str] = {}
    for channel, aliases in data["channels"].items():
        channels[_norm(channel)] = channel
        for alias in aliases:
            channels[_norm(str(alias))] = channel
    return _Vocabulary(columns, tuple(data["required"]), booleans, channels)


@dataclass
class CustomerRow:
    """One customer row: where it is, its known cells and the cells of unknown columns."""

    file: str
    where: str  # "line 5" (CSV) or "row 5" (sheet)
    cells: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Header:
    known: dict[int, str]  # column index -> canonical column
    extra: dict[int, str]  # column index -> the header as written (kept as a tag key)
    width: int


# --- reading the files ----------------------------------------------------------------------


def read_customer_rows(root: Path, problems: Problems) -> Iterator[CustomerRow]:
    """The rows of ``customers.csv`` and ``customers.xlsx`` (either, both or none), one at a
    time: the loader keeps each row's customer, not the row."""
    if (root / OLD_EXCEL_FILE).is_file() and not (root / XLSX_FILE).is_file():
        problems.warn(
            OLD_EXCEL_FILE,
            "",
            "the old Excel format (.xls) is not read",
            "save it as customers.xlsx (Excel / WPS: Save As → .xlsx) or as customers.csv",
        )
    csv_path = root / CSV_FILE
    if csv_path.is_file():
        yield from _table_rows(CSV_FILE, "line", _csv_lines(csv_path, problems), problems)
    xlsx_path = root / XLSX_FILE
    if xlsx_path.is_file():
        yield from _table_rows(XLSX_FILE, "row", _xlsx_rows(xlsx_path, problems), problems)


def _csv_lines(path: Path, problems: Problems) -> Iterator[tuple[int, list[str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(
            CSV_FILE,
            f"byte {exc.start}",
            "not valid UTF-8",
            "save the file as UTF-8 (Excel: Save As → CSV UTF-8), or save it as customers.xlsx",
        )
        return
    except OSError as exc:
        problems.add(CSV_FILE, "", f"cannot read: {exc.strerror or exc}", "check the permissions")
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    for values in reader:
        yield reader.line_num, values  # csv skips nothing here; this is the row's last line


def _xlsx_rows(path: Path, problems: Problems) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        problems.add(
            XLSX_FILE,
            "",
            f"cannot read the workbook: {type(exc).__name__}",
            "open it in Excel / WPS and save it again as .xlsx, or export customers.csv",
        )
        return
    try:
        sheets = book.worksheets
        if not sheets:
            return
        if len(sheets) > 1:
            problems.warn(
                XLSX_FILE,
                "",
                f"only the first sheet ({sheets[0].title!r}) is read; "
                f"{len(sheets) - 1} other sheet(s) ignored",
                "put all customers on the first sheet",
            )
        for number, values in enumerate(sheets[0].iter_rows(min_row=1, values_only=True), 1):
            yield number, [_cell_text(v) for v in values]
    finally:
        book.close()


def _cell_text(value: Any) -> str:
    """A sheet cell as the text a CSV export would hold (dates as YYYY-MM-DD)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):  # a customer list has no use for the time of day
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _table_rows(
    file: str, unit: str, lines: Iterable[tuple[int, list[str]]], problems: Problems
) -> Iterator[CustomerRow]:
    header: _Header | None = None
    unnamed_used: set[int] = set()
    for number, values in lines:
        if not any(v.strip() for v in values):
            continue
        if header is None:
            header = _read_header(file, f"{unit} {number}", values, problems)
            if header is None:
                return
            continue
        where = f"{unit} {number}"
        if len(values) > header.width and any(v.strip() for v in values[header.width :]):
            if unit == "line":
                problems.add(
                    file, where, "more values than columns", "quote values that contain commas"
                )
                continue
            unnamed_used.update(i for i in range(header.width, len(values)) if values[i].strip())
        cells = {name: "" for name in CUSTOMER_COLUMNS}
        extra: dict[str, str] = {}
        for i, value in enumerate(values[: header.width]):
            if i in header.known:
                cells[header.known[i]] = value.strip()
            elif i in header.extra:
                if value.strip():
                    extra[header.extra[i]] = value.strip()
            elif value.strip():
                unnamed_used.add(i)
        yield CustomerRow(file=file, where=where, cells=cells, extra=extra)
    if unnamed_used:
        columns = ", ".join(str(i + 1) for i in sorted(unnamed_used))
        problems.warn(
            file,
            "header",
            f"values under column(s) {columns} have no column name and are ignored",
            "give the column a name in the header row",
        )


def _read_header(file: str, where: str, values: list[str], problems: Problems) -> _Header | None:
    vocab = vocabulary()
    known: dict[int, str] = {}
    extra: dict[int, str] = {}
    first_seen: dict[str, str] = {}
    ok = True
    for i, raw in enumerate(values):
        name = raw.strip()
        if not name:
            continue
        canonical = vocab.columns.get(_norm(name))
        if canonical is None:
            extra[i] = name
            problems.warn(
                file,
                f"{where}, {name}",
                f"unknown column {name!r}: kept as a customer tag ({name}=…)",
                _suggestion(name),
            )
            continue
        if canonical in first_seen:
            problems.add(
                file,
                f"{where}, {name}",
                f"column {canonical!r} appears twice ({first_seen[canonical]!r} and {name!r})",
                "keep one of them",
            )
            ok = False
            continue
        first_seen[canonical] = name
        known[i] = canonical
    missing = [c for c in vocab.required if c not in first_seen]
    if missing:
        optional = [c for c in CUSTOMER_COLUMNS if c not in vocab.required]
        problems.add(
            file,
            where,
            f"missing column(s): {', '.join(missing)} (header is "
            f"{','.join(v.strip() for v in values) or '(empty)'})",
            f"the header needs {', '.join(vocab.required)} in any order; optional: "
            f"{', '.join(optional)}",
        )
        ok = False
    if not ok:
        return None
    return _Header(known=known, extra=extra, width=len(values))


def _suggestion(name: str) -> str:
    """``did you mean channel?`` for a near miss (difflib, then shared words); else a hint."""
    vocab = vocabulary()
    norm = _norm(name)
    close = difflib.get_close_matches(norm, list(vocab.columns), n=1, cutoff=0.6)
    guess = vocab.columns[close[0]] if close else None
    if guess is None:  # preferred_channel, customer_birthday: a known column as one word
        words = set(norm.split())
        guess = next((c for c in CUSTOMER_COLUMNS if _norm(c) in words), None)
    if guess is None:  # 客户生日, 微信标签: a Chinese alias inside the name
        guess = next(
            (c for alias, c in vocab.columns.items() if len(alias) >= 2 and alias in norm), None
        )
    if guess is not None:
        return f"did you mean {guess}? rename the column to use it as {guess}"
    return "drafts may quote it as a customer fact; delete the column if they should not"


# --- parsing one row --------------------------------------------------------------------------


def parse_customer(row: CustomerRow, problems: Problems) -> Customer | None:
    """The customer of one row, or None after adding its problems."""
    before = len(problems.items)
    cell = row.cells
    vocab = vocabulary()

    def bad(column: str, message: str, hint: str) -> None:
        problems.add(row.file, f"{row.where}, {column}", message, hint)

    purchases = []
    for item in split_list(cell["purchases"]):
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

    tags = parse_tags(cell["tags"])
    if "" in tags:
        bad("tags", "a tag has no name before '='", "write key=value or a plain label")
        tags.pop("")
    for key, value in row.extra.items():
        tags.setdefault(key, value)

    birthday: dt.date | None = None
    if cell["birthday"]:
        birthday = _date(cell["birthday"])
        if birthday is None:
            bad(
                "birthday",
                f"cannot read date {cell['birthday']!r}",
                "write YYYY-MM-DD or leave it empty",
            )

    opted = vocab.booleans.get(_norm(cell["opted_out"]))
    if opted is None:
        bad(
            "opted_out",
            f"{cell['opted_out']!r} is not true or false",
            "write true or false (yes/no, 1/0 and 是/否 work too)",
        )

    contacts = []
    for item in split_list(cell["last_contacts"]):
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
                "channel": channel_id(parts[1]),
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
        "channel": channel_id(cell["channel"]) or "wechat",
        "opted_out": bool(opted),
        "last_contacts": contacts,
    }
    try:
        return Customer.model_validate(data)
    except ValidationError as exc:
        problems.from_validation(row.file, exc, where=row.where)
        return None


def parse_tags(value: str) -> dict[str, str]:
    """``skin=油皮;二胎`` -> ``{"skin": "油皮", "二胎": "二胎"}``.

    A plain label is a tag whose key and value are the label: the prompt shows it, and the
    checks that look for the customer's own context in a draft (they read tag values) find it.
    A key without a name (``=x``) comes back under ``""`` for the caller to report.
    """
    tags: dict[str, str] = {}
    for item in split_list(value):
        for sep in TAG_SEPARATORS:
            key, found, val = item.partition(sep)
            if found:
                tags[key.strip()] = val.strip()
                break
        else:
            tags[item] = item
    return tags


def split_list(value: str) -> Iterator[str]:
    """The items of a ``;``-separated cell (full-width ``；`` too), stripped, empties dropped."""
    for sep in LIST_SEPARATORS[1:]:
        value = value.replace(sep, LIST_SEPARATORS[0])
    return (part.strip() for part in value.split(LIST_SEPARATORS[0]) if part.strip())


def channel_id(value: str) -> str:
    """``微信`` -> ``wechat``; an unknown name is returned lowercased (the model rejects it)."""
    v = value.strip()
    return vocabulary().channels.get(_norm(v), v.lower()) if v else ""


def _date(value: str) -> dt.date | None:
    v = value.strip().replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(v)
    except ValueError:
        pass
    parts = v.split("-")  # 2026-1-5 as Excel and WPS write it
    if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[0]) == 4:
        try:
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            return None
    return None
