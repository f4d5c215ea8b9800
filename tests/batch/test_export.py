from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import json
from email.utils import parseaddr, parsedate_to_datetime

import pytest

from batch.export import export_batch
from batch.jobs import BatchKind, BatchSpec
from knowledge.pack import Channel
from storage.drafts import add_version
from tests.batch.conftest import approve_all, customer, make_pack


@pytest.fixture
def done_batch(make_service):  # type: ignore[no-untyped-def]
    pack = make_pack(
        "zh",
        [
            customer(
                "c-mail",
                bought=["2026-11-28"],
                channel=Channel.EMAIL,
                tags={"email": "lin@example.com"},
                name="林小雨",
            ),
            customer("c-chat", birthday="1990-12-02"),
        ],
    )
    service = make_service(pack)
    record = service.create(
        BatchSpec(kind=BatchKind.CARE, brand="qingshui", date=dt.date(2026, 12, 1))
    )
    service.run(record.id)
    return service, record, pack


def test_csv_and_jsonl(done_batch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    service, record, _ = done_batch
    approve_all(service, record.id)
    (path,) = export_batch(service.repo, record.id, "csv", tmp_path).files
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["customer"] for r in rows} == {"c-mail", "c-chat"}
    assert all(r["batch"] == record.id and "你好" in r["text"] for r in rows)
    (path,) = export_batch(service.repo, record.id, "jsonl", tmp_path).files
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 2 and lines[0]["draft"]["brand"] == "qingshui"


def test_export_uses_the_edited_text(done_batch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    service, record, _ = done_batch
    item = next(i for i in service.repo.items(record.id) if i.spec["customer_id"] == "c-chat")
    with service.repo.sessions.begin() as s:
        add_version(
            s,
            "qingshui",
            item.draft_id,
            text="生日快乐，小林！编辑改过的版本。",
            expected_version=1,
            verdict="pass",
            score=1.0,
            findings=[],
            author="editor",
        )
    approve_all(service, record.id)
    (path,) = export_batch(service.repo, record.id, "csv", tmp_path).files
    with path.open(encoding="utf-8-sig", newline="") as fh:
        texts = {r["customer"]: r["text"] for r in csv.DictReader(fh)}
    assert texts["c-chat"] == "生日快乐，小林！编辑改过的版本。"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_eml_parses_back_as_rfc5322(make_service, tmp_path, lang) -> None:  # type: ignore[no-untyped-def]
    pack = make_pack(
        lang,
        [
            customer(
                "c-mail",
                bought=["2026-11-28"],
                channel=Channel.EMAIL,
                tags={"email": "lin@example.com"},
            )
        ],
    )
    service = make_service(pack)
    record = service.create(
        BatchSpec(kind=BatchKind.CARE, brand=pack.brand.id, date=dt.date(2026, 12, 1))
    )
    service.run(record.id)
    approve_all(service, record.id)
    (path,) = export_batch(
        service.repo, record.id, "eml", tmp_path, pack=pack, customers=service.drafting.customers
    ).files
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert msg["Subject"] == "关怀提醒"
    assert parseaddr(msg["From"])[1] == parseaddr(pack.brand.email.sender)[1]
    assert msg["To"] == "lin@example.com"
    assert parsedate_to_datetime(msg["Date"]).tzinfo is not None
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith(">")
    assert msg["List-Unsubscribe"].startswith("<mailto:")
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert pack.brand.email.unsubscribe in plain
    assert "你好" in plain and "<p>" in html
    assert not plain.startswith("关怀提醒")  # the subject is not repeated in the body


def test_eml_needs_an_email_sender(done_batch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from core.errors import ZhenxinError

    service, record, pack = done_batch
    no_email = pack.model_copy(update={"brand": pack.brand.model_copy(update={"email": None})})
    with pytest.raises(ZhenxinError, match="email sender"):
        export_batch(service.repo, record.id, "eml", tmp_path, pack=no_email)


def test_only_approved_drafts_leave_as_approved_and_the_rest_is_listed(
    done_batch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Rejected and unreviewed drafts were in the CSV; now only what an editor approved,
    with the text and subject they approved, and every item left out is named."""
    service, record, _ = done_batch
    items = {i.spec["customer_id"]: i for i in service.repo.items(record.id)}
    mail, chat = items["c-mail"].draft_id, items["c-chat"].draft_id
    drafting = service.drafting
    drafting.edit(
        "qingshui", mail, text="换季提醒\n\n林小雨你好，编辑改过。", version=1, author="ed"
    )
    drafting.decide("qingshui", mail, approve=True, reviewer="ed", override_reason="checked")
    drafting.decide("qingshui", chat, approve=False, reviewer="ed", reason="太像广告")
    summary = export_batch(service.repo, record.id, "csv", tmp_path, customers=drafting.customers)
    with summary.files[0].open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["customer"], r["subject"], r["text"]) for r in rows] == [
        ("c-mail", "换季提醒", "换季提醒\n\n林小雨你好，编辑改过。")
    ]
    assert [(s.customer, s.reason) for s in summary.skipped] == [("c-chat", "已退回 / rejected")]


def test_unreviewed_drafts_only_with_the_flag_and_never_after_an_opt_out(
    done_batch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    service, record, _ = done_batch
    drafting = service.drafting
    plain = export_batch(service.repo, record.id, "jsonl", tmp_path, customers=drafting.customers)
    assert plain.files[0].read_text(encoding="utf-8") == ""
    assert {s.reason for s in plain.skipped} == {"待审 / not reviewed yet"}
    asked = export_batch(
        service.repo,
        record.id,
        "jsonl",
        tmp_path,
        customers=drafting.customers,
        statuses=("approved", "pending_review"),
    )
    assert len(asked.files[0].read_text(encoding="utf-8").splitlines()) == 2
    approve_all(service, record.id)
    drafting.customers.set_consent(
        "qingshui", "c-chat", opted_out=True, actor="event", admin=False, source="event"
    )
    after = export_batch(service.repo, record.id, "csv", tmp_path, customers=drafting.customers)
    with after.files[0].open(encoding="utf-8-sig", newline="") as fh:
        assert [r["customer"] for r in csv.DictReader(fh)] == ["c-mail"]
    assert [(s.customer, s.reason) for s in after.skipped] == [
        ("c-chat", "客户已退订 / the customer opted out")
    ]
