"""The review queue filters and pages in the database, filters by batch, and approves a batch's
passing drafts in bulk (each still its own decision)."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from storage import drafts as drafts_repo
from storage.models import DraftRequestRow, ReviewRow
from tests.web.conftest import BRAND_A, CLEAN_TEXT, SPAM_TEXT, Seeded, make_draft, store_draft
from tests.web.test_review_form import sign_in


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def _in_batch(seeded: Seeded, draft_ids: list[str], batch: str) -> None:
    with seeded.sessions.begin() as s:
        for draft_id in draft_ids:
            s.get(DraftRequestRow, draft_id).batch_id = batch  # type: ignore[union-attr]


def _approve(seeded: Seeded, draft_id: str) -> None:
    with seeded.sessions.begin() as s:
        drafts_repo.review(s, BRAND_A, draft_id, decision="approve", reviewer="x")


def test_an_old_pending_draft_is_found_behind_hundreds_of_newer_ones(
    client: TestClient, seeded: Seeded
) -> None:
    """The queue used to load the 200 newest drafts and filter in Python."""
    old = seeded.drafts["clean"]  # stored before all of these
    for _ in range(210):
        _approve(seeded, store_draft(seeded.sessions, make_draft(BRAND_A, CLEAN_TEXT)))
    sign_in(client, seeded.keys["editor_a"])
    page = client.get("/review?status=pending_review").text
    assert old in page
    approved = client.get("/review?status=approved").text
    assert "210 " in approved and "第 1 / 5 页" in approved
    rows = re.findall(r'<tr data-draft="([0-9a-f]+)"', approved)
    assert len(rows) == 50
    last = client.get("/review?status=approved&page=5").text
    assert len(re.findall(r'<tr data-draft="', last)) == 10 and "← 上一页" in last


def test_filter_by_batch_and_verdict(client: TestClient, seeded: Seeded) -> None:
    a = store_draft(seeded.sessions, make_draft(BRAND_A, CLEAN_TEXT))
    b = store_draft(seeded.sessions, make_draft(BRAND_A, SPAM_TEXT))
    _in_batch(seeded, [a, b], "care-2026-12-01-abcdef12")
    sign_in(client, seeded.keys["editor_a"])
    page = client.get("/review?batch=care-2026-12-01-abcdef12").text
    assert set(re.findall(r'<tr data-draft="([0-9a-f]+)"', page)) == {a, b}
    blocked = client.get("/review?batch=care-2026-12-01-abcdef12&verdict=block").text
    assert re.findall(r'<tr data-draft="([0-9a-f]+)"', blocked) == [b]


def test_bulk_approval_takes_only_passing_drafts_each_as_its_own_decision(
    client: TestClient, seeded: Seeded
) -> None:
    batch = "monthly-2026-12-0badc0de"
    passing = [store_draft(seeded.sessions, make_draft(BRAND_A, CLEAN_TEXT)) for _ in range(3)]
    flagged = store_draft(seeded.sessions, make_draft(BRAND_A, SPAM_TEXT))
    outside = store_draft(seeded.sessions, make_draft(BRAND_A, CLEAN_TEXT))
    _in_batch(seeded, [*passing, flagged], batch)
    token = sign_in(client, seeded.keys["editor_a"])
    page = client.get(f"/review?batch={batch}").text
    assert 'data-testid="bulk-approve"' in page
    done = client.post(f"/review/batches/{batch}/approve", data={"csrf_token": token})
    assert done.status_code == 200 and "已通过 3 条" in done.text
    for draft_id in passing:
        assert seeded.record(BRAND_A, draft_id).status == "approved"
    assert seeded.record(BRAND_A, flagged).status == "pending_review"  # a person reads it
    assert seeded.record(BRAND_A, outside).status == "pending_review"  # not in the batch
    with seeded.sessions() as s:
        decisions = s.scalar(
            select(func.count()).select_from(ReviewRow).where(ReviewRow.draft_id.in_(passing))
        )
    assert decisions == 3
    refused = client.post(f"/review/batches/{batch}/approve", data={})
    assert refused.status_code == 403  # no CSRF token, nothing approved
