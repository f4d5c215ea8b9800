"""Events files, as a shop or a WeCom tool exports them: ``.csv`` (a header row with the
event's fields; another column is an error) or ``.jsonl`` (one JSON object per line; blank
lines skipped).

:func:`read_events` checks, before it returns, what would spoil every row (no such file, an
unknown type, unknown columns, a file that is not UTF-8, e.g. a GBK export); then it yields
the rows as it reads them, so a file of any size is held a row at a time. A row that cannot
be an event item (not JSON, a bad byte further on) comes as a :class:`Rejected` naming its
line, and the rows after it go on.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from core.errors import PackProblem, ZhenxinError
from flywheel.events import Event, EventType, Rejected, validate_one

EVENTS_FILE = "events.jsonl"  # a brand pack's events, beside customers.csv (not knowledge)
COLUMNS = tuple(Event.model_fields)  # a CSV's columns: the event's fields
SUFFIXES = (".csv", ".jsonl", ".ndjson")
SNIFF = 1 << 16  # bytes read first to tell whether the file is UTF-8
_SAVE_AS_UTF8 = "save it as UTF-8 (Excel: Save As → CSV UTF-8)"
_TRUE = ("1", "true", "yes", "是")

Item = dict[str, Any] | Rejected  # a row, raw, or why it cannot be one


def read_events(path: Path) -> Iterator[Item]:
    """The rows of an events file as raw items, read as they are taken (see the module)."""
    return (item for _, item in read_rows(path))


def read_rows(path: Path) -> Iterator[tuple[int, Item]]:
    """:func:`read_events` with each row's line (its first, for a CSV row over several).
    The file is checked now and read again, a row at a time, as the rows are taken (a file
    is open only while they are)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ZhenxinError(
            f"{path.name}: unknown events file type {suffix!r}", hint="use .csv or .jsonl"
        )
    with _open(path) as fh:
        _check_utf8(path, fh)
        if suffix == ".csv":
            _csv_reader(path, _text_lines(fh, set()))  # the header
    return _rows(path, suffix)


def _open(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except OSError as exc:
        raise ZhenxinError(f"{path}: cannot read: {exc.strerror}") from exc


def _rows(path: Path, suffix: str) -> Iterator[tuple[int, Item]]:
    with _open(path) as fh:
        bad: set[int] = set()  # lines that are not UTF-8 (further on than the check read)
        lines = _text_lines(fh, bad)
        if suffix == ".csv":
            yield from _csv_items(_csv_reader(path, lines), bad)
        else:
            yield from _jsonl_rows(lines, bad)


def _check_utf8(path: Path, fh: IO[bytes]) -> None:
    """Refuse a file whose beginning is not UTF-8 (a GBK export: every row would be lost)."""
    head = fh.read(SNIFF)
    fh.seek(0)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        line = head[: exc.start].count(b"\n") + 1
        raise ZhenxinError(
            f"{path.name}: not valid UTF-8 (line {line})", hint=_SAVE_AS_UTF8
        ) from None


def _text_lines(fh: IO[bytes], bad: set[int]) -> Iterator[str]:
    """The file's lines as text, endings kept; a line that is not UTF-8 is noted in ``bad``
    and given with its bad bytes escaped (the reader then rejects its row)."""
    for number, raw in enumerate(fh, 1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            bad.add(number)
            yield raw.decode("utf-8", "surrogateescape")


def _jsonl_rows(lines: Iterable[str], bad: set[int]) -> Iterator[tuple[int, Item]]:
    index = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        item: Item
        if number in bad:
            item = Rejected(index, None, f"line {number} is not valid UTF-8")
        else:
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                value = exc
            if isinstance(value, dict):
                item = value
            elif isinstance(value, json.JSONDecodeError):
                item = Rejected(index, None, f"line {number} is not JSON: {value.msg}")
            else:
                item = Rejected(index, None, f"line {number} is not a JSON object")
        yield number, item
        index += 1


def _csv_reader(path: Path, lines: Iterable[str]) -> csv.DictReader[str]:
    """A reader past the header; unknown columns are refused (before any row is taken)."""
    reader = csv.DictReader(lines)
    unknown = [c for c in reader.fieldnames or () if c not in COLUMNS]
    if unknown:
        raise ZhenxinError(
            f"{path.name}: unknown columns {unknown}", hint="columns: " + ", ".join(COLUMNS)
        )
    return reader


def _csv_items(reader: csv.DictReader[str], bad: set[int]) -> Iterator[tuple[int, Item]]:
    after = reader.line_num  # the header's last line
    for index, row in enumerate(reader):
        first, after = after + 1, reader.line_num
        item: Item
        if bad and any(n in bad for n in range(first, after + 1)):
            item = Rejected(index, None, f"line {first} is not valid UTF-8")
        else:
            item = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
            if "criticism" in item:
                item["criticism"] = str(item["criticism"]).strip().lower() in _TRUE
        yield first, item


def check_file(
    path: Path, *, customers: Collection[str], products: Collection[str]
) -> list[PackProblem]:
    """What is wrong with a pack's events file, each with its line: an item that is not an
    event, an id used twice, a customer the pack does not list, a product without a usage
    guide. Empty when every event would import."""
    try:
        rows = read_rows(path)
    except ZhenxinError as exc:
        return [PackProblem(path.name, "", exc.message, hint=exc.hint or "")]
    problems: list[PackProblem] = []
    seen: dict[str, int] = {}
    for number, item in rows:
        where = f"line {number}"
        if isinstance(item, Rejected):  # the reader's: its message names the line too
            message = item.error.removeprefix(f"{where} is ")
            problems.append(PackProblem(path.name, where, message))
            continue
        event = validate_one(item)
        if isinstance(event, Rejected):
            problems.append(PackProblem(path.name, where, event.error))
            continue
        if event.id in seen:
            problems.append(
                PackProblem(
                    path.name, where, f"event id {event.id!r} also on line {seen[event.id]}"
                )
            )
        seen.setdefault(event.id, number)
        if event.customer_id not in customers:
            problems.append(
                PackProblem(
                    path.name,
                    where,
                    f"unknown customer {event.customer_id!r}",
                    hint="use an id from the customer list (customers.csv / customers.xlsx)",
                )
            )
        if event.type == EventType.PURCHASED and event.product not in products:
            problems.append(
                PackProblem(
                    path.name,
                    where,
                    f"product {event.product!r} has no usage guide",
                    hint="use one of: " + ", ".join(sorted(products)),
                )
            )
    return problems


__all__ = ["COLUMNS", "EVENTS_FILE", "Item", "check_file", "read_events", "read_rows"]
