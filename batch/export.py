"""Export a batch's drafts: ``csv``, ``jsonl`` or one RFC 5322 ``.eml`` file per draft.

Only **approved** drafts are exported, **as approved**: the text and subject of the version the
editor approved. Drafts still waiting for review (or rejected) go out only when asked for
explicitly (``statuses``); a customer who opted out since is skipped whatever the status —
consent is checked again at export. Every item left out is listed with its reason.
An ``.eml`` has Subject, From (the brand's email sender), To (when the customer's ``email``
tag is known), Date, Message-ID, ``List-Unsubscribe`` (+ ``List-Unsubscribe-Post``),
and a ``multipart/alternative`` body: text/plain and text/html, both ending with the
brand's unsubscribe line.

What an edited or planted text cannot do here:

- start a spreadsheet formula: a CSV cell beginning with ``= + - @``, tab or CR gets a
  leading ``'`` (OWASP's advice on CSV injection), so ``=HYPERLINK(…)`` stays text;
- add headers or recipients to an ``.eml``: a subject with a line break, or a recipient tag
  that is not exactly one address (``a@x, b@evil``), skips that item with its reason.

One bad item never stops an export: :class:`ExportSummary` lists the files written and the
items skipped, and the CLI prints both.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from enum import StrEnum
from pathlib import Path
from typing import Any

from core.errors import ZhenxinError
from drafting.customers import CustomerStore
from evals.types import Verdict
from generator.drafts import Draft
from knowledge.pack import BrandPack, EmailRules
from storage.batches import BatchRepository

COLUMNS = (
    "batch",
    "key",
    "draft_id",
    "kind",
    "customer",
    "tier",
    "trigger",
    "channel",
    "stage",
    "verdict",
    "score",
    "subject",
    "text",
)
_URL = re.compile(r"https?://\S+|mailto:\S+")
# A cell starting with one of these is a formula to Excel, LibreOffice or Google Sheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# One plain address: dot-atom local part @ a dotted domain of ASCII labels (no IP literals,
# no quoted local parts, no bare hosts such as "localhost").
_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_NAMED = re.compile(r'(?P<name>[^<>@"]+?)\s*<(?P<addr>[^<>]+)>')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FILE_NAME = re.compile(r"[^\w.-]+")


class ExportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    EML = "eml"


@dataclass(frozen=True)
class Skipped:
    """An item that was not exported, and why (Chinese first, English second)."""

    key: str
    customer: str
    reason: str


@dataclass
class ExportSummary:
    """What an export wrote, and which items it skipped."""

    files: list[Path] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def describe(self, out_dir: Path | None = None) -> str:
        where = f" to {out_dir}" if out_dir is not None else ""
        lines = [f"wrote {len(self.files)} file(s){where}"]
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)} item(s):")
            lines += [f"  {s.key} ({s.customer or '-'}): {s.reason}" for s in self.skipped]
        return "\n".join(lines)


def csv_safe(value: object) -> object:
    """A CSV cell that no spreadsheet runs as a formula: text starting with ``= + - @``, tab
    or CR gets a leading ``'`` (OWASP). Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def recipient(tag: str) -> tuple[str | None, str]:
    """The customer's ``email`` tag as exactly one ``To`` address (``a@x.cn`` or
    ``Name <a@x.cn>``), or ``(None, why not)``: a list, a line break or stray text is refused
    (``email.utils.parseaddr`` alone would quietly keep the first of ``a@x, b@evil``)."""
    raw = tag.strip()
    refused = None, "收件人不是一个有效的邮箱地址 / the recipient is not one valid address"
    if not raw or _CONTROL.search(raw) or any(sep in raw for sep in ",;"):
        return refused
    name, address = parseaddr(raw)
    if not _ADDRESS.fullmatch(address):
        return refused
    if raw == address:
        return address, ""
    named = _NAMED.fullmatch(raw)
    if named is None or named["addr"] != address or named["name"].strip() != name:
        return refused
    return formataddr((name, address)), ""


APPROVED = ("approved",)
_STATUS_NAME = {
    "pending_review": "待审 / not reviewed yet",
    "rejected": "已退回 / rejected",
    "approved": "已通过 / approved",
}


def rows(
    repo: BatchRepository,
    batch_id: str,
    *,
    statuses: Sequence[str] = APPROVED,
    opted_out: Callable[[set[str]], set[str]] | None = None,
    skipped: list[Skipped] | None = None,
) -> list[tuple[dict[str, Any], Draft]]:
    """The batch's drafts to export: those whose review status is in ``statuses`` (approved
    only, by default), as their current version, minus customers ``opted_out`` now. What is
    left out goes to ``skipped`` with its reason."""
    left_out = skipped if skipped is not None else []
    picked: list[tuple[Any, Draft]] = []
    for item in repo.items(batch_id, ["done"]):
        if not item.draft_id:
            continue
        current = repo.current(item.draft_id)
        draft = Draft.model_validate(repo.draft(item.draft_id))
        if current.status not in statuses:
            left_out.append(
                Skipped(
                    item.key, draft.customer or "", _STATUS_NAME.get(current.status, current.status)
                )
            )
            continue
        if current.version != 1:  # as approved: the edited text (and an email's subject)
            update: dict[str, Any] = {"text": current.text}
            if current.subject:
                update["subject"] = current.subject
            draft = draft.model_copy(update=update)
        draft = draft.model_copy(
            update={"verdict": Verdict(current.verdict), "score": current.score}
        )
        picked.append((item, draft))
    gone = opted_out({d.customer for _, d in picked if d.customer}) if opted_out else set()
    out: list[tuple[dict[str, Any], Draft]] = []
    for item, draft in picked:
        if draft.customer in gone:
            left_out.append(
                Skipped(item.key, draft.customer or "", "客户已退订 / the customer opted out")
            )
            continue
        row = {
            "batch": batch_id,
            "key": item.key,
            "draft_id": item.draft_id,
            "kind": draft.kind.value,
            "customer": draft.customer or "",
            "tier": item.spec.get("tier", ""),
            "trigger": draft.trigger,
            "channel": draft.channel,
            "stage": draft.stage,
            "verdict": draft.verdict.value,
            "score": draft.score,
            "subject": draft.subject or draft.title or "",
            "text": draft.text,
        }
        out.append((row, draft))
    return out


def _subject_and_body(draft: Draft) -> tuple[str, str]:
    if draft.subject:
        body = draft.text
        head = f"{draft.subject}\n\n"
        if body.startswith(head):  # email text is "subject + blank line + body"
            body = body[len(head) :]
        return draft.subject, body
    title = draft.title or draft.text.strip().splitlines()[0][:60]
    return title, draft.text


def _html(body: str, unsubscribe: str, lang: str) -> str:
    paras = "".join(
        f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in body.split("\n\n") if p
    )
    foot = html.escape(unsubscribe)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"></head><body>'
        f'{paras}<hr><p style="color:#666;font-size:12px">{foot}</p></body></html>'
    )


def _email_rules(pack: BrandPack) -> EmailRules:
    if pack.brand.email is None:
        raise ZhenxinError(
            f"brand {pack.brand.id!r} has no email sender",
            hint="add 'email: {sender, unsubscribe}' to brand.yaml to export .eml",
        )
    return pack.brand.email


def email_message(
    draft: Draft, pack: BrandPack, *, to: str | None = None, when: dt.datetime | None = None
) -> EmailMessage:
    """One draft as an RFC 5322 message (needs the brand's ``email`` section)."""
    rules = _email_rules(pack)
    subject, body = _subject_and_body(draft)
    unsubscribe = draft.unsubscribe or rules.unsubscribe
    if unsubscribe not in body:
        body = f"{body.rstrip()}\n\n{unsubscribe}"
    _, sender_addr = parseaddr(rules.sender)
    domain = sender_addr.rpartition("@")[2] or "zhenxin.invalid"
    links = _URL.findall(unsubscribe)
    list_unsub = ", ".join(f"<{u.rstrip('。.,，)')}>" for u in links) or (
        f"<mailto:{sender_addr}?subject=unsubscribe>"
    )
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = rules.sender
    if to:
        msg["To"] = to
    msg["Date"] = format_datetime(when or dt.datetime.now(dt.UTC))
    msg["Message-ID"] = make_msgid(idstring="zhenxin", domain=domain)
    msg["List-Unsubscribe"] = list_unsub
    if any(u.startswith("http") for u in links):
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(body)
    msg.add_alternative(
        _html(body.removesuffix(unsubscribe).rstrip(), unsubscribe, pack.brand.language),
        subtype="html",
    )
    return msg


def export_batch(
    repo: BatchRepository,
    batch_id: str,
    fmt: ExportFormat | str,
    out_dir: Path,
    *,
    pack: BrandPack | None = None,
    customers: CustomerStore | None = None,
    statuses: Sequence[str] = APPROVED,
) -> ExportSummary:
    """Write the batch's drafts to ``out_dir`` (see the module docstring); returns the files
    written and the items skipped. ``customers`` is the customer store: consent is checked
    again, and an ``.eml`` goes to the customer's ``email`` tag."""
    fmt = ExportFormat(fmt)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = ExportSummary()
    brand = pack.brand.id if pack is not None else repo.get(batch_id).brand_id

    def opted_out(ids: set[str]) -> set[str]:
        return customers.opted_out(brand, ids) if customers is not None else set()

    found = rows(repo, batch_id, statuses=statuses, opted_out=opted_out, skipped=summary.skipped)
    if fmt == ExportFormat.CSV:
        path = out_dir / f"{batch_id}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as fh:  # BOM: Excel reads 中文
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows({k: csv_safe(v) for k, v in r.items()} for r, _ in found)
        summary.files.append(path)
        return summary
    if fmt == ExportFormat.JSONL:
        path = out_dir / f"{batch_id}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for row, draft in found:
                record = {**row, "draft": draft.model_dump(mode="json")}
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        summary.files.append(path)
        return summary
    if pack is None:
        raise ZhenxinError("exporting .eml needs the brand pack (sender, unsubscribe line)")
    _email_rules(pack)  # a brand-wide problem stops the export before any file
    folder = out_dir / batch_id
    folder.mkdir(parents=True, exist_ok=True)
    for row, draft in found:
        customer = draft.customer or ""
        try:
            message = _eml(draft, pack, customers)
        except _SkipItem as skip:
            summary.skipped.append(Skipped(row["key"], customer, skip.reason))
            continue
        path = folder / f"{_FILE_NAME.sub('_', row['key'])}.eml"
        path.write_bytes(message)
        summary.files.append(path)
    return summary


class _SkipItem(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _eml(draft: Draft, pack: BrandPack, customers: CustomerStore | None) -> bytes:
    """One item's ``.eml`` bytes, or :class:`_SkipItem` with the reason it cannot be sent."""
    to: str | None = None
    tag = _email_tag(pack, customers, draft.customer)
    if tag is not None:
        to, why = recipient(tag)
        if to is None:  # the reason, not the tag: summaries end up in terminals and CI logs
            raise _SkipItem(f"{why} (tag 'email')")
    subject, _ = _subject_and_body(draft)
    if _CONTROL.search(subject):
        raise _SkipItem(
            "主题里有换行或控制字符 / the subject has a line break or control character"
        )
    try:
        return email_message(draft, pack, to=to).as_bytes()
    except (ValueError, TypeError, HeaderParseError) as exc:
        raise _SkipItem(f"无法生成邮件 / cannot build the message: {exc}") from None


def _email_tag(
    pack: BrandPack, customers: CustomerStore | None, customer_id: str | None
) -> str | None:
    """The customer's ``email`` tag, from the customer store."""
    if not customer_id or customers is None:
        return None
    customer = customers.find(pack.brand.id, customer_id)
    return customer.tags.get("email") if customer is not None else None


__all__ = [
    "APPROVED",
    "COLUMNS",
    "ExportFormat",
    "ExportSummary",
    "Skipped",
    "csv_safe",
    "email_message",
    "export_batch",
    "recipient",
    "rows",
]
