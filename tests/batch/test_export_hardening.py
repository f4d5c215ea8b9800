"""Export hardening: CSV cells cannot start a formula, one bad ``.eml`` item does not stop the
export, and a recipient tag names exactly one address.

Attacks replayed here: an edited ``=HYPERLINK(…)`` reached the CSV raw; a newline in one
subject aborted the whole ``.eml`` export; the tag ``a@x, b@evil`` made two recipients.
"""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import json
from pathlib import Path
from typing import Any

import pytest

from batch.export import ExportSummary, csv_safe, export_batch, recipient
from batch.jobs import BatchKind, BatchSpec
from batch.service import BatchService
from core.settings import Settings
from drafting.service import DraftingService
from generator.fake import FakeDrafter
from knowledge.fake import FakeKnowledge
from knowledge.pack import Channel
from storage.db import open_database
from storage.drafts import add_version
from tests.batch.conftest import customer, make_pack

# These tests are about what the text can do to a file, not about review: any status goes.
ANY_REVIEW = ("approved", "pending_review")

# --- CSV injection ---------------------------------------------------------------------------

FORMULAS = {
    "zh": [
        '=HYPERLINK("http://evil.example/领奖","点我领取红包")',
        "+86 138 0000 0000 回电领券",
        "-满100减20-",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1 生日快乐",
        "\r=1+1 生日快乐",
    ],
    "en": [
        '=HYPERLINK("http://evil.example/prize","Claim your gift")',
        "+1 555 0100 call now",
        "-2+3",
        "@SUM(1+1)",
        "\t=1+1 happy birthday",
        "\r=1+1 happy birthday",
    ],
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_csv_cells_cannot_start_a_formula(make_service: Any, tmp_path: Path, lang: str) -> None:
    pack = make_pack(lang, [customer("c-chat", birthday="1990-12-02")])
    service = make_service(pack)
    record = service.create(
        BatchSpec(kind=BatchKind.CARE, brand=pack.brand.id, date=dt.date(2026, 12, 1))
    )
    service.run(record.id)
    (item,) = service.repo.items(record.id, ["done"])
    for number, text in enumerate(FORMULAS[lang], start=1):
        with service.repo.sessions.begin() as s:
            add_version(
                s,
                pack.brand.id,
                item.draft_id,
                text=text,
                expected_version=number,
                verdict="pass",
                score=1.0,
                findings=[],
                author="editor",
            )
        summary = export_batch(service.repo, record.id, "csv", tmp_path, statuses=ANY_REVIEW)
        (path,) = summary.files
        with path.open(encoding="utf-8-sig", newline="") as fh:
            (row,) = list(csv.DictReader(fh))
        assert row["text"] == "'" + text, text
        for value in row.values():
            assert value[:1] not in ("=", "+", "-", "@", "\t", "\r"), row
        # JSON Lines is not a spreadsheet: the text stays exactly as written.
        (jpath,) = export_batch(
            service.repo, record.id, "jsonl", tmp_path, statuses=ANY_REVIEW
        ).files
        assert json.loads(jpath.read_text(encoding="utf-8"))["text"] == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("＝1+1", "＝1+1"),  # a full-width sign is text to every spreadsheet
        ("你好=1", "你好=1"),
        ("-", "'-"),
        ("", ""),
        (0.9, 0.9),
        (-1, -1),  # numbers are numbers, not text a formula could hide in
    ],
)
def test_csv_safe(value: object, expected: object) -> None:
    assert csv_safe(value) == expected


# --- .eml: one bad item is reported, the rest export -----------------------------------------


def _eml_batch(settings: Settings, lang: str, subject_of: dict[str, str]) -> tuple[Any, Any, Any]:
    zh = lang == "zh"
    tags = {
        "c-ok": {"email": "lin@example.com"},
        "c-named": {"email": "林小雨 <yu@example.com>" if zh else "Yu Lin <yu@example.com>"},
        "c-two": {"email": "a@x.example, b@evil.example"},
        "c-inject": {"email": "a@x.example\r\nBcc: b@evil.example"},
        "c-bad-subject": {"email": "sub@example.com"},
        "c-no-email": {},
    }
    pack = make_pack(
        lang,
        [
            customer(cid, bought=["2026-11-28"], channel=Channel.EMAIL, tags=t)
            for cid, t in tags.items()
        ],
    )

    class SubjectDrafter(FakeDrafter):
        def draft(self, request: Any, **kw: Any) -> Any:
            draft = super().draft(request, **kw)
            if request.customer_id in subject_of:
                subject = subject_of[request.customer_id]
                return draft.model_copy(
                    update={"subject": subject, "text": f"{subject}\n\n{draft.body}"}
                )
            return draft

    _, sessions = open_database(settings)
    drafting = DraftingService(
        settings, sessions=sessions, knowledge=FakeKnowledge([pack]), drafter=SubjectDrafter()
    )
    drafting.customers.import_many(pack.brand.id, pack.customers, brand=pack.brand, source="pack")
    service = BatchService(drafting)
    record = service.create(
        BatchSpec(kind=BatchKind.CARE, brand=pack.brand.id, date=dt.date(2026, 12, 1))
    )
    service.run(record.id)
    assert record.total == len(tags)
    return service, record, pack


@pytest.mark.parametrize(
    ("lang", "bad_subject"),
    [("zh", "关怀提醒\nBcc: b@evil.example"), ("en", "Care note\r\nBcc: b@evil.example")],
)
def test_one_bad_item_is_reported_and_the_rest_export(
    settings: Settings, tmp_path: Path, lang: str, bad_subject: str
) -> None:
    service, record, pack = _eml_batch(settings, lang, {"c-bad-subject": bad_subject})
    summary = export_batch(
        service.repo,
        record.id,
        "eml",
        tmp_path,
        pack=pack,
        customers=service.drafting.customers,
        statuses=ANY_REVIEW,
    )
    assert isinstance(summary, ExportSummary)
    skipped = {s.customer: s.reason for s in summary.skipped}
    assert set(skipped) == {"c-two", "c-inject", "c-bad-subject"}
    assert "recipient" in skipped["c-two"] and "收件人" in skipped["c-two"]
    assert "subject" in skipped["c-bad-subject"] and "主题" in skipped["c-bad-subject"]
    assert len(summary.files) == 3  # c-ok, c-named, c-no-email
    recipients = []
    for path in summary.files:
        raw = path.read_bytes()
        assert b"evil" not in raw and b"Bcc" not in raw
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        recipients.append(msg["To"])
        if msg["To"] is not None:
            assert len(msg["To"].addresses) == 1
    assert sorted(r.addresses[0].addr_spec for r in recipients if r) == [
        "lin@example.com",
        "yu@example.com",
    ]
    assert None in recipients  # no email tag: still exported, without a To
    text = summary.describe()
    assert "3" in text and "c-two" in text and "c-bad-subject" in text
    assert not list((tmp_path / record.id).glob("*c-two*"))


@pytest.mark.parametrize(
    "tag",
    [
        "a@x.example, b@evil.example",
        "a@x.example; b@evil.example",
        "a@x.example\nBcc: b@evil.example",
        "<a@x.example> b@evil.example",
        "not an address",
        "a@localhost",
        "a@@x.example",
        "a@x.example\x00",
        "",
    ],
)
def test_recipient_refuses_anything_but_one_address(tag: str) -> None:
    address, reason = recipient(tag)
    assert address is None and reason


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("lin@example.com", "lin@example.com"),
        ("  lin@example.com ", "lin@example.com"),
        ("Lin <lin.xiao+care@mail.example.cn>", "Lin <lin.xiao+care@mail.example.cn>"),
    ],
)
def test_recipient_keeps_one_good_address(tag: str, expected: str) -> None:
    assert recipient(tag) == (expected, "")
