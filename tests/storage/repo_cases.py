"""Repository tests shared by the SQLite module and the PostgreSQL (services) module.

Each test takes a ``session`` fixture (a ``sessionmaker``) from the importing module.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from core.errors import ConflictError, NotFoundError
from knowledge.pack import Customer
from storage import contacts, customers, drafts, keys
from storage.models import utcnow

DRAFT: dict[str, Any] = {
    "kind": "care_message",
    "brand": "a",
    "customer": "c1",
    "stage": "getting_to_know",
    "trigger": "day3",
    "channel": "wechat",
    "text": "小林你好，精华用到第三天了吗？",
    "verdict": "pass",
    "score": 0.9,
    "findings": [],
}


def _generated(db: sessionmaker[Session], brand: str = "a") -> str:
    with db.begin() as s:
        req = drafts.new_request(
            s,
            brand,
            {"kind": "care_message", "customer_id": "c1"},
            kind="care_message",
            customer_id="c1",
        )
        drafts.save_generated(s, req, {**DRAFT, "brand": brand})
        return req.id


def test_keys_hash_lookup_and_revoke(db: sessionmaker[Session]) -> None:
    with db.begin() as s:
        new = keys.create_key(s, "a", "editor", name="小林的钥匙")
    assert new.secret.startswith(f"zx_{new.info.prefix}_")
    with db.begin() as s:
        got = keys.authenticate(s, new.secret, touch=True)
        assert got is not None and got.brand == "a" and got.role is keys.Role.EDITOR
        assert keys.authenticate(s, new.secret + "x") is None
        assert keys.authenticate(s, "not-a-key") is None
        stored = s.scalars(keys.select(keys.ApiKeyRow)).all()
        assert all(new.secret not in (r.key_hash, r.prefix) for r in stored)
        keys.revoke_key(s, new.info.prefix)
    with db.begin() as s:
        assert keys.authenticate(s, new.secret) is None
        with pytest.raises(NotFoundError):
            keys.revoke_key(s, "nope")


def test_customers_are_per_brand(db: sessionmaker[Session]) -> None:
    c = Customer(id="c1", name="小林", stage="repeat", tags={"skin": "dry"})
    with db.begin() as s:
        _, created = customers.upsert_customer(s, "a", c)
        assert created
        _, created = customers.upsert_customer(s, "a", c.model_copy(update={"name": "Lin"}))
        assert not created
    with db.begin() as s:
        assert customers.get_customer(s, "a", "c1").name == "Lin"
        with pytest.raises(NotFoundError):
            customers.get_customer(s, "b", "c1")


def test_contact_log_merges_into_history(db: sessionmaker[Session]) -> None:
    c = Customer(
        id="c1",
        name="Lin",
        stage="repeat",
        last_contacts=[{"date": "2026-01-01", "channel": "sms", "purpose": "sales"}],
    )
    with db.begin() as s:
        customers.upsert_customer(s, "a", c)
        contacts.record_contact(
            s, "a", "c1", channel="wechat", purpose="care", date=dt.date(2026, 2, 1)
        )
        contacts.record_contact(s, "b", "c1", channel="wechat", date=dt.date(2026, 2, 2))
    with db.begin() as s:
        merged = contacts.with_history(s, "a", c)
    assert [(x.date.isoformat(), x.channel.value) for x in merged.last_contacts] == [
        ("2026-01-01", "sms"),
        ("2026-02-01", "wechat"),
    ]


def test_failed_request_keeps_payload_and_can_be_retried(db: sessionmaker[Session]) -> None:
    payload = {"kind": "care_message", "customer_id": "c1", "question": "怎么用？"}
    with db.begin() as s:
        req = drafts.new_request(s, "a", payload, kind="care_message", customer_id="c1")
        token = drafts.claim(s, req.id, lease_seconds=60)
        assert token is not None
        drafts.mark_failed(s, req, {"code": "provider_error", "message": "timeout"}, token=token)
        rid = req.id
    with db.begin() as s:
        rec = drafts.get_record(s, "a", rid)
        assert rec.status == "failed" and rec.request.payload == payload
        assert [r.id for r in drafts.list_records(s, "a", status="failed")] == [rid]
        assert drafts.claim(s, rid, lease_seconds=60) is None  # a failed job is not claimable
        drafts.retry(s, "a", rid)
        token = drafts.claim(s, rid, lease_seconds=60)
        assert token is not None
        drafts.save_generated(s, rec.request, DRAFT, token=token)
    with db.begin() as s:
        rec = drafts.get_record(s, "a", rid)
        assert rec.status == "pending_review" and rec.current is not None
        assert rec.request.attempts == 2 and rec.request.error is None
        with pytest.raises(ConflictError):
            drafts.retry(s, "a", rid)  # done: nothing to retry


def test_versions_append_and_stale_edit_conflicts(db: sessionmaker[Session]) -> None:
    did = _generated(db)
    with db.begin() as s:
        v2 = drafts.add_version(
            s,
            "a",
            did,
            expected_version=1,
            text="v2",
            verdict="pass",
            score=1.0,
            findings=[],
            author="k1",
        )
        assert v2.version == 2
    with db.begin() as s, pytest.raises(ConflictError):
        drafts.add_version(
            s,
            "a",
            did,
            expected_version=1,
            text="stale",
            verdict="pass",
            score=1.0,
            findings=[],
            author="k2",
        )
    with db.begin() as s:
        texts = [v.text for v in drafts.list_versions(s, "a", did)]
        assert texts == [DRAFT["text"], "v2"]
        with pytest.raises(NotFoundError):
            drafts.list_versions(s, "b", did)


def test_concurrent_edits_one_winner(db: sessionmaker[Session]) -> None:
    did = _generated(db)
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def edit(n: int) -> None:
        barrier.wait()
        try:
            with db.begin() as s:
                drafts.add_version(
                    s,
                    "a",
                    did,
                    expected_version=1,
                    text=f"edit {n}",
                    verdict="pass",
                    score=1.0,
                    findings=[],
                    author=str(n),
                )
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "ok"]
    with db.begin() as s:
        assert [v.version for v in drafts.list_versions(s, "a", did)] == [1, 2]


def test_block_needs_override_and_review_is_final(db: sessionmaker[Session]) -> None:
    did = _generated(db)
    with db.begin() as s:
        drafts.add_version(
            s,
            "a",
            did,
            expected_version=1,
            text="仅限今天！！！",
            verdict="block",
            score=0.1,
            findings=[],
            author="k",
        )
    with db.begin() as s, pytest.raises(ConflictError):
        drafts.review(s, "a", did, decision="approve", reviewer="k")
    with db.begin() as s:
        draft, version, review = drafts.review(
            s, "a", did, decision="approve", reviewer="k", override_reason="legal checked"
        )
        assert draft.status == "approved" and version.version == 2
        assert review.override_reason == "legal checked"
    with db.begin() as s, pytest.raises(ConflictError):
        drafts.review(s, "a", did, decision="reject", reviewer="k", reason="late")
    with db.begin() as s, pytest.raises(ConflictError):
        drafts.add_version(
            s,
            "a",
            did,
            expected_version=2,
            text="x",
            verdict="pass",
            score=1.0,
            findings=[],
            author="k",
        )


def test_list_filters_and_brand_isolation(db: sessionmaker[Session]) -> None:
    a1 = _generated(db, "a")
    _generated(db, "b")
    with db.begin() as s:
        assert [r.id for r in drafts.list_records(s, "a")] == [a1]
        assert drafts.list_records(s, "a", stage="repeat") == []
        assert [
            r.id
            for r in drafts.list_records(
                s,
                "a",
                stage="getting_to_know",
                customer="c1",
                kind="care_message",
                status="pending_review",
            )
        ] == [a1]
        with pytest.raises(NotFoundError):
            drafts.get_record(s, "b", a1)


def test_counts_are_the_lengths_of_the_listings(db: sessionmaker[Session]) -> None:
    """count_records (counted on the drafts alone where the filters allow) says how many
    list_records lists, for each filter the review desk sends."""
    made = [_generated(db, "a") for _ in range(4)] + [_generated(db, "b")]
    with db.begin() as s:
        drafts.new_request(s, "a", {"kind": "care_message"}, kind="care_message", customer_id="c2")
        drafts.review(s, "a", made[0], decision="approve", reviewer="ed")
        drafts.review(s, "a", made[1], decision="reject", reviewer="ed")
        edit = {"text": "改过的", "verdict": "warn", "score": 0.5, "findings": [], "author": "ed"}
        drafts.add_version(s, "a", made[2], expected_version=1, **edit)
    filters: list[dict[str, Any]] = [
        {},
        {"with_text": True},
        {"status": "generating"},
        {"status": "pending_review"},
        {"status": "pending_review", "with_text": True},
        {"status": "approved", "with_text": True},
        {"with_text": True, "stage": "getting_to_know"},
        {"with_text": True, "stage": "repeat"},
        {"with_text": True, "verdict": "warn"},
        {"status": "pending_review", "verdict": "pass", "with_text": True},
        {"with_text": True, "kind": "care_message", "status": "pending_review"},
        {"with_text": True, "customer": "c1"},
    ]
    with db.begin() as s:
        for given in filters:
            listed = drafts.list_records(s, "a", limit=100, **given)
            assert drafts.count_records(s, "a", **given) == len(listed), given
        assert drafts.count_records(s, "a", status="pending_review", with_text=True) == 2


def test_one_claim_per_job_and_only_the_holder_finishes(db: sessionmaker[Session]) -> None:
    with db.begin() as s:
        req = drafts.new_request(
            s, "a", {"kind": "care_message"}, kind="care_message", customer_id=None
        )
        rid = req.id
    with db.begin() as s:
        first = drafts.claim(s, rid, lease_seconds=60)
    with db.begin() as s:
        assert first is not None and drafts.claim(s, rid, lease_seconds=60) is None
        assert drafts.stale_jobs(s) == []  # held by a live lease
    # The holder's process dies: once its lease ran out, another worker takes the job ...
    later = utcnow() + dt.timedelta(seconds=61)
    with db.begin() as s:
        assert [r.id for r in drafts.stale_jobs(s, now=later)] == [rid]
        second = drafts.claim(s, rid, lease_seconds=60, now=later)
    assert second is not None and second != first
    # ... and the first worker, come back to life, can no longer store its result.
    with db.begin() as s:
        row = drafts.get_request(s, "a", rid)
        with pytest.raises(ConflictError, match="no longer held"):
            drafts.save_generated(s, row, DRAFT, token=first)
    with db.begin() as s:
        row = drafts.get_request(s, "a", rid)
        assert drafts.renew(s, rid, second, lease_seconds=60)
        assert not drafts.renew(s, rid, first, lease_seconds=60)
        drafts.save_generated(s, row, DRAFT, token=second)
    with db.begin() as s:
        rec = drafts.get_record(s, "a", rid)
        assert rec.status == "pending_review" and rec.request.attempts == 2
