"""Export a batch's drafts: ``csv``, ``jsonl`` or one RFC 5322 ``.eml`` file per draft.

The text exported is the draft's *current* version (an editor may have changed it).
An ``.eml`` has Subject, From (the brand's email sender), To (when the customer's ``email``
tag is known), Date, Message-ID, ``List-Unsubscribe`` (+ ``List-Unsubscribe-Post``),
and a ``multipart/alternative`` body: text/plain and text/html, both ending with the
brand's unsubscribe line.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import re
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from enum import StrEnum
from pathlib import Path
from typing import Any

from core.errors import ZhenxinError
from generator.drafts import Draft
from knowledge.pack import BrandPack
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


class ExportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    EML = "eml"


def rows(repo: BatchRepository, batch_id: str) -> list[tuple[dict[str, Any], Draft]]:
    """Every done item of the batch: its flat row and its draft (current text)."""
    out: list[tuple[dict[str, Any], Draft]] = []
    for item in repo.items(batch_id, ["done"]):
        if not item.draft_id:
            continue
        draft = Draft.model_validate(repo.draft(item.draft_id))
        text = repo.latest_text(item.draft_id)
        if text != draft.text:
            draft = draft.model_copy(update={"text": text})
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


def email_message(
    draft: Draft, pack: BrandPack, *, to: str | None = None, when: dt.datetime | None = None
) -> EmailMessage:
    """One draft as an RFC 5322 message (needs the brand's ``email`` section)."""
    rules = pack.brand.email
    if rules is None:
        raise ZhenxinError(
            f"brand {pack.brand.id!r} has no email sender",
            hint="add 'email: {sender, unsubscribe}' to brand.yaml to export .eml",
        )
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
) -> list[Path]:
    """Write the batch's drafts to ``out_dir``; returns the files written."""
    fmt = ExportFormat(fmt)
    out_dir.mkdir(parents=True, exist_ok=True)
    found = rows(repo, batch_id)
    if fmt == ExportFormat.CSV:
        path = out_dir / f"{batch_id}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as fh:  # BOM: Excel reads 中文
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(r for r, _ in found)
        return [path]
    if fmt == ExportFormat.JSONL:
        path = out_dir / f"{batch_id}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for row, draft in found:
                record = {**row, "draft": draft.model_dump(mode="json")}
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        return [path]
    if pack is None:
        raise ZhenxinError("exporting .eml needs the brand pack (sender, unsubscribe line)")
    folder = out_dir / batch_id
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for row, draft in found:
        to: str | None = None
        if draft.customer:
            try:
                to = pack.customer(draft.customer).tags.get("email")
            except KeyError:
                to = None
        path = folder / f"{row['key'].replace('/', '_').replace(':', '_')}.eml"
        path.write_bytes(email_message(draft, pack, to=to).as_bytes())
        written.append(path)
    return written


__all__ = ["COLUMNS", "ExportFormat", "email_message", "export_batch", "rows"]
