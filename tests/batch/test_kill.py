"""A batch process killed with SIGKILL mid-run resumes without duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from batch.jobs import BatchKind, BatchSpec
from core.errors import NotFoundError
from storage.models import DraftRow
from tests.batch.conftest import make_pack
from tests.conftest import ROOT

LEASE = 1.0  # seconds: how long a killed run's items stay claimed

SCRIPT = f"""
import sys
from batch.jobs import BatchSpec
from batch.service import BatchService
from core.settings import Settings
from drafting.service import DraftingService
from generator.fake import FakeDrafter
from knowledge.fake import FakeKnowledge
from storage.db import open_database
from tests.batch.conftest import make_pack

settings = Settings(
    data_dir=sys.argv[1], llm="fake", embedder="hash", environment="test",
    job_lease_seconds={LEASE},
)
_, sessions = open_database(settings)
drafting = DraftingService(
    settings, sessions=sessions, knowledge=FakeKnowledge([make_pack("zh")]),
    drafter=FakeDrafter(delay=0.15),
)
service = BatchService(drafting)
record = service.create(BatchSpec(kind="monthly", brand="qingshui", month="2026-12"))
service.run(record.id)
"""


def test_sigkill_mid_batch_then_resume(settings, make_service, drafter) -> None:  # type: ignore[no-untyped-def]
    service = make_service(make_pack("zh"))  # the database exists before the child starts
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(settings.data_dir)], cwd=ROOT, env=env
    )
    batch_id = BatchSpec(kind=BatchKind.MONTHLY, brand="qingshui", month="2026-12").batch_id
    done_at_kill = 0
    try:
        for _ in range(600):  # bounded wait for the child to be mid-batch
            if proc.poll() is not None:
                break
            try:
                done_at_kill = service.repo.get(batch_id).counts["done"]
            except NotFoundError:  # the child has not created the batch yet
                done_at_kill = 0
            if done_at_kill >= 4:
                break
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the child finished before it could be killed"
    before = service.repo.get(batch_id).counts
    assert 4 <= before["done"] < 16
    # the killed run's item, still claimed (none when the kill fell between two items) ...
    assert before["running"] <= 1
    time.sleep(LEASE + 0.5)  # ... until its lease runs out (nobody renews it any more)
    summary = service.run(batch_id)
    assert summary.counts["done"] == 16 and summary.counts["running"] == 0
    with service.repo.sessions() as s:
        assert s.scalar(select(func.count()).select_from(DraftRow)) == 16
    # only what was not done before the kill was drafted again
    assert len(drafter.calls) == 16 - before["done"]
